#!/usr/bin/env bash
# The MCP bridge: `bwoc mcp serve` driven by the official MCP SDK's Client
# (tests/mcp-sdk/bridge.mjs) over stdio, with peers over path (beta), A2A
# (gamma) and MQTT (delta), and one that is offline (omega); hostile input on
# stdin; `mcp test` and `mcp config`.
source "$(dirname "$0")/lib.sh"

SDK="$TESTS_DIR/mcp-sdk"
if [ ! -d "$SDK/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "the MCP SDK is not installed: run scripts/interop-deps.sh" >&2
  exit 1
fi
EXAMPLE="$TESTS_DIR/../.bwoc-example/agents/agent-wenchang"

new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace gamma agent-g
new_workspace delta agent-d
new_workspace omega agent-o
for ws_agent in alpha/agent-a beta/agent-b gamma/agent-g delta/agent-d; do
  dir="$WORK/${ws_agent%/*}/agents/${ws_agent#*/}"
  cp -r "$EXAMPLE/skills" "$dir/"
  jq '.skills |= map(select(.name == "word-count" or .name == "uppercase"))' "$EXAMPLE/config.manifest.json" >"$dir/config.manifest.json"
done
# beta: also a slow skill and a hidden one.
printf '#!/bin/sh\nsleep 1.5\necho "{\\"done\\":true}"\n' >beta/agents/agent-b/skills/slow.sh
chmod +x beta/agents/agent-b/skills/slow.sh
jq '.skills += [
  {name:"slow", version:"1.0.0", description:"Takes a while", input_schema:{type:"object"},
   output_schema:{type:"object", required:["done"]}, visibility:"exposed", run:["skills/slow.sh"], timeout:"10s"},
  {name:"secret-sauce", version:"1.0.0", description:"Hidden", input_schema:{type:"object"},
   output_schema:{type:"object"}, visibility:"hidden", run:["skills/word-count.sh"]}]' \
  beta/agents/agent-b/config.manifest.json >m.json && mv m.json beta/agents/agent-b/config.manifest.json

for p in beta gamma delta; do declare_peer "$p" alpha; done
declare_peer alpha beta 'agent = "agent-b"'
"$BWOC" -w beta inbox ingest --watch >beta-ingest.out 2>beta-ingest.log &
start_a2a gamma agent-g || finish
cat >>alpha/.bwoc/routes.toml <<EOT

[[peer]]
key = "gamma"
pubkey = "$(pubkey_of gamma)"
url = "$A2A_URL"
EOT
start_broker mqtt || finish
start_subscriber delta agent-d || finish
declare_mqtt_peer alpha delta "$BROKER_URL"
echo 'agent = "agent-d"' >>alpha/.bwoc/routes.toml
# omega: declared, never reachable (a port nothing listens on).
cat >>alpha/.bwoc/routes.toml <<EOT

[[peer]]
key = "omega"
pubkey = "$(pubkey_of omega)"
url = "http://127.0.0.1:9"
agent = "agent-o"
EOT

# --- mcp test: every peer asked, the tools listed, nothing called.
run bwoc -w alpha mcp test --timeout 10s
expect_eq "$RC" 1
expect_contains "$OUT" "beta__word-count"
expect_contains "$OUT" "gamma__word-count"
expect_contains "$OUT" "delta__word-count"
expect_contains "$OUT" "self__word-count"
expect_contains "$OUT" "FAIL  peer omega"
expect_contains "$OUT" "no tool was called"
run bwoc -w alpha mcp test --json
expect_eq "$(echo "$OUT" | jq -r '[.peers[] | select(.answered) | .peer] | sort | join(" ")')" "beta delta gamma"
expect_eq "$(echo "$OUT" | jq -r '.tools[] | select(.name == "gamma__word-count") | ._meta["bwoc/agent"]')" "agent-g"
expect_eq "$(lines_of alpha/.bwoc/state/skill-calls.jsonl)" 0

