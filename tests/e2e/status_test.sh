#!/usr/bin/env bash
# `bwoc status`: the workspace on one screen, from its own files. Identity,
# the services that run (and one killed outright, which cannot clean up
# after itself), their endpoints and last error, peers with tier and last
# seen, active goals, envelopes in and out with their receipt, refusals of
# the last day by reason, skills and their calls; --probe, --json, and a
# routes.toml with a mistake that still leaves the rest to see.
source "$(dirname "$0")/lib.sh"

# A workspace with nothing yet says what to do next.
new_workspace alpha agent-a
expect_ok bwoc -w alpha status
expect_contains "$OUT" "workspace    alpha"
expect_contains "$OUT" "fingerprint  $(bwoc -w alpha trust show --json | jq -r .fingerprint)"
expect_contains "$OUT" "none running"
expect_contains "$OUT" "bwoc peer add CODE"
expect_contains "$OUT" "Refusals in the last 24 hours: 0"

new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha
give_example_skills alpha agent-a

# Traffic: an envelope in, a call answered, a tampered copy refused.
start_ready "$WORK/ingest.log" "$BWOC" -w "$WORK/alpha" inbox ingest --watch || finish
INGEST=$READY_PID
run bwoc -w beta send alpha/agent-a --from agent-b --kind feedback --payload '{"score":4,"comment":"ok"}'
FEEDBACK=$(echo "$OUT" | head -1 | awk '{print $2}')
expect_ok bwoc -w beta call alpha word-count --input '{"text":"one two three"}' --timeout 20s
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --payload '{"n":1}' | sed 's/"n":1/"n":2/' >"$WORK/t.json"
mv "$WORK/t.json" alpha/.bwoc/drop/new/
wait_for_text alpha/.bwoc/state/refusals.jsonl bad_signature
expect_ok bwoc -w alpha goal start beta --objective "Review the incident" --grant 2 --expires 7d
expect_ok bwoc -w alpha goal kr add g1 "Draft read"

run bwoc -w alpha status
expect_eq "$RC" "0"
expect_contains "$OUT" "ingest  all    running"
expect_contains "$OUT" "$WORK/alpha/.bwoc/drop/new"
expect_contains "$OUT" "  beta  2 INTERNAL (declared 1)  path  "
expect_contains "$OUT" "g1  beta at 2 INTERNAL until done or "
expect_contains "$OUT" "1. [ ] Draft read"
expect_contains "$OUT" "in   path  beta/agent-b  agent-a  feedback    ${FEEDBACK:0:12}  accepted"
expect_contains "$OUT" "Refusals in the last 24 hours: 1 (bad_signature 1)"
expect_contains "$OUT" "agent-a/word-count 1.0.0 (exposed, tier 1)"
expect_contains "$OUT" "provider  word-count  1      0.00%"

# --json: the same, for scripts, in the shapes of the other commands.
run bwoc -w alpha status --json
J=$OUT
expect_eq "$(echo "$J" | jq -r .fingerprint)" "$(bwoc -w alpha trust show --json | jq -r .fingerprint)"
expect_eq "$(echo "$J" | jq -c '[.peers[] | {key, tier}]')" "$(bwoc -w alpha trust list --json | jq -c '[.[] | {key: .peer, tier}]')"
expect_eq "$(echo "$J" | jq -c .goals)" "$(bwoc -w alpha goal list --json | jq -c '[.[] | select(.state == "active")]')"
expect_eq "$(echo "$J" | jq -c .calls)" "$(bwoc -w alpha skills stats --json | jq -c .)"
expect_eq "$(echo "$J" | jq -r '.envelopes.in[] | select(.kind == "feedback") | .id')" "$FEEDBACK"
expect_eq "$(echo "$J" | jq -r '.refusals_24h.by_reason.bad_signature')" "1"
expect_eq "$(echo "$J" | jq -r '.services[] | select(.kind == "ingest") | .running')" "true"
expect_eq "$(echo "$J" | jq -r '.peers[0].last_seen != null')" "true"
expect_eq "$(echo "$J" | jq -c .problems)" "[]"

