#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from its corpus in fuzz/corpus/,
# JOBS targets at a time (default: the number of cores).
# New inputs go to a temporary folder, not the repository; a crash fails the run
# and leaves its input in artifacts/ beside the fuzz folder.
# Usage: fuzz/run.sh BUILD_FUZZ_DIR SECONDS [JOBS]
set -euo pipefail
bin_dir=$1
seconds=${2:-30}
jobs=${3:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$(cd "$bin_dir/.." && pwd)/artifacts
mkdir -p "$artifacts"

run_one() {
  local target=$1 name seed scratch
  name=$(basename "$target")
  seed="$here/corpus/$name"
  scratch=$(mktemp -d)
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1100000 \
      -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "$scratch" "$seed" >"$artifacts/$name.log" 2>&1; then
    rm -rf "$scratch"
    echo "fuzz: $name FAILED; see $artifacts/$name.log" >&2
    tail -30 "$artifacts/$name.log" >&2
    return 1
  fi
  rm -rf "$scratch"
  grep -E "stat::number_of_executed_units|cov:" "$artifacts/$name.log" | tail -2 | sed "s/^/fuzz: $name: /"
}

targets=()
for target in "$bin_dir"/*; do
  [ -x "$target" ] && [ -f "$target" ] && [ -d "$here/corpus/$(basename "$target")" ] && targets+=("$target")
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"

status=0
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
