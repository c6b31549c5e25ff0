#!/usr/bin/env bash
# The provider's side of requests that outlive the call (docs/ENVELOPE.md,
# "Requests that outlive the call"): what was asked of a workspace is listed
# beside what it asked (`bwoc requests`, direction inbound), and work queued
# by a peer that is then lowered to UNTRUSTED or removed is refused, with a
# log line and a final state, never run.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha

skills=beta/agents/agent-b/skills
mkdir -p "$skills"
cat >"$skills/count.sh" <<'EOF'
#!/bin/sh
input=$(cat)
echo "executed $input" >&2
printf '%s' "$input"
EOF
chmod +x "$skills/count.sh"
# slow: may take a minute (its time limit), so a request wanted within 30 s
# cannot end in time and is never started.
cat >"$skills/slow.sh" <<'EOS'
#!/bin/sh
input=$(cat)
echo "executed slow $input" >&2
printf '%s' "$input"
EOS
chmod +x "$skills/slow.sh"
jq '.skills = [{name:"count", version:"1.0.0", description:"Echoes its input and counts the runs",
  when_to_use:"tests", input_schema:{type:"object"}, output_schema:{type:"object"}, min_tier:1,
  visibility:"exposed", run:["skills/count.sh"], timeout:"10s"},
  {name:"slow", version:"1.0.0", description:"Echoes its input, and may take a minute",
  when_to_use:"tests", input_schema:{type:"object"}, output_schema:{type:"object"}, min_tier:1,
  visibility:"exposed", run:["skills/slow.sh"], timeout:"60s"}]' \
  beta/agents/agent-b/config.manifest.json >m.json && mv m.json beta/agents/agent-b/config.manifest.json

inbound_of() { bwoc -w beta requests --json | jq -c --arg idem "$1" '.[] | select(.direction == "inbound" and .idem == $idem)'; }
state_of() { bwoc -w alpha requests --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .state'; }

# --- Work done for a peer is listed as inbound, with its caller and times;
# what beta asked itself is outbound.
id=$(bwoc -w alpha request beta count --input '{"n":1}')
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta inbox ingest
expect_contains "$ERR" 'executed {\"n\":1}'
expect_eq "$(inbound_of "$id" | jq -r '"\(.peer) \(.skill) \(.state)"')" "alpha count done"
expect_eq "$(inbound_of "$id" | jq -r '.created | test("^20[0-9-]+T[0-9:.]+Z$")')" true
expect_eq "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .direction')" outbound
run bwoc -w beta requests
expect_contains "$OUT" "DIR"
expect_contains "$(echo "$OUT" | grep "$id")" "in"
expect_contains "$(echo "$OUT" | grep "$id")" "done"
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" done

# The answer to a request says which request it answers (its idem).
expect_eq "$(jq -r '.envelope | select(.kind == "skill.result") | .payload.idem' alpha/agents/agent-a/memories/inbox.jsonl 2>/dev/null |
  grep -c "^$id$")" 1

