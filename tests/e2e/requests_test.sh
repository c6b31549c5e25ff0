#!/usr/bin/env bash
# Requests that outlive the call (docs/ENVELOPE.md, "Requests that outlive
# the call"): bwoc request / requests / result / request cancel, the courier
# in the services, the provider's exactly-once ledger, deadlines, and the
# faults of issue 14: peers away for several retries, both sides SIGKILLed,
# lost answers, two transports at once, and answers that must be refused.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace mallory agent-m
declare_peer alpha beta
declare_peer alpha mallory
declare_peer beta alpha
declare_peer mallory alpha

# beta's skill leaves one line a run on its stderr, which the node logs: the
# side effect the test counts executions by.
skills=beta/agents/agent-b/skills
mkdir -p "$skills"
cat >"$skills/count.sh" <<'EOS'
#!/bin/sh
input=$(cat)
echo "executed $input" >&2
printf '%s' "$input"
EOS
chmod +x "$skills/count.sh"
jq '.skills = [{name:"count", version:"1.0.0", description:"Echoes its input and counts the runs",
  when_to_use:"tests", input_schema:{type:"object"}, output_schema:{type:"object"}, min_tier:1,
  visibility:"exposed", run:["skills/count.sh"], timeout:"10s"}]' \
  beta/agents/agent-b/config.manifest.json >m.json && mv m.json beta/agents/agent-b/config.manifest.json

# executions N: how many runs of input {"n":N} beta's logs show.
executions() { cat "$WORK"/beta-*.log 2>/dev/null | grep -c "stderr=\"executed {\\\\\"n\\\\\":$1}" ; }
all_executions() { cat "$WORK"/beta-*.log 2>/dev/null | grep -c 'event=skill.stderr.*executed'; }
state_of() { bwoc -w alpha requests --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .state'; }
count_in() { bwoc -w alpha requests --json | jq --arg s "$1" '[.[] | select(.state == $s)] | length'; }
has_state() { [ "$(state_of "$1")" = "$2" ]; }
count_is() { [ "$(count_in "$1")" = "$2" ]; }
BETA_LOG=0
# start_beta: beta's path ingest service, each life with its own log.
start_beta() {
  BETA_LOG=$((BETA_LOG + 1))
  start_ready "$WORK/beta-$BETA_LOG.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || return 1
  BETA_PID=$READY_PID
}
ALPHA_LOG=0
start_alpha() {
  ALPHA_LOG=$((ALPHA_LOG + 1))
  start_ready "$WORK/alpha-$ALPHA_LOG.log" "$BWOC" -w "$WORK/alpha" inbox ingest --watch || return 1
  ALPHA_PID=$READY_PID
}
kill_hard() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# --- Usage and help.
run bwoc request --help
expect_contains "$OUT" "idempotency key"
run bwoc request cancel --help
expect_contains "$OUT" "Stop delivering a request"
error_of 2 bwoc -w alpha request cancel
expect_contains "$ERR" "id is required"
error_of 2 bwoc -w alpha request beta
expect_contains "$ERR" "PEER and SKILL are required"
error_of 2 bwoc -w alpha request nobody count
expect_contains "$ERR" 'no peer "nobody"'
error_of 2 bwoc -w alpha request beta 'Bad Skill'
expect_contains "$ERR" '"Bad Skill" is not a skill name'
error_of 2 bwoc -w alpha call beta 'Bad Skill'
expect_contains "$ERR" '"Bad Skill" is not a skill name'
error_of 2 bwoc -w alpha requests --via path
expect_contains "$ERR" "--via chooses the transport of --deliver"
error_of 2 bwoc -w alpha request beta count --deadline soon
error_of 2 bwoc -w alpha request beta count --deadline 31d
error_of 2 bwoc -w alpha request beta count --key 'white space'
error_of 2 bwoc -w alpha result 0123456789abcdef0123456789abcdef
error_of 2 bwoc -w alpha request cancel 0123456789abcdef0123456789abcdef

# --- A key names one piece of work: the same work again is the same
# request; other work under it is refused (the provider would answer it with
# the first one's result).
keyed=$(bwoc -w alpha request beta count --input '{"n":100}' --key order-7)
expect_eq "$(bwoc -w alpha request beta count --input '{"n":100}' --key order-7)" "$keyed"
error_of 2 bwoc -w alpha request beta count --input '{"n":101}' --key order-7
expect_contains "$ERR" "names request $keyed already, with other work"
# A pass forced onto a transport beta does not declare leaves it queued.
expect_ok bwoc -w alpha requests --deliver --via mqtt
expect_eq "$(state_of "$keyed")" queued
expect_ok bwoc -w alpha request cancel "$keyed"
# A deadline that passes with nothing running shows as expired at once.
short=$(bwoc -w alpha request beta count --input '{"n":102}' --deadline 1s)
eventually has_state "$short" expired
error_of 1 bwoc -w alpha result "$short"
expect_contains "$ERR" "expired"

# --- A request to a peer whose node is not running: queued, then done once
# beta's service starts, the result printed. `bwoc request` touches no network.
id=$(bwoc -w alpha request beta count --input '{"n":0}')
expect_eq "${#id}" 32
expect_eq "$(state_of "$id")" queued
error_of 1 bwoc -w alpha result "$id"
expect_contains "$ERR" "still pending as $id"
# bwoc status shows what waits.
expect_ok bwoc -w alpha status
expect_contains "$OUT" "Requests waiting: 1 (queued 1)"
expect_eq "$(bwoc -w alpha status --json | jq -r '.requests_pending[0].id')" "$id"
start_alpha
eventually has_state "$id" delivered
start_beta
run bwoc -w alpha result "$id" --wait 60s
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -c .)" '{"n":0}'
expect_eq "$(state_of "$id")" done
expect_eq "$(executions 0)" 1
stop_pid "$ALPHA_PID" "alpha's ingest"
stop_pid "$BETA_PID" "beta's ingest"

