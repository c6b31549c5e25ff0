#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from its corpus in fuzz/corpus/.
# New inputs go to a temporary folder, not the repository; a crash fails the run
# and leaves its input under build-fuzz/artifacts/.
# Usage: fuzz/run.sh BUILD_FUZZ_DIR SECONDS
set -euo pipefail
bin_dir=$1
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$bin_dir/../artifacts"
mkdir -p "$artifacts"
status=0
for target in "$bin_dir"/*; do
  [ -x "$target" ] && [ -f "$target" ] || continue
  name=$(basename "$target")
  seed="$here/corpus/$name"
  [ -d "$seed" ] || continue
  scratch=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1100000 \
      -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "$scratch" "$seed" >"$artifacts/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; see $artifacts/$name.log" >&2
    tail -30 "$artifacts/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$artifacts/$name.log" | tail -2 | sed "s/^/fuzz: $name: /"
  fi
  rm -rf "$scratch"
done
exit $status