# --- Work that cannot end before its deadline is not started: expired on
# both sides, never run, whichever transport brings it.
reason_in() { inbound_of "$1" | jq -r .reason; }
id=$(bwoc -w alpha request beta slow --input '{"n":"path"}' --deadline 30s)
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.expired"
expect_eq "$(inbound_of "$id" | jq -r .state)" expired
expect_eq "$(reason_in "$id")" "it could not end before the deadline"
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" expired
# Over A2A: the answer comes back with the delivery.
start_a2a beta agent-b
sed -i "/^key = \"beta\"/a url = \"$A2A_URL\"" alpha/.bwoc/routes.toml
id=$(bwoc -w alpha request beta slow --input '{"n":"a2a"}' --deadline 30s)
run bwoc -w alpha requests --deliver --via a2a
expect_eq "$(state_of "$id")" expired
expect_eq "$(inbound_of "$id" | jq -r .state)" expired
# Over MQTT: the answer on the response topic.
start_broker early || finish
sed -i "/^key = \"beta\"/a mqtt = { broker = \"$BROKER_URL\", topic = \"bwoc/beta\" }" alpha/.bwoc/routes.toml
start_subscriber beta agent-b
id=$(bwoc -w alpha request beta slow --input '{"n":"mqtt"}' --deadline 30s)
run bwoc -w alpha requests --deliver --via mqtt
expect_eq "$(state_of "$id")" expired
expect_eq "$(inbound_of "$id" | jq -r .state)" expired
# With time enough, the same skill runs.
id=$(bwoc -w alpha request beta slow --input '{"n":"in time"}' --deadline 5m)
run bwoc -w alpha requests --deliver --via mqtt
expect_eq "$(state_of "$id")" done
stop_pid "$SUB_PID" "beta's subscriber"
beta_logs() { cat "$WORK"/beta-*.log 2>/dev/null; }
expect_eq "$(beta_logs | grep -c 'executed slow {\\"n\\":\\"in time\\"}')" 1
expect_eq "$(beta_logs | grep -c 'executed slow {\\"n\\":\\"\(path\|a2a\|mqtt\)')" 0

# --- One idempotency key for other work (another input): refused, never
# answered with the first work's result, never run; the first work's repeat
# still gets its result. Signed by hand, as another implementation might.
soon=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
ask_beta() {
  bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --kind skill.call \
    --payload "{\"skill\":\"count\",\"input\":{\"n\":$1},\"idem\":\"reused-key\",\"deadline\":\"$soon\"}"
}
answer_to() {
  rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"message/send\",\"params\":{\"message\":{\"kind\":\"message\",\"role\":\"user\",\"messageId\":\"m$RANDOM$RANDOM\",\"parts\":[{\"kind\":\"data\",\"data\":{\"bwoc.envelope\":$1}}]}}}"
}
run answer_to "$(ask_beta 21)"
expect_contains "$OUT" '{"n":21}'
run answer_to "$(ask_beta 22)"
expect_contains "$OUT" "Idempotency key reused for other work"
expect_not_contains "$OUT" '{"n":21}'
wait_for_text "$WORK/beta-agent-b.log" "event=request.idem_reused"
# The same over the path: the answer that comes back to alpha says so.
ask_beta 23 >"beta/.bwoc/drop/new/reused-$RANDOM.json"
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.idem_reused"
expect_eq "$(cat alpha/.bwoc/drop/new/*.json | jq -r 'select(.kind == "error") | .payload.error' | grep -c "Idempotency key reused")" 1
# The first work, asked again: its stored result, not a second run.
run answer_to "$(ask_beta 21)"
expect_contains "$OUT" '{"n":21}'
# The agent asked is part of the work: the same key and input for beta's
# other agent is other work, never agent-b's result signed as agent-c's.
run bwoc -w beta agent add agent-c
mkdir -p beta/agents/agent-c/skills
cp "$skills/count.sh" beta/agents/agent-c/skills/
jq '.skills' beta/agents/agent-b/config.manifest.json >skills.json
jq --slurpfile s skills.json '.skills = $s[0]' beta/agents/agent-c/config.manifest.json >m.json &&
  mv m.json beta/agents/agent-c/config.manifest.json
to_agent_c=$(bwoc -w alpha envelope sign --from agent-a --to agent-c --aud beta --kind skill.call \
  --payload "{\"skill\":\"count\",\"input\":{\"n\":21},\"idem\":\"reused-key\",\"deadline\":\"$soon\"}")
