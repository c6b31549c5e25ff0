#!/usr/bin/env bash
# The `bwoc status` benchmark of docs/PERFORMANCE.md: a workspace with 50
# declared peers, two agents whose inboxes hold 20,000 lines each, 5,000
# refusals in the last day, 50,000 metered skill calls, goals, an MQTT spool
# and the state files of three services. `status` reads all of that and
# probes nothing; each run is a whole `bwoc status` process, as a person
# starts it. Prints the wall and CPU time of each run, then the medians
# and the worst. With a BASELINE build (an older bwoc), also the CPU time of
# `bwoc skills stats` on the same 50,000 calls, by both.
#
#   bench/status_bench.sh BUILD_DIR [RUNS] [BASELINE_BUILD_DIR]
set -euo pipefail
build=$(cd "${1:?usage: bench/status_bench.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-20}
bwoc="$build/apps/bwoc/bwoc"
baseline=${3:+$(cd "$3" && pwd)/apps/bwoc/bwoc}
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-status-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

"$bwoc" init home --keygen >/dev/null
"$bwoc" -w home agent add agent-a >/dev/null
"$bwoc" -w home agent add agent-b >/dev/null
for i in $(seq 1 50); do
  "$bwoc" init "p$i" --keygen >/dev/null
  "$bwoc" -w "p$i" agent add agent-x >/dev/null
  printf '[[peer]]\nkey = "p%s"\npubkey = "%s"\npath = "%s"\n\n' "$i" \
    "$("$bwoc" -w "p$i" trust show --json | jq -r .public_key)" "$work/p$i"
done >home/.bwoc/routes.toml
printf '[[peer]]\nkey = "home"\npubkey = "%s"\npath = "%s"\n' "$("$bwoc" -w home trust show --json | jq -r .public_key)" \
  "$work/home" >>p1/.bwoc/routes.toml

# Inboxes: real envelopes from p1 at their end, 20,000 lines each.
for agent in agent-a agent-b; do
  for n in 1 2 3; do "$bwoc" -w p1 send "home/$agent" --from agent-x --payload "{\"n\":$n}" >/dev/null; done
done
"$bwoc" -w home inbox ingest >/dev/null
for agent in agent-a agent-b; do
  inbox="home/agents/$agent/memories/inbox.jsonl"
  awk -v n=20000 '{ line[NR] = $0 } END { for (i = 0; i < n; i++) print line[i % NR + 1] }' "$inbox" >"$work/inbox"
  mv "$work/inbox" "$inbox"
done
# 5,000 refusals today, 50,000 metered calls.
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
awk -v at="$now" 'BEGIN { split("bad_signature replayed unknown_sender stale", r, " ");
  for (i = 0; i < 5000; i++) printf "{\"at\":\"%s\",\"via\":\"a2a\",\"reason\":\"%s\",\"detail\":\"bench\",\"source\":\"127.0.0.1:1\",\"bytes\":700}\n", at, r[i % 4 + 1] }' \
  >home/.bwoc/state/refusals.jsonl
awk -v at="$now" 'BEGIN { for (i = 0; i < 50000; i++)
  printf "{\"ts\":\"%s\",\"side\":\"provider\",\"peer\":\"p%d\",\"agent\":\"agent-a\",\"skill\":\"skill-%d\",\"version\":\"1.0.0\",\"ms\":%d.5,\"bytes_in\":100,\"bytes_out\":200,\"outcome\":\"ok\"}\n", at, i % 50 + 1, i % 8, i % 97 }' \
  >home/.bwoc/state/skill-calls.jsonl
for i in 1 2 3 4 5; do
  "$bwoc" -w home goal start "p$i" --objective "Goal $i" --grant 2 --expires 7d >/dev/null
  "$bwoc" -w home goal kr add "g$i" "First result" >/dev/null
done
# Three services' state, as running ones publish it (this shell stands in for their process).
mkdir -p home/.bwoc/state/services
for kind in a2a mqtt ingest; do
  printf '{"kind":"%s","agent":"agent-a","endpoint":"http://127.0.0.1:8080","status":"serving","state":"running","pid":%d,"host":"%s","process_start":0,"started":"%s","updated":"%s","stats":{"accepted":"1"}}\n' \
    "$kind" $$ "$(hostname)" "$now" "$now" >"home/.bwoc/state/services/$kind-agent-a.json"
done

"$bwoc" -w home status >/dev/null  # warm the page cache, as a second look would find it
# Wall time is what a person waits; CPU time (user + system) is what it
# costs, and stays the same on a machine busy with other work.
TIMEFORMAT='%3R %3U %3S'
walls=() cpus=()
for r in $(seq 1 "$runs"); do
  read -r wall user sys < <({ time "$bwoc" -w home status >/dev/null; } 2>&1)
  wall_ms=$(echo "$wall * 1000" | bc)
  cpu_ms=$(echo "($user + $sys) * 1000" | bc)
  walls+=("$wall_ms")
  cpus+=("$cpu_ms")
  printf '{"run":%d,"wall_ms":%s,"cpu_ms":%s}\n' "$r" "$wall_ms" "$cpu_ms"
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
worst() { printf '%s\n' "$@" | sort -n | tail -1; }
peers=$("$bwoc" -w home status --json | jq '.peers | length')
printf '{"peers":%d,"runs":%d,"wall_median_ms":%s,"wall_worst_ms":%s,"cpu_median_ms":%s,"cpu_worst_ms":%s}\n' \
  "$peers" "$runs" "$(median "${walls[@]}")" "$(worst "${walls[@]}")" "$(median "${cpus[@]}")" "$(worst "${cpus[@]}")"

if [ -n "$baseline" ]; then
  for which in baseline bwoc; do
    binary=${!which}
    cpus=()
    for r in $(seq 1 "$runs"); do
      read -r wall user sys < <({ time "$binary" -w home skills stats >/dev/null; } 2>&1)
      cpus+=("$(echo "($user + $sys) * 1000" | bc)")
    done
    printf '{"skills_stats":"%s","calls":50000,"cpu_median_ms":%s}\n' "$which" "$(median "${cpus[@]}")"
  done
fi
