#!/usr/bin/env bash
# The MCP bridge's benchmark of docs/PERFORMANCE.md:
#
#  1. tools/list with 20 peers, 5 of them unreachable (they accept a
#     connection and never answer): the first list of a first start (no
#     cache: bounded by --list-wait), the first list of the next start (from
#     the discovery cache), and lists after that;
#  2. tools/call of a local skill (a shell script that execs cat), one call
#     after another over stdio, beside the skill's own run in bwoc's
#     sandboxed runner (bench/spawn_bench) and beside a bare `bwoc call` of the
#     same skill at a peer over A2A (a whole command: start, sign, deliver).
#
#   bench/mcp_bench.sh BUILD_DIR [CALLS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: bench/mcp_bench.sh BUILD_DIR [CALLS]}" && pwd)
calls=${2:-1000}
bwoc="$build/apps/bwoc/bwoc"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-mcp-bench-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

echo_skill() {  # echo_skill WS AGENT: a trivial exposed skill "echo"
  mkdir -p "$1/agents/$2/skills"
  printf '#!/bin/sh\nexec cat\n' >"$1/agents/$2/skills/echo.sh"
  chmod +x "$1/agents/$2/skills/echo.sh"
  jq '.skills = [{name: "echo", version: "1.0.0", description: "Copies its input",
    input_schema: {type: "object"}, output_schema: {type: "object"}, visibility: "exposed", run: ["skills/echo.sh"]}]' \
    "$1/agents/$2/config.manifest.json" >m.json && mv m.json "$1/agents/$2/config.manifest.json"
}
pub() { "$bwoc" -w "$1" trust show --json | jq -r .public_key; }

"$bwoc" init alpha --keygen >/dev/null && "$bwoc" -w alpha agent add agent-a >/dev/null
echo_skill alpha agent-a
# 15 reachable peers, each its own workspace behind its own A2A server.
for i in $(seq 1 15); do
  "$bwoc" init "p$i" --keygen >/dev/null && "$bwoc" -w "p$i" agent add agent-b >/dev/null
  echo_skill "p$i" agent-b
  printf '[[peer]]\nkey = "alpha"\npubkey = "%s"\npath = "../alpha"\n' "$(pub alpha)" >"p$i/.bwoc/routes.toml"
  mkfifo "ready$i"
  "$bwoc" -w "p$i" a2a serve --agent agent-b --port 0 --threads 1 >"ready$i" 2>"p$i.log" &
  read -r -t 15 line <"ready$i"
  url=$(echo "$line" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
  printf '\n[[peer]]\nkey = "p%s"\npubkey = "%s"\nurl = "%s"\n' "$i" "$(pub "p$i")" "$url" >>alpha/.bwoc/routes.toml
done
# 5 unreachable: a listener that takes connections and never answers.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(3600)' >hung.port &
for _ in $(seq 50); do [ -s hung.port ] && break; sleep 0.1; done
for i in $(seq 16 20); do
  "$bwoc" init "p$i" --keygen >/dev/null
  printf '\n[[peer]]\nkey = "p%s"\npubkey = "%s"\nurl = "http://127.0.0.1:%s"\nagent = "agent-b"\n' \
    "$i" "$(pub "p$i")" "$(cat hung.port)" >>alpha/.bwoc/routes.toml
done

cold=$(python3 "$here/mcp_driver.py" list "$bwoc" alpha 1)
warm=$(python3 "$here/mcp_driver.py" list "$bwoc" alpha 200)
local_call=$(python3 "$here/mcp_driver.py" call "$bwoc" alpha self__echo "$calls")
input='{"text":"a short question for a trivial skill"}'
spawn=$("$build/bench/spawn_bench" --agent-dir "$work/alpha/agents/agent-a" --input "$input" --runs "$calls" \
  -- "$work/alpha/agents/agent-a/skills/echo.sh")
bare=()
for i in $(seq 1 30); do
  start=$(date +%s%N)
  "$bwoc" -w alpha call p1 echo --input "$input" >/dev/null
  bare+=($(( ($(date +%s%N) - start) / 1000 )))
done
bare50=$(printf '%s\n' "${bare[@]}" | sort -n | sed -n '15p')

printf '%-58s %9s %9s\n' "" "p50 ms" "p99 ms"
printf '%-58s %9.1f\n' "tools/list, first start, no cache (bounded by --list-wait)" "$(echo "$cold" | jq .first_ms)"
printf '%-58s %9.2f\n' "tools/list, next start: its first list, from the cache" "$(echo "$warm" | jq .first_ms)"
printf '%-58s %9.2f %9.2f\n' "tools/list, 200 lists ($(echo "$warm" | jq .tools) tools)" "$(echo "$warm" | jq .p50_ms)" \
  "$(echo "$warm" | jq .p99_ms)"
printf '%-58s %9.3f %9.3f\n' "the skill's own run (bwoc's sandboxed runner)" "$(echo "$spawn" | jq .sandboxed_p50_ms)" \
  "$(echo "$spawn" | jq .sandboxed_p99_ms)"
printf '%-58s %9.3f %9.3f\n' "tools/call of the local skill, $calls calls" "$(echo "$local_call" | jq .p50_ms)" \
  "$(echo "$local_call" | jq .p99_ms)"
printf '%-58s %9.1f\n' "a bare \`bwoc call\` of the same skill at a peer (A2A)" "$(echo "$bare50 / 1000" | bc -l)"
printf 'tools/call above the skill'"'"'s own run: %.3f ms p50 (goal: under 2 ms)\n' \
  "$(echo "$(echo "$local_call" | jq .p50_ms) - $(echo "$spawn" | jq .sandboxed_p50_ms)" | bc -l)"
