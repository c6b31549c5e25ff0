#!/usr/bin/env bash
# Installs what is missing, builds bwoc, and runs `bwoc demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBWOC_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
echo
./build/apps/bwoc/bwoc demo
echo
echo "bwoc is built: $(pwd)/build/apps/bwoc/bwoc (add it to your PATH, or run cmake --install build)"