# --probe: every peer probed, as `peer list` does.
run bwoc -w alpha status --probe
expect_contains "$OUT" "REACHABILITY"
expect_contains "$OUT" "reachable"
# A peer the probe has just seen was seen now, not "in the future".
expect_not_contains "$OUT" "in the future"
expect_eq "$(bwoc -w alpha status --probe --json | jq -r '.at >= .peers[0].last_seen')" "true"
expect_eq "$(bwoc -w alpha status --probe --json | jq -r '.peers[0].reachability')" "reachable"

# A service killed outright leaves its state file: it shows as not running.
start_a2a alpha agent-a || finish
run bwoc -w alpha status --json
expect_eq "$(echo "$OUT" | jq -r '.services[] | select(.kind == "a2a") | [.running, .endpoint, .agent] | join(" ")')" \
  "true $A2A_URL agent-a"
kill -KILL "$A2A_PID"
wait "$A2A_PID" 2>/dev/null
[ -e alpha/.bwoc/state/services/a2a-agent-a.json ] && pass || failed "the killed server's state file is gone"
run bwoc -w alpha status
expect_contains "$OUT" "not running (stopped without cleaning up: killed or crashed)"
expect_eq "$(bwoc -w alpha status --json | jq -r '.services[] | select(.kind == "a2a") | .running')" "false"
# A file that names a pid now used by another process is not taken for it either.
jq --argjson pid $$ '.pid = $pid | .process_start = 1' alpha/.bwoc/state/services/a2a-agent-a.json >"$WORK/s.json"
mv "$WORK/s.json" alpha/.bwoc/state/services/a2a-agent-a.json
expect_eq "$(bwoc -w alpha status --json | jq -r '.services[] | select(.kind == "a2a") | .liveness')" "not running"
rm alpha/.bwoc/state/services/a2a-agent-a.json

# MQTT: the subscriber shows its broker, and its last error when the broker goes.
start_broker main || finish
start_subscriber alpha agent-a || finish
STATE=alpha/.bwoc/state/services/mqtt-agent-a.json
expect_eq "$(jq -r .endpoint $STATE)" "$BROKER_URL"
expect_eq "$(jq -r '.last_error // "none"' $STATE)" "none"
# Out: an envelope published over MQTT and still without its receipt (no
# subscriber for gamma: it waits in the spool).
new_workspace gamma agent-g
declare_mqtt_peer beta gamma "$BROKER_URL"
run bwoc -w beta mqtt publish --agent agent-b --to gamma/agent-g --payload '{"x":1}' --wait 0s
run bwoc -w beta status --json
expect_eq "$(echo "$OUT" | jq -r '.envelopes.out[0] | [.direction, .peer, .remote_agent, .receipt] | join(",")')" \
  "out,gamma,agent-g,no receipt yet"
expect_eq "$(echo "$OUT" | jq -r '.envelopes.out[0].id')" "$(bwoc -w beta mqtt spool --json | jq -r '.[0].id')"
run bwoc -w beta status
expect_contains "$OUT" "out  mqtt  agent-b"
expect_contains "$OUT" "no receipt yet"

# Then the broker goes.
kill -TERM "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
wait_for_text $STATE "event=mqtt.disconnected" 20
run bwoc -w alpha status
expect_contains "$OUT" "level=warning event=mqtt.disconnected"
stop_pid "$SUB_PID" "mqtt subscribe"

# A mistake in routes.toml: said, and the rest still shown.
echo "[[peer]]" >>beta/.bwoc/routes.toml
run bwoc -w beta status
expect_eq "$RC" "0"
expect_contains "$OUT" "problem      peers:"
expect_contains "$OUT" "workspace    beta"
expect_ne() { if [ "$1" != "$2" ]; then pass; else failed "did not expect \"$2\""; fi; }
expect_ne "$(bwoc -w beta status --json | jq '.problems | length')" "0"

# It reads; it writes nothing, not even a lock file, in a workspace with or without goals.
listing() { find "$1" -printf '%p %s %T@\n' | sort; }
new_workspace zeta agent-z
declare_peer zeta alpha
for ws in zeta beta alpha; do
  before=$(listing $ws)
  expect_ok bwoc -w $ws status
  expect_ok bwoc -w $ws status --json
  expect_eq "$(listing $ws)" "$before"
done

stop_pid "$INGEST" "inbox ingest --watch"
[ ! -e alpha/.bwoc/state/services/ingest-all.json ] && pass || failed "ingest's state file outlived it"
error_of 2 bwoc -w alpha status --timeout 0s --probe
finish