# --- mcp config: what a client needs to start it.
run bwoc -w alpha mcp config
expect_eq "$(echo "$OUT" | jq -r '.mcpServers["bwoc-alpha"].args | join(" ")')" "--workspace $WORK/alpha mcp serve --agent agents/agent-a"
expect_eq "$(echo "$OUT" | jq -r '.mcpServers["bwoc-alpha"].command')" "$(readlink -f "$BWOC")"

# --- the official SDK's Client over stdio.
run env BWOC="$BWOC" WS="$WORK/alpha" GAMMA="$WORK/gamma" timeout 240 node "$SDK/bridge.mjs"
echo "$OUT" | sed 's/^/  sdk: /'
[ -n "$ERR" ] && echo "$ERR" | grep -v '^level=' | sed 's/^/  sdk: /' >&2
expect_eq "$RC" 0
expect_contains "$OUT" "tools: "
# The offline call is a request of alpha's, to omega's word-count, waiting.
OFFLINE_ID=$(echo "$OUT" | sed -n 's/^offline request: //p')
expect_eq "$(bwoc -w "$WORK/alpha" requests --json | jq -r --arg id "$OFFLINE_ID" '.[] | select(.id == $id) | "\(.peer) \(.skill) \(.state)"')" \
  "omega word-count queued"

# --- hostile input on stdin: an error answer or a clean exit, never a crash or a hang.
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}'
serve() { timeout 30 "$BWOC" -w "$WORK/alpha" mcp serve --list-wait 100ms 2>>serve.log; }
answers=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' 'not json' "$init" \
  '{"jsonrpc":"2.0","id":2,"method":"no/such"}' "$(printf '%.0s[' {1..500})" \
  '{"jsonrpc":"2.0","id":3,"method":"ping"}' | serve)
expect_eq "$?" 0
expect_eq "$(echo "$answers" | jq -c 'select(.id == 1) | .error.code')" "-32002"
expect_eq "$(echo "$answers" | jq -c 'select(.id == null) | .error.code' | sort -u | tr '\n' ' ')" "-32700 "
expect_eq "$(echo "$answers" | jq -c 'select(.id == 2) | .error.code')" "-32601"
expect_eq "$(echo "$answers" | jq -c 'select(.id == 3) | .result')" "{}"
# A 100 MiB line: refused without being held (peak memory grows by far less
# than the line, against a short session's), and the next message is answered.
# (A sanitizer build keeps freed memory in quarantine: keep that small here.)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
/usr/bin/time -f '%M' -o rss0.txt timeout 60 "$BWOC" -w "$WORK/alpha" mcp serve --list-wait 100ms >/dev/null 2>>serve.log < <(
  printf '%s\n' "$init" '{"jsonrpc":"2.0","id":9,"method":"ping"}')
/usr/bin/time -f '%M' -o rss.txt timeout 60 "$BWOC" -w "$WORK/alpha" mcp serve --list-wait 100ms >big.out 2>>serve.log < <(
  printf '%s\n' "$init"
  head -c $((100 << 20)) /dev/zero | tr '\0' 'x'
  printf '\n%s\n' '{"jsonrpc":"2.0","id":9,"method":"ping"}')
expect_eq "$?" 0
expect_contains "$(jq -c 'select(.id == null) | .error.message' big.out)" "longer than"
expect_eq "$(jq -c 'select(.id == 9) | .result' big.out)" "{}"
grown_kib=$(( $(tail -1 rss.txt) - $(tail -1 rss0.txt) ))
if [ "$grown_kib" -lt $((32 << 10)) ]; then pass; else failed "peak memory grew by $grown_kib KiB for a 100 MiB line"; fi
# Input that just ends, with nothing or half a message: a clean exit.
expect_ok serve </dev/null
run bash -c "printf '{\"jsonrpc\":\"2.0\",\"id\":1,\"meth' | timeout 30 '$BWOC' -w '$WORK/alpha' mcp serve 2>/dev/null"
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -c .error.code)" "-32700"

kill "$A2A_PID" "$SUB_PID"
finish
