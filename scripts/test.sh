#!/usr/bin/env bash
# The whole test suite: unit and end-to-end tests (against real sockets, a
# real mosquitto and the official JS SDKs), the same again under AddressSanitizer
# and UndefinedBehaviorSanitizer, and every fuzz target for a bounded time.
#
#   BWOC_FUZZ_SECONDS   seconds per fuzz target (default 20)
#   BWOC_SKIP_ASAN=1    skip the sanitizer build (for a quick local run)
#   BWOC_JOBS           parallel jobs (default: number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${BWOC_JOBS:-$(nproc)}
fuzz_seconds=${BWOC_FUZZ_SECONDS:-20}
start=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" $(($(date +%s) - start)); }

step "dependencies"
./scripts/deps.sh test
./scripts/interop-deps.sh

# -g1 keeps line numbers for sanitizer reports at a fraction of -g's cost.
common=(-G Ninja -DBWOC_WERROR=ON -DBWOC_BUILD_BENCH=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")

step "build"
cmake -S . -B build "${common[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
# embed.consumer builds bwoc again as another project would; it runs once, in
# the sanitizer pass when there is one (where it also proves that -fsanitize
# stays private to bwoc).
normal_exclude='fault'
[ -z "${BWOC_SKIP_ASAN:-}" ] && normal_exclude='fault|embed'
step "tests"
ctest --test-dir build -j "$jobs" --output-on-failure -LE "$normal_exclude"
# Every append-only file on a full disk (a small tmpfs when this runs as root,
# injected ENOSPC otherwise, which the output says) and on a failing one.
step "fault injection: full and failing disks"
ctest --test-dir build -j "$jobs" --output-on-failure -L fault

# One sanitizer build serves both the tests and the fuzz targets: clang, since
# libFuzzer needs it, so the libraries are compiled with the sanitizers once.
clang=(-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14)
if [ -z "${BWOC_SKIP_ASAN:-}" ]; then
  step "build with AddressSanitizer and UndefinedBehaviorSanitizer (and the fuzz targets)"
  cmake -S . -B build-sanitize "${common[@]}" "${clang[@]}" -DBWOC_BUILD_BENCH=OFF -DBWOC_SANITIZE=ON \
    -DBWOC_BUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" >/dev/null
  cmake --build build-sanitize -j "$jobs"
  step "tests under the sanitizers"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
    LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize -j "$jobs" --output-on-failure
  fuzz_build=build-sanitize
else
  step "build the fuzz targets"
  cmake -S . -B build-fuzz -G Ninja "${clang[@]}" -DBWOC_BUILD_FUZZ=ON -DBWOC_BUILD_APP=OFF \
    -DBWOC_BUILD_TESTS=OFF -DBWOC_WITH_A2A=ON -DBWOC_WITH_MQTT=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j "$jobs"
  fuzz_build=build-fuzz
fi

step "fuzz targets (${fuzz_seconds}s each)"
"$root/fuzz/run.sh" "$root/$fuzz_build/fuzz" "$fuzz_seconds" "$jobs"

step "all tests passed in $(($(date +%s) - start))s"