# --- `bwoc call` is a request: when no answer comes in time it says so, the
# request stays pending (no failure: exit 0), and its answer is there once
# beta's node is back.
error_of 0 bwoc -w alpha call beta count --input '{"n":-2}' --timeout 1s
expect_eq "$OUT" ""
expect_contains "$ERR" "still pending as "
id=$(echo "$ERR" | sed -n 's/.*still pending as \([0-9a-f]\{32\}\).*/\1/p')
expect_eq "${#id}" 32
# (Asked of mallory, whose node never runs, so that beta's runs stay counted.)
error_of 0 bwoc -w alpha call mallory/agent-m count --input '{}' --timeout 1s --json
expect_eq "$(echo "$OUT" | jq -c '[.ok, .pending, (.request | length)]')" '[false,true,32]'
away=$(echo "$OUT" | jq -r .request)
error_of 1 bwoc -w alpha result "$away"
expect_contains "$ERR" "still pending as $away"
expect_ok bwoc -w alpha request cancel "$away"
start_beta
run bwoc -w alpha result "$id" --wait 60s
expect_eq "$(echo "$OUT" | jq -c .)" '{"n":-2}'
expect_eq "$(executions -2)" 1
expect_out '{
  "n": -3
}' bwoc -w alpha call beta count --input '{"n":-3}'
stop_pid "$BETA_PID" "beta's ingest"

# --- Cancelling: a cancelled request is never delivered.
id=$(bwoc -w alpha request beta count --input '{"n":-1}')
expect_out "cancelled $id" bwoc -w alpha request cancel "$id"
error_of 1 bwoc -w alpha request cancel "$id"
run bwoc -w alpha requests --deliver
expect_eq "$(state_of "$id")" cancelled
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" 0

