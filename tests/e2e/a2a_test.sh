#!/usr/bin/env bash
# The A2A transport between bwoc workspaces, its JSON-RPC surface, its
# limits, and what it does with bad input. Servers run on loopback, on ports
# the system chooses.
source "$(dirname "$0")/lib.sh"
INTEROP="$TESTS_DIR/interop"

new_workspace alpha agent-a
new_workspace beta agent-b agent-c
declare_peer beta alpha
start_a2a beta agent-b --rate-per-address 0 || finish
URL=$A2A_URL
BETA_PID=$A2A_PID
PORT=${URL##*:}
cat >>alpha/.bwoc/routes.toml <<EOT
[[peer]]
key = "beta"
pubkey = "$(pubkey_of beta)"
url = "$URL"
EOT
INBOX=beta/agents/agent-b/memories/inbox.jsonl

# --- The card, at both places, and what it publishes.
CARD=$(curl -s "$URL/.well-known/agent-card.json")
expect_eq "$(curl -s "$URL/.well-known/agent.json")" "$CARD"
expect_eq "$(echo "$CARD" | jq -r '.capabilities.extensions[0].params.publicKey')" "$(pubkey_of beta)"
expect_eq "$(echo "$CARD" | jq -r '[.supportedInterfaces[].protocolVersion] | join(",")')" "1.0,0.3"
expect_eq "$(echo "$CARD" | jq -r '.url')" "$URL/a2a"
expect_eq "$(echo "$CARD" | jq -r '.skills | length')" "0"
expect_eq "$(bwoc -w beta a2a card --agent agents/agent-b --public-url "$URL" | jq -c .)" "$(echo "$CARD" | jq -c .)"

# --- bwoc to bwoc: delivered, and the receipt verified.
expect_ok bwoc -w alpha send beta/agent-b --from agent-a --kind feedback --payload '{"score":4}'
expect_contains "$OUT" "via a2a"
expect_contains "$OUT" "verified"
expect_eq "$(lines_of $INBOX)" "1"
run bwoc -w alpha a2a send "$URL" --from agent-a --to agent-b --payload '{"n":2}' --json
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -r .receipt.kind)" "receipt"
expect_eq "$(echo "$OUT" | jq -r .receipt.re)" "$(echo "$OUT" | jq -r .id)"
expect_eq "$(lines_of $INBOX)" "2"
# An endpoint delivers to its own agent only.
expect_exit 1 bwoc -w alpha a2a send "$URL" --from agent-a --to agent-c
expect_contains "$ERR" "did not accept"
expect_eq "$(lines_of beta/agents/agent-c/memories/inbox.jsonl)" "0"

# --- A peer whose card publishes another key than the pinned one gets nothing.
new_workspace impostor agent-b
start_a2a impostor agent-b || finish
IMPOSTOR_PID=$A2A_PID
sed -i "s|url = \"$URL\"|url = \"$A2A_URL\"|" alpha/.bwoc/routes.toml
expect_exit 1 bwoc -w alpha send beta/agent-b --from agent-a
expect_one_line_error
expect_contains "$ERR" "routes.toml pins"
expect_eq "$(lines_of impostor/agents/agent-b/memories/inbox.jsonl)" "0"
stop_a2a "$IMPOSTOR_PID"
sed -i "s|url = \"$A2A_URL\"|url = \"$URL\"|" alpha/.bwoc/routes.toml

# --- Envelopes that fail a check: "Not accepted.", nothing delivered, the reason logged.
sign() { bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta "$@"; }
msg() { printf '{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"role":"user","messageId":"m","parts":[{"kind":"data","data":{"bwoc.envelope":%s}}]}}}' "$1"; }
GOOD=$(sign --payload '{"k":"good"}')
BAD_SIG=$(echo "$GOOD" | jq -c '.payload.k = "evil"')
WRONG_AUD=$(bwoc -w alpha envelope sign --from agent-a --to agent-b --aud self)
STALE=$(sign --ts "$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)")   # over A2A, 300 s is the limit
for env in "$BAD_SIG" "$WRONG_AUD" "$STALE" '{"v":1}' '"not an envelope"'; do
  ANSWER=$(rpc "$URL" "$(msg "$env")")
  expect_eq "$(echo "$ANSWER" | jq -r '.result.kind + ":" + .result.parts[0].text')" "message:Not accepted."
done
expect_eq "$(rpc "$URL" "$(msg "$GOOD")" | jq -r .result.status.state)" "completed"
REPLAY=$(rpc "$URL" "$(msg "$GOOD")")
expect_eq "$(echo "$REPLAY" | jq -r .result.status.state)" "completed"   # the same task, the original receipt
expect_eq "$(lines_of $INBOX)" "3"
run bwoc -w beta inbox refusals --json
for reason in bad_signature wrong_audience stale malformed replayed; do
  expect_contains "$(echo "$OUT" | jq -r '[.[].reason] | join(" ")')" "$reason"