echo "$to_agent_c" >"beta/.bwoc/drop/new/agent-c-$RANDOM.json"
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.idem_reused"
from_c() { cat alpha/.bwoc/drop/new/*.json | jq -r --arg k "$1" 'select(.from == "agent-c") | .payload[$k] // empty'; }
expect_eq "$(from_c error)" "Idempotency key reused for other work"
expect_eq "$(from_c output)" ""
expect_eq "$(beta_logs | grep -c 'executed {\\"n\\":2[123]}')" 1
run bwoc -w alpha inbox ingest  # alpha's courier never asked that: an unknown request
expect_contains "$ERR" 'reason="unknown request"'
stop_a2a "$A2A_PID"
grep -v -F -e "url = \"$A2A_URL\"" -e "mqtt = { broker = \"$BROKER_URL\"" alpha/.bwoc/routes.toml >r.toml && mv r.toml alpha/.bwoc/routes.toml
expect_not_contains "$(cat alpha/.bwoc/routes.toml)" "$A2A_URL"
stop_pid "$BROKER_PID" "the broker"

# --- Work queued by alpha (in beta's folder, no node running), then alpha
# lowered to UNTRUSTED: refused when it is taken in, logged, final, never run.
id=$(bwoc -w alpha request beta count --input '{"n":2}')
run bwoc -w alpha requests --deliver --via path
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" 1
run bwoc -w beta trust set alpha UNTRUSTED
# Refused at once, with a line, before anything takes it in.
expect_contains "$OUT" 'refused 1 request "alpha" queued here (peer lowered to UNTRUSTED)'
expect_contains "$ERR" "event=request.refused"
expect_eq "$(inbound_of "$id" | jq -r .state)" refused
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.refused"
expect_contains "$ERR" "UNTRUSTED"
expect_not_contains "$ERR" 'executed {\"n\":2}'
expect_eq "$(inbound_of "$id" | jq -r '"\(.peer) \(.state)"')" "alpha refused"
expect_contains "$(inbound_of "$id" | jq -r .reason)" "UNTRUSTED"
# alpha is told: its request failed, not permitted.
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" failed
# Trusted again, the same request stays refused: it was refused for good.
run bwoc -w beta trust set alpha KNOWN
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta inbox ingest
expect_not_contains "$ERR" 'executed {\"n\":2}'
expect_eq "$(inbound_of "$id" | jq -r .state)" refused

# --- Results pushed by the provider. alpha's request reaches beta by path;
# beta's only way back to alpha is alpha's A2A endpoint, down when the
# result is ready, so the answer sent back at once is lost. beta keeps it and
# pushes it until alpha's node is back and its receipt comes back; alpha
# never asks again (its courier is held off by the lock the test holds).
start_a2a alpha agent-a
alpha_url=$A2A_URL
alpha_port=${alpha_url##*:}
stop_a2a "$A2A_PID"
sed -i "s|^path = \"$WORK/alpha\"|url = \"$alpha_url\"|" beta/.bwoc/routes.toml
expect_contains "$(cat beta/.bwoc/routes.toml)" "url = \"$alpha_url\""
mkdir -p alpha/.bwoc/state/requests
exec 9>alpha/.bwoc/state/requests/courier.lock
flock -n 9 || failed "could not hold alpha's courier lock"
id=$(bwoc -w alpha request beta count --input '{"n":3}')
run bwoc -w alpha requests --deliver --via path
expect_eq "$(state_of "$id")" delivered
start_ready "$WORK/beta-ingest.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
BETA_PID=$READY_PID
wait_for_text "$WORK/beta-ingest.log" 'sent=no detail="cannot reach peer \"alpha\"'
# Pushed at least once while alpha is away (each attempt is recorded before it leaves).
pushed_once() { grep -q '"op":"attempt"' beta/.bwoc/state/requests/pushes.jsonl; }
eventually pushed_once
expect_eq "$(state_of "$id")" delivered
start_ready "$WORK/alpha-a2a.log" "$BWOC" -w "$WORK/alpha" a2a serve --agent agent-a --port "$alpha_port" || finish
ALPHA_PID=$READY_PID
has_state() { [ "$(state_of "$1")" = "$2" ]; }
eventually has_state "$id" done
expect_eq "$(bwoc -w alpha result "$id" | jq -c .)" '{"n":3}'
expect_eq "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.attempts) \(.via)"')" "1 a2a"
wait_for_text "$WORK/beta-ingest.log" 'event=request.push_acknowledged'
# Each attempt is an envelope of its own: those that found alpha away failed,
# the one that reached it has alpha's receipt. (Only this answer's pushes:
# results of earlier requests may be pushed to alpha meanwhile.)
answer_id=$(jq -r --arg id "$id" 'select(.id == $id and .answer_id != null) | .answer_id' alpha/.bwoc/state/requests/outbox.jsonl | head -1)
expect_eq "${#answer_id}" 32
attempts=$(jq -c --arg a "$answer_id" '[select(.op == "attempt" and .id == $a) | .env]' beta/.bwoc/state/requests/pushes.jsonl | jq -s -c 'add')
pushed=$(bwoc -w beta sent --json | jq -c --argjson mine "$attempts" '[.[] | select(.kind == "request.outcome" and (.id as $i | $mine | index($i)))]')
expect_eq "$(echo "$pushed" | jq '[.[] | select(.state == "receipt verified")] | length')" 1
expect_eq "$(echo "$pushed" | jq '[.[] | select(.state != "receipt verified" and .state != "failed")] | length')" 0
expect_contains "$(echo "$pushed" | jq -r '.[0].to')" "alpha"
expect_eq "$(grep -c 'executed {\\"n\\":3}' "$WORK/beta-ingest.log")" 1
stop_pid "$ALPHA_PID" "alpha's a2a serve"
stop_pid "$BETA_PID" "beta's ingest"

# --- The same when the way back is MQTT: beta pushes while alpha's
# subscriber is away, the broker holds what it published for alpha's
# session, and alpha's receipt reaches beta when alpha's subscriber is back.
start_broker main || finish
start_subscriber alpha agent-a
stop_pid "$SUB_PID" "alpha's subscriber"
sed -i "s|^url = \"$alpha_url\"|mqtt = { broker = \"$BROKER_URL\", topic = \"bwoc/alpha\" }|" beta/.bwoc/routes.toml
expect_contains "$(cat beta/.bwoc/routes.toml)" "topic = \"bwoc/alpha\""
pushes_before=$(grep -c '"op":"attempt"' beta/.bwoc/state/requests/pushes.jsonl)
id=$(bwoc -w alpha request beta count --input '{"n":4}')
run bwoc -w alpha requests --deliver --via path
start_ready "$WORK/beta-ingest-mqtt.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
BETA_PID=$READY_PID
pushed_again() { [ "$(grep -c '"op":"attempt"' beta/.bwoc/state/requests/pushes.jsonl)" -gt "$pushes_before" ]; }
eventually pushed_again
expect_eq "$(state_of "$id")" delivered
start_subscriber alpha agent-a
eventually has_state "$id" done
expect_eq "$(bwoc -w alpha result "$id" | jq -c .)" '{"n":4}'
wait_for_text "$WORK/beta-ingest-mqtt.log" 'event=request.push_acknowledged'
pushed=$(bwoc -w beta sent --json | jq -c '[.[] | select(.kind == "request.outcome" and .via == "mqtt")]')
expect_eq "$(echo "$pushed" | jq '[.[] | select(.state == "receipt verified")] | length >= 1')" true
expect_eq "$(grep -c 'executed {\\"n\\":4}' "$WORK/beta-ingest-mqtt.log")" 1
flock -u 9
stop_pid "$SUB_PID" "alpha's subscriber"
stop_pid "$BETA_PID" "beta's ingest"
sed -i "s|^mqtt = { broker = \"$BROKER_URL\", topic = \"bwoc/alpha\" }|path = \"$WORK/alpha\"|" beta/.bwoc/routes.toml

# A push must carry an answer from the key that pushes it, addressed to us:
# one that wraps someone else's answer is refused, and changes nothing.
new_workspace mallory agent-m
declare_peer mallory alpha
id=$(bwoc -w alpha request beta count --input '{"n":9}')
run bwoc -w alpha requests --deliver --via path
attempt=$(grep "\"id\":\"$id\"" alpha/.bwoc/state/requests/outbox.jsonl | jq -r 'select(.op == "attempt") | .env' | head -1)
bwoc -w mallory envelope sign --from agent-m --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":666}}' >inner.json
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind request.outcome \
  --payload "{\"answer\": $(cat inner.json)}" >outer.json
cp outer.json "alpha/.bwoc/drop/new/$RANDOM$RANDOM.json"
run bwoc -w alpha inbox ingest
expect_contains "$ERR" 'event=request.outcome_refused'
expect_contains "$ERR" 'the answer inside is from another key'
expect_eq "$(state_of "$id")" delivered

# --- A goal that ends is revocation for the work it alone allowed. beta
# works with alpha only through a goal; alpha's request waits in beta's
# folder when the goal ends: refused when it is taken in, never run.
run bwoc -w beta trust set alpha UNTRUSTED
beta_goal=$(bwoc -w beta goal start alpha --objective "serve alpha" --grant KNOWN --json | jq -r .id)
id=$(bwoc -w alpha request beta count --input '{"n":6}')
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta goal done "$beta_goal"
expect_contains "$OUT" "UNTRUSTED"
expect_contains "$OUT" "refused 1 request \"alpha\" queued here (goal $beta_goal ended: peer is UNTRUSTED now)"
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.refused"
expect_not_contains "$ERR" 'executed {\"n\":6}'
expect_eq "$(inbound_of "$id" | jq -r .state)" refused

# alpha asks beta only through a goal: ending it cancels what waits for beta.
reason_of() { bwoc -w alpha requests --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .reason'; }
run bwoc -w alpha trust set beta UNTRUSTED
goal=$(bwoc -w alpha goal start beta --objective "count things" --grant KNOWN --json | jq -r .id)
id=$(bwoc -w alpha request beta count --input '{"n":7}')
expect_eq "$(state_of "$id")" queued
run bwoc -w alpha goal done "$goal"
expect_contains "$OUT" "cancelled 1 pending request"
expect_eq "$(state_of "$id")" cancelled
expect_contains "$(reason_of "$id")" "goal $goal ended"
# A goal that expires: the courier of a running service cancels at that
# moment, with a log line, whether or not the request left already.
goal=$(bwoc -w alpha goal start beta --objective "count more" --grant KNOWN --expires 2s --json | jq -r .id)
id=$(bwoc -w alpha request beta count --input '{"n":8}')
start_ready "$WORK/alpha-ingest.log" "$BWOC" -w "$WORK/alpha" inbox ingest --watch || finish
ALPHA_PID=$READY_PID
eventually has_state "$id" cancelled
expect_contains "$(reason_of "$id")" "UNTRUSTED"
wait_for_text "$WORK/alpha-ingest.log" "event=request.cancelled request=$id"
stop_pid "$ALPHA_PID" "alpha's ingest"

# Removing a peer refuses its requests queued here at once, for good.
run bwoc -w beta trust set alpha KNOWN
run bwoc -w alpha trust set beta KNOWN
id=$(bwoc -w alpha request beta count --input '{"n":10}')
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta peer remove alpha
expect_contains "$OUT" 'queued here (peer removed)'  # this one, and the one left when alpha's goal expired
expect_contains "$ERR" "event=request.refused"
expect_eq "$(inbound_of "$id" | jq -r '"\(.peer) \(.state) \(.reason)"')" "alpha refused peer removed"
run bwoc -w beta inbox ingest
expect_not_contains "$ERR" 'executed {\"n\":10}'

finish