# --- The fault test: 1,000 requests while beta is away (its folder gone:
# an unmounted share), long enough for three attempts each; alpha's service
# SIGKILLed while it retries; beta's service SIGKILLed after its work; a
# tenth of the answers lost on the way; and still every request runs once and
# every result is taken once.
before=$(count_in done)
seq 1 1000 | sed 's/.*/{"n":&}/' >inputs.jsonl
bwoc -w alpha request beta/agent-b count --inputs inputs.jsonl --deadline 10m >ids.txt
expect_eq "$(grep -c '' ids.txt)" 1000
mv beta beta.away
start_alpha
min_attempts_at_least() {
  [ "$(bwoc -w alpha requests --json | jq '[.[] | select(.state == "queued") | .attempts] | min // 0')" -ge "$1" ]
}
eventually min_attempts_at_least 3
expect_eq "$(count_in queued)" 1000
kill_hard "$ALPHA_PID"
mv beta.away beta
start_alpha
eventually count_is delivered 1000
stop_pid "$ALPHA_PID" "alpha's ingest"
# beta takes all 1000 in and answers them into alpha's folder; then it is
# killed, with nothing under way (the ledger has every answer).
start_beta
executions_at_least() { [ "$(all_executions)" -ge "$1" ]; }
eventually executions_at_least $((before + 1000))
ledger_done() { [ "$(grep -c '"op":"done"' beta/.bwoc/state/requests/ledger.jsonl)" -ge $((before + 1000)) ]; }
eventually ledger_done
kill_hard "$BETA_PID"
# A tenth of the answers never arrive.
ls alpha/.bwoc/drop/new/ | head -100 | while read -r f; do rm -f "alpha/.bwoc/drop/new/$f"; done
start_beta
start_alpha
eventually count_is done $((before + 1000))
stop_pid "$ALPHA_PID" "alpha's ingest"
stop_pid "$BETA_PID" "beta's ingest"
expect_eq "$(all_executions)" $((before + 1000))
runs_each_once() {
  cat "$WORK"/beta-*.log | grep -o 'executed {\\"n\\":[0-9]*}' | sort | uniq -d | wc -l
}
expect_eq "$(runs_each_once)" 0
expect_eq "$(bwoc -w alpha requests --json | jq --arg short "$short" '[.[] | select(.state != "done" and .state != "cancelled" and .id != $short)] | length')" 0
# Each result is the request's own.
n=$(head -500 ids.txt | tail -1)
expect_eq "$(bwoc -w alpha result "$n" | jq -c .)" '{"n":500}'