done
expect_contains "$(cat "$WORK/beta-agent-b.log")" "event=a2a.not_accepted"
# A retry after a lost answer gets the original receipt, byte for byte.
FIRST=$(rpc "$URL" "$(msg "$GOOD")" | jq -c '.result.artifacts[0].parts[0].data')
expect_eq "$FIRST" "$(echo "$REPLAY" | jq -c '.result.artifacts[0].parts[0].data')"

# --- Tasks: read by id in both generations, kept across a restart, listed only for their owner.
TASK=$(echo "$REPLAY" | jq -r .result.id)
[[ "$TASK" =~ ^[0-9a-f]{32}$ ]] && pass || failed "task id is not 128 bits of hex: $TASK"
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tasks/get\",\"params\":{\"id\":\"$TASK\"}}" | jq -r .result.status.state)" "completed"
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"GetTask\",\"params\":{\"id\":\"$TASK\"}}" -H 'A2A-Version: 1.0' | jq -r .result.status.state)" "TASK_STATE_COMPLETED"
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tasks/cancel\",\"params\":{\"id\":\"$TASK\"}}" | jq -r .error.code)" "-32002"
expect_eq "$(rpc "$URL" '{"jsonrpc":"2.0","id":3,"method":"CancelTask","params":{"id":"00000000000000000000000000000000"}}' | jq -r .error.code)" "-32001"
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tasks/resubscribe\",\"params\":{\"id\":\"$TASK\"}}" | jq -r .error.code)" "-32004"
expect_eq "$(rpc "$URL" '{"jsonrpc":"2.0","id":5,"method":"ListTasks","params":{}}' | jq -r '.result.tasks | length')" "0"
AUTH=$(sign --kind a2a.auth)
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ListTasks\",\"params\":{\"metadata\":{\"bwoc.envelope\":$AUTH}}}" | jq -r '.result.tasks | length')" "3"
expect_eq "$(rpc "$URL" '{"jsonrpc":"2.0","id":6,"method":"tasks/pushNotificationConfig/set","params":{}}' | jq -r .error.code)" "-32003"
stop_a2a "$BETA_PID"
start_a2a beta agent-b --header-timeout 2s --rate-per-address 0 --idle-timeout 3s || finish
URL=$A2A_URL
PORT=${URL##*:}
sed -i "s|^url = .*|url = \"$URL\"|" alpha/.bwoc/routes.toml
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tasks/get\",\"params\":{\"id\":\"$TASK\"}}" | jq -r .result.id)" "$TASK"
expect_eq "$(rpc "$URL" "$(msg "$GOOD")" | jq -r .result.id)" "$TASK"   # still a replay after the restart
expect_eq "$(lines_of $INBOX)" "3"

# --- JSON-RPC errors come back with HTTP 200 and A2A's codes.
code() { rpc "$URL" "$1" "${@:2}" | jq -r .error.code; }
expect_eq "$(code '{"jsonrpc":"2.0","id":1,')" "-32700"
expect_eq "$(code '{"jsonrpc":"2.0","id":1,"a":1,"a":2}')" "-32700"
expect_eq "$(code '[{"jsonrpc":"2.0","id":1,"method":"GetTask"}]')" "-32600"
expect_eq "$(code '{"jsonrpc":"1.0","id":1,"method":"GetTask"}')" "-32600"
expect_eq "$(code '{"jsonrpc":"2.0","id":{},"method":"GetTask"}')" "-32600"
expect_eq "$(code '{"jsonrpc":"2.0","id":1,"method":"NoSuchMethod"}')" "-32601"
expect_eq "$(code '{"jsonrpc":"2.0","id":1,"method":"GetTask","params":[1]}')" "-32602"
expect_eq "$(code '{"jsonrpc":"2.0","id":1,"method":"message/send","params":{}}')" "-32602"
expect_eq "$(code '{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}' -H 'A2A-Version: 9.9')" "-32009"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/a2a" -d '{"jsonrpc":"2.0","id":1,"method":"Nope"}')" "200"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/a2a")" "405"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nowhere")" "404"

