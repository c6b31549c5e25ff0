#!/usr/bin/env bash
# The request benchmarks of docs/PERFORMANCE.md, in one run:
#   - `bwoc request` latency (p50, p90) to a peer that is away: the command
#     signs nothing and touches no network, it only makes the request durable;
#   - the outbox's durable enqueues a second from one process (outbox_bench:
#     concurrent appends sharing fsyncs), beside one thread alone.
#
#   bench/requests_bench.sh BUILD_DIR [REQUESTS]
set -euo pipefail
build=$(cd "${1:?usage: bench/requests_bench.sh BUILD_DIR [REQUESTS]}" && pwd)
n=${2:-200}
bwoc="$build/apps/bwoc/bwoc"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bwoc-requests-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bwoc" init caller --keygen >/dev/null && "$bwoc" -w caller agent add agent-a >/dev/null
"$bwoc" init away --keygen >/dev/null
printf '[[peer]]\nkey = "away"\npubkey = "%s"\npath = "%s/nowhere"\n' \
  "$("$bwoc" -w away trust show --json | jq -r .public_key)" "$work" >caller/.bwoc/routes.toml
for _ in $(seq 1 "$n"); do
  start=$(date +%s%N)
  "$bwoc" -w caller request away/agent-b summarize --input '{"text":"a short question"}' >/dev/null
  echo $(( ($(date +%s%N) - start) / 1000 ))
done | sort -n >latencies
p() { sed -n "$(( ($(grep -c '' latencies) * $1 + 99) / 100 ))p" latencies; }
printf 'bwoc request (%d, peer away): p50 %.1f ms, p90 %.1f ms\n' "$n" "$(echo "$(p 50) / 1000" | bc -l)" \
  "$(echo "$(p 90) / 1000" | bc -l)"
"$build/bench/outbox_bench" --threads 64 --envelopes 20000 --dir "$work/outbox"
