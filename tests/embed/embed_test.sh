#!/usr/bin/env bash
# Builds tests/embed (a separate project) against bwoc twice and runs it:
#   1. installed: `cmake --install` of the build under test into a fresh
#      prefix, then find_package(bwoc) with everything that build has;
#   2. embedded: add_subdirectory of the source tree, bwoc::core only, with
#      BWOC_WERROR=ON and no build type: bwoc must not force one.
# In both, the consumer's own compile line must carry none of bwoc's warning
# or sanitizer flags. ctest sets the environment (tests/CMakeLists.txt):
#   BWOC_SOURCE_DIR BWOC_BUILD_DIR BWOC_EMBED_DIR CMAKE_GENERATOR BWOC_CXX
#   BWOC_CXX_LAUNCHER (space-separated, may be empty) BWOC_SANITIZE (ON/OFF)
set -euo pipefail
: "${BWOC_SOURCE_DIR:?}" "${BWOC_BUILD_DIR:?}" "${BWOC_EMBED_DIR:?}" "${CMAKE_GENERATOR:?}" "${BWOC_CXX:?}"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

mkdir -p "$BWOC_EMBED_DIR"
# Inside the build tree, so that ccache sees the same relative paths each run.
tmp=$(mktemp -d "$BWOC_EMBED_DIR/installed-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

common=(-G "$CMAKE_GENERATOR" "-DCMAKE_CXX_COMPILER=$BWOC_CXX")
if [ -n "${BWOC_CXX_LAUNCHER:-}" ]; then
  common+=("-DCMAKE_CXX_COMPILER_LAUNCHER=${BWOC_CXX_LAUNCHER// /;}")
fi

# The compile command of one source file, from a build's compile_commands.json.
compile_line() { jq -r --arg f "$2" '.[] | select(.file | endswith($f)) | .command' "$1/compile_commands.json"; }

# The consumer's line must have no -W... and no -fsanitize flag: they are bwoc's own.
expect_clean_consumer_flags() {
  local line
  line=$(compile_line "$1" tests/embed/consumer.cc)
  [ -n "$line" ] || fail "$1: no compile command for consumer.cc"
  if grep -Eo -- '(^| )(-W[^ ]*|-fsanitize[^ ]*)' <<<"$line"; then
    fail "$1: bwoc's flags reached the consumer: $line"
  fi
}

step "installed: cmake --install $BWOC_BUILD_DIR, then find_package(bwoc)"
cmake --install "$BWOC_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/bwoc/core/version.h" || fail "the generated version.h is not installed"
if grep -rEl -- '-Werror|-Wall|-fsanitize|bwoc_options|bwoc::options' "$tmp/prefix/lib"*/cmake/bwoc; then
  fail "the installed package carries bwoc's own compiler flags"
fi
installed_flags=()
if [ "${BWOC_SANITIZE:-OFF}" = ON ]; then
  # The build under test is instrumented: its objects need the runtime to link.
  installed_flags+=("-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
fi
cmake -S "$BWOC_SOURCE_DIR/tests/embed" -B "$tmp/build" "${common[@]}" "${installed_flags[@]}" \
  "-DCMAKE_PREFIX_PATH=$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "configuring against the installed package"; }
found=$(sed -n 's/^bwoc_DIR:PATH=//p' "$tmp/build/CMakeCache.txt")
[ "$found" = "$tmp/prefix/lib/cmake/bwoc" ] || [ "$found" = "$tmp/prefix/lib64/cmake/bwoc" ] ||
  fail "find_package(bwoc) found $found, not the fresh install"
cmake --build "$tmp/build" --target consumer
expect_clean_consumer_flags "$tmp/build"
"$tmp/build/consumer"

step "embedded: add_subdirectory($BWOC_SOURCE_DIR)"
embedded="$BWOC_EMBED_DIR/subdirectory"
cmake -S "$BWOC_SOURCE_DIR/tests/embed" -B "$embedded" "${common[@]}" "-DBWOC_SOURCE_DIR=$BWOC_SOURCE_DIR" \
  -DBWOC_WERROR=ON -DBWOC_WITH_A2A=OFF -DBWOC_WITH_MQTT=OFF >"$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "configuring with add_subdirectory"; }
cmake --build "$embedded" --target consumer
# The check above can see flags: bwoc's own files do get them here.
compile_line "$embedded" libs/core/src/envelope.cc | grep -q -- '-Werror' ||
  fail "bwoc's own sources were built without -Werror: the flag check proves nothing"
expect_clean_consumer_flags "$embedded"
"$embedded/consumer"
echo "embed: ok"