# --- A deadline that passes while beta is away: expired on both sides, and
# the skill never runs.
id=$(bwoc -w alpha request beta count --input '{"n":2000}' --deadline 1s)
run bwoc -w alpha requests --deliver
expect_eq "$(state_of "$id")" delivered
req_deadline=$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .deadline')
past_deadline() { [ "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \> "$req_deadline" ]; }
eventually past_deadline
run bwoc -w alpha requests --deliver
expect_eq "$(state_of "$id")" expired
start_beta
wait_for_text "$WORK/beta-$BETA_LOG.log" "event=request.expired"
stop_pid "$BETA_PID" "beta's ingest"
expect_eq "$(executions 2000)" 0

# --- The same request over two transports at once (path and A2A): run once.
start_beta
start_a2a beta agent-b
sed -i "/^key = \"beta\"/a url = \"$A2A_URL\"" alpha/.bwoc/routes.toml
id=$(bwoc -w alpha request beta count --input '{"n":3000}')
bwoc -w alpha requests --deliver --via path >/dev/null 2>&1 &
by_path=$!
bwoc -w alpha requests --deliver --via a2a >/dev/null 2>&1 &
by_a2a=$!
wait "$by_path" "$by_a2a"
run bwoc -w alpha result "$id" --wait 60s
expect_eq "$(echo "$OUT" | jq -c .)" '{"n":3000}'
# Both copies reached beta; the ledger ran one.
wait_for_text "$WORK/beta-$BETA_LOG.log" "kind=skill.call"
expect_eq "$(executions 3000)" 1

# --- Over MQTT: a request delivered by the broker, its answer on the
# response topic; beta's subscriber shares the ledger with the rest.
start_broker main || finish
sed -i "/^key = \"beta\"/a mqtt = { broker = \"$BROKER_URL\", topic = \"bwoc/beta\" }" alpha/.bwoc/routes.toml
start_subscriber beta agent-b
id=$(bwoc -w alpha request beta/agent-b count --input '{"n":3500}')
run bwoc -w alpha requests --deliver --via mqtt
expect_eq "$(state_of "$id")" done
expect_eq "$(bwoc -w alpha result "$id" | jq -c .)" '{"n":3500}'
expect_eq "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .via')" mqtt
stop_pid "$SUB_PID" "beta's subscriber"
expect_eq "$(executions 3500)" 1

# --- Bad answers: refused, logged, nothing changes, and never in the agent's
# inbox (decided before it is stored), whatever transport brings them.
ALPHA_INBOX=alpha/agents/agent-a/memories/inbox.jsonl
inbox_has() { grep -c -- "$1" "$ALPHA_INBOX" 2>/dev/null; }
stop_pid "$BETA_PID" "beta's ingest"
# What is left in alpha's folder first (the answers to earlier retries: each
# refused as a replay, none in the inbox), so that each count below is its own.
run bwoc -w alpha inbox ingest
id=$(bwoc -w alpha request beta count --input '{"n":4000}' --deadline 1h)
# One attempt, into beta's folder only, where no node takes it in now.
run bwoc -w alpha requests --deliver --via path
attempt=$(grep "\"id\":\"$id\"" alpha/.bwoc/state/requests/outbox.jsonl | jq -r 'select(.op == "attempt") | .env' | head -1)
expect_eq "${#attempt}" 32
drop_to_alpha() { cp "$1" "alpha/.bwoc/drop/new/$RANDOM$RANDOM.json"; }
# refused_answer SIGNER N PAYLOAD REASON: an answer SIGNER signs, bound to the
# attempt, carrying output {"n":N}: refused for REASON, kept out of the inbox,
# and the request unchanged.
refused_answer() {
  bwoc -w "$1" envelope sign --from "agent-${1:0:1}" --to agent-a --aud alpha --kind skill.result --re "$attempt" \
    --payload "$3" >"refused-$2.json"
  drop_to_alpha "refused-$2.json"
  run bwoc -w alpha inbox ingest
  expect_contains "$ERR" "event=request.answer_refused reason=\"$4\""
  # beta's courier may push results of earlier requests into the same drop meanwhile (request.outcome): count only the refusal
  expect_contains "$OUT" " 1 refused"
  expect_eq "$(inbox_has "\"n\":$2")" 0
  expect_eq "$(state_of "$id")" delivered
}
# From the wrong key (mallory, a declared peer of alpha).
refused_answer mallory 4666 '{"skill":"count","output":{"n":4666}}' "wrong key"
# From the right key, but naming another request (idem).
refused_answer beta 4667 '{"skill":"count","output":{"n":4667},"idem":"someone-elses"}' "idem is not the request's"
# From the right key, without idem, but a result of another skill.
refused_answer beta 4668 '{"skill":"sleep","output":{"n":4668}}' "a result of another skill"
# For a request alpha never made.
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result \
  --re 0123456789abcdef0123456789abcdef --payload '{"output":{"n":1},"idem":"made-up"}' >unknown.json
drop_to_alpha unknown.json
run bwoc -w alpha inbox ingest
expect_contains "$ERR" 'event=request.answer_refused reason="unknown request"'
# beta's courier may push results of earlier requests into the same drop meanwhile (request.outcome): count only the refusal
expect_contains "$OUT" " 1 refused"
expect_eq "$(inbox_has made-up)" 0
# The right answer, taken; the same answer again, and another copy of it: replays.
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":4000}}' >right.json
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":4001}}' >second.json
drop_to_alpha right.json
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" done
drop_to_alpha second.json
run bwoc -w alpha inbox ingest
expect_contains "$ERR" 'event=request.answer_refused reason="replayed: the request is done"'
# beta's courier may push results of earlier requests into the same drop meanwhile (request.outcome): count only the refusal
expect_contains "$OUT" " 1 refused"
expect_eq "$(inbox_has '"n":4000')" 1
expect_eq "$(inbox_has '"n":4001')" 0
expect_eq "$(bwoc -w alpha result "$id" | jq -c .)" '{"n":4000}'
# The same over A2A and MQTT: the one inbound layer decides, never the transport.
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":4002}}' >by-a2a.json
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":4003}}' >by-mqtt.json
start_a2a alpha agent-a
rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"message/send\",\"params\":{\"message\":{\"kind\":\"message\",\"role\":\"user\",\"messageId\":\"r1\",\"parts\":[{\"kind\":\"data\",\"data\":{\"bwoc.envelope\":$(cat by-a2a.json)}}]}}}" >/dev/null
wait_for_text "$WORK/alpha-agent-a.log" 'event=request.answer_refused reason="replayed: the request is done"'
stop_pid "$A2A_PID" "alpha's A2A endpoint"
start_subscriber alpha agent-a
expect_ok mosquitto_pub -p "$BROKER_PORT" -q 1 -t bwoc/alpha/agent-a/inbox -f by-mqtt.json
wait_for_text "$WORK/alpha-agent-a.sub.log" 'event=request.answer_refused reason="replayed: the request is done"'
stop_pid "$SUB_PID" "alpha's subscriber"
expect_eq "$(inbox_has '"n":400[23]')" 0
expect_eq "$(bwoc -w alpha result "$id" | jq -c .)" '{"n":4000}'
# After the deadline: a right answer that comes too late is refused.
id=$(bwoc -w alpha request beta count --input '{"n":5000}' --deadline 1s)
run bwoc -w alpha requests --deliver --via path
attempt=$(grep "\"id\":\"$id\"" alpha/.bwoc/state/requests/outbox.jsonl | jq -r 'select(.op == "attempt") | .env' | head -1)
req_deadline=$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .deadline')
eventually past_deadline
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --kind skill.result --re "$attempt" \
  --payload '{"skill":"count","output":{"n":5000}}' >late.json
drop_to_alpha late.json
run bwoc -w alpha inbox ingest
expect_contains "$ERR" 'event=request.answer_refused reason="after the deadline"'
expect_eq "$(inbox_has '"n":5000')" 0
expect_eq "$(state_of "$id")" expired

# --- Revocation: removing a peer, or lowering it to UNTRUSTED, cancels its
# pending requests, with a line that says so; the courier checks again at
# delivery time (a peer removed by editing routes.toml).
id=$(bwoc -w alpha request mallory count --input '{}')
run bwoc -w alpha trust set mallory UNTRUSTED
expect_contains "$OUT" "cancelled 1 pending request"
expect_eq "$(state_of "$id")" cancelled
expect_contains "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .reason')" "UNTRUSTED"
run bwoc -w alpha trust set mallory KNOWN
id=$(bwoc -w alpha request mallory count --input '{}')
run bwoc -w alpha peer remove mallory
expect_contains "$OUT" "cancelled 1 pending request"
expect_eq "$(state_of "$id")" cancelled
id=$(bwoc -w alpha request beta count --input '{"n":6000}')
sed -i '/^key = "beta"/,$d' alpha/.bwoc/routes.toml
sed -i '$d' alpha/.bwoc/routes.toml  # its [[peer]] line
run bwoc -w alpha requests --deliver
expect_eq "$(state_of "$id")" cancelled
expect_contains "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .reason')" "removed"

stop_a2a "$A2A_PID"
finish