# --- Transport limits: bodies, slow headers, idle connections; the server stays up.
run node "$INTEROP/abuse.mjs" huge 127.0.0.1 "$PORT" 100
expect_eq "$(echo "$OUT" | jq -r .status)" "413"
# Headers at one byte a second would take about 100 s; the 2 s header timeout
# closes the connection long before, however slow the machine is.
run node "$INTEROP/abuse.mjs" slow 127.0.0.1 "$PORT"
expect_eq "$(echo "$OUT" | jq -r '.sent < .of / 2')" "true"
run node "$INTEROP/abuse.mjs" idle 127.0.0.1 "$PORT" 1000 "$A2A_PID"
expect_eq "$(echo "$OUT" | jq -r .card_ok)" "true"
expect_eq "$(echo "$OUT" | jq -r '(.rss_during_kb - .rss_before_kb) < 65536')" "true"   # 1,000 idle connections: < 64 MiB
echo "idle connections: $OUT" >&2
expect_eq "$(rpc "$URL" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tasks/get\",\"params\":{\"id\":\"$TASK\"}}" | jq -r .result.id)" "$TASK"
stop_a2a "$A2A_PID"

# --- Rate limits answer 429 with Retry-After, per address and per verified key.
# At 0.01 a second a bucket holds one request and refills the next after
# 100 s: the first request passes and the others are refused, however long
# the machine takes between them. Envelopes are signed before any is sent.
start_a2a beta agent-b --rate-per-address 0.01 || finish
statuses=$(for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$A2A_URL/.well-known/agent-card.json"; done)
expect_eq "$statuses" "200 429 429 "
headers=$(curl -s -D - -o /dev/null "$A2A_URL/.well-known/agent-card.json")
expect_contains "$headers" "HTTP/1.1 429"
expect_contains "$headers" "Retry-After:"
stop_a2a "$A2A_PID"
for i in 1 2 3; do msg "$(sign --payload "{\"i\":$i}")" >"rated$i.json"; done
start_a2a beta agent-b --rate-per-address 0 --rate-per-key 0.01 || finish
statuses=$(for i in 1 2 3; do
  curl -s -o /dev/null -w '%{http_code} ' -X POST "$A2A_URL/a2a" --data-binary "@rated$i.json"
done)
expect_eq "$statuses" "200 429 429 "
stop_a2a "$A2A_PID"

# --- Limits that would not serve, or are no limits, are refused before
# anything listens: a clear one-line error and exit 2.
for bad in "--threads -3" "--threads 100000" "--max-connections 0" "--max-body 10" "--max-tasks 0" \
  "--rate-per-address -5" "--rate-per-key nan" "--header-timeout 0s"; do
  # shellcheck disable=SC2086
  error_of 2 timeout "$WAIT_SECONDS" "$BWOC" -w beta a2a serve --agent agent-b --port 0 $bad
  expect_contains "$ERR" "must"
done
error_of 2 timeout "$WAIT_SECONDS" "$BWOC" -w beta a2a serve --agent agent-b --port 0 --max-connections -1
expect_contains "$ERR" "--max-connections: must not be negative"
error_of 2 timeout "$WAIT_SECONDS" "$BWOC" -w beta a2a serve --agent agent-b --port 0 --threads 300
expect_contains "$ERR" "threads must be 1 to 256 (0: one per CPU), not 300"

# --- SIGTERM in the middle of a burst: every envelope acknowledged with a
# task is in the inbox; the server exits cleanly.
start_a2a beta agent-b --rate-per-address 0 --rate-per-key 0 || finish
before=$(lines_of $INBOX)
for i in $(seq 1 60); do sign --payload "{\"burst\":$i}" >"burst$i.json"; done
pids=()
for i in $(seq 1 20); do (rpc "$A2A_URL" "$(msg "$(cat "burst$i.json")")" >"answer$i.json") & pids+=($!); done
wait "${pids[@]}"
pids=()
for i in $(seq 21 60); do
  (rpc "$A2A_URL" "$(msg "$(cat "burst$i.json")")" >"answer$i.json") &
  pids+=($!)
  [ "$i" -eq 40 ] && kill -TERM "$A2A_PID"
done
wait "${pids[@]}"
stop_a2a "$A2A_PID"
acked=0
for i in $(seq 1 60); do
  if [ "$(jq -r .result.status.state "answer$i.json" 2>/dev/null)" = "completed" ]; then
    acked=$((acked + 1))
    id=$(jq -r .id "burst$i.json")
    grep -q "$id" $INBOX && pass || failed "acknowledged envelope $id is not in the inbox"
  fi
done
[ "$acked" -ge 20 ] && pass || failed "only $acked requests were acknowledged"
expect_eq "$(($(lines_of $INBOX) - before >= acked))" "1"
expect_contains "$(cat "$WORK/beta-agent-b.log")" "event=a2a.stopped"
expect_ok bwoc -w beta inbox verify agent-b

finish
