#!/usr/bin/env bash
# The `bwoc peer list` benchmark of docs/PERFORMANCE.md: 50 declared peers,
# 10 of them dead (a port that accepts and never answers), probed at once.
# Prints the wall time of each run beside the probe timeout.
#
#   bench/peer_list_bench.sh BUILD_DIR [RUNS]
set -euo pipefail
build=$(cd "${1:?usage: bench/peer_list_bench.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-5}
bwoc="$build/apps/bwoc/bwoc"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-peer-bench-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

mkfifo ready
# On a port the system picks, said on its ready line.
node -e "const s = require('net').createServer(() => {}).listen(0, '127.0.0.1', () => console.log(s.address().port))" >ready &
read -r -t 10 port <ready

"$bwoc" init lister --keygen >/dev/null
for i in $(seq 1 50); do
  "$bwoc" init "p$i" --keygen >/dev/null
  key=$("$bwoc" -w "p$i" trust show --json | jq -r .public_key)
  if [ "$i" -le 10 ]; then
    printf '[[peer]]\nkey = "p%s"\npubkey = "%s"\nurl = "http://127.0.0.1:%s"\n\n' "$i" "$key" "$port"
  else
    printf '[[peer]]\nkey = "p%s"\npubkey = "%s"\npath = "%s"\n\n' "$i" "$key" "$work/p$i"
  fi
done >lister/.bwoc/routes.toml

for timeout in 1s 2s; do
  for r in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    out=$("$bwoc" -w lister peer list --json --timeout "$timeout")
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '{"timeout":"%s","run":%d,"wall_ms":%d,"reachable":%s,"unreachable":%s}\n' "$timeout" "$r" "$ms" \
      "$(echo "$out" | jq '[.[] | select(.reachability == "reachable")] | length')" \
      "$(echo "$out" | jq '[.[] | select(.reachability == "unreachable")] | length')"
  done
done
