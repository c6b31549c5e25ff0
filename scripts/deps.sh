#!/usr/bin/env bash
# Installs what bwoc needs from Debian 12's packages, and nothing when it is
# all there already (idempotent). Usage: scripts/deps.sh [build|test]
#   build  what building bwoc and running `bwoc demo` need
#   test   that, plus what the test suite, the sanitizer build and the fuzzers need
set -euo pipefail
profile=${1:-build}

build_packages=(
  g++ cmake ninja-build pkg-config
  libsodium-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  libboost-dev libssl-dev libpaho-mqtt-dev libpaho-mqttpp-dev libmosquitto-dev libvalijson-dev libre2-dev libyaml-cpp-dev
  mosquitto mosquitto-clients
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  jq curl openssl bc systemd json-schema-test-suite
  chromium  # the dashboard's browser test, driven headless by playwright-core
)

packages=("${build_packages[@]}")
if [ "$profile" = test ]; then packages+=("${test_packages[@]}"); fi
if [ "$profile" != build ] && [ "$profile" != test ]; then
  echo "usage: scripts/deps.sh [build|test]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: every package for '$profile' is installed"
else
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      sudo_cmd=(sudo)
    else
      echo "deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
