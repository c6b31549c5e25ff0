#!/usr/bin/env bash
# The skill benchmark of docs/PERFORMANCE.md, in one run: a skill call round
# trip over A2A on loopback with a trivial skill (it copies its input to its
# output), one call after another, beside the bare cost of spawning the same
# executable with the same input (posix_spawn, no bwoc) and the cost of
# bwoc's sandboxed runner alone. The node is pinned to core 0, the load
# generator and the spawns to core 1.
#
#   bench/skill_bench.sh BUILD_DIR [CALLS]
set -euo pipefail
build=$(cd "${1:?usage: bench/skill_bench.sh BUILD_DIR [CALLS]}" && pwd)
calls=${2:-2000}
bwoc="$build/apps/bwoc/bwoc"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-skill-bench-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

"$bwoc" init caller --keygen >/dev/null && "$bwoc" -w caller agent add agent-a >/dev/null
"$bwoc" init node --keygen >/dev/null && "$bwoc" -w node agent add agent-b >/dev/null
printf '[[peer]]\nkey = "caller"\npubkey = "%s"\npath = "../caller"\n' \
  "$("$bwoc" -w caller trust show --json | jq -r .public_key)" >node/.bwoc/routes.toml
node_key=$("$bwoc" -w node trust show --json | jq -r .public_key)
mkdir -p node/agents/agent-b/skills
printf '#!/bin/sh\nexec cat\n' >node/agents/agent-b/skills/echo.sh
chmod +x node/agents/agent-b/skills/echo.sh
jq '.skills = [{name: "echo", version: "1.0.0", description: "Copies its input",
  input_schema: {type: "object"}, output_schema: {type: "object"}, visibility: "exposed", run: ["skills/echo.sh"]}]' \
  node/agents/agent-b/config.manifest.json >m.json && mv m.json node/agents/agent-b/config.manifest.json
input='{"text":"a short question for a trivial skill"}'

mkfifo ready
taskset -c 0 "$bwoc" -w node a2a serve --agent agent-b --port 0 --rate-per-address 0 --rate-per-key 0 \
  >ready 2>node.log &
read -r -t 15 line <ready
url=$(echo "$line" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')

call() {
  taskset -c 1 "$build/bench/a2a_load" --url "$url" --mode skill --skill echo --input "$input" \
    --workspace caller --aud "$node_key" --to agent-b --connections 1 --duration 600 --requests "$1"
}
call 200 >/dev/null  # warm up
a2a=$(call "$calls")
# The same round trip with a plain signed message: what delivery costs
# without a skill (the checks, the inbox's fdatasync, the receipt).
message=$(taskset -c 1 "$build/bench/a2a_load" --url "$url" --mode signed --workspace caller --aud "$node_key" \
  --to agent-b --connections 1 --duration 600 --requests "$calls")
spawn=$(taskset -c 1 "$build/bench/spawn_bench" --agent-dir "$work/node/agents/agent-b" --input "$input" \
  --runs "$calls" -- "$work/node/agents/agent-b/skills/echo.sh")

echo "$a2a" | jq -e ".accepted == $calls" >/dev/null || { echo "not every call succeeded: $a2a" >&2; exit 1; }
bare50=$(echo "$spawn" | jq .bare_p50_ms)
a2a50=$(echo "$a2a" | jq .p50_ms)
printf '%-44s %9s %9s\n' "$calls calls, one after another" "p50 ms" "p99 ms"
printf '%-44s %9.3f %9.3f\n' "bare spawn of the skill (posix_spawn)" "$bare50" "$(echo "$spawn" | jq .bare_p99_ms)"
printf '%-44s %9.3f %9.3f\n' "bwoc's sandboxed runner alone" "$(echo "$spawn" | jq .sandboxed_p50_ms)" \
  "$(echo "$spawn" | jq .sandboxed_p99_ms)"
printf '%-44s %9.3f %9.3f\n' "signed message round trip over A2A (no skill)" "$(echo "$message" | jq .p50_ms)" \
  "$(echo "$message" | jq .p99_ms)"
printf '%-44s %9.3f %9.3f\n' "skill.call round trip over A2A (signed)" "$a2a50" "$(echo "$a2a" | jq .p99_ms)"
printf 'p50 above the bare spawn: %.3f ms (goal: within 2 ms)\n' "$(echo "$a2a50 - $bare50" | bc -l)"
