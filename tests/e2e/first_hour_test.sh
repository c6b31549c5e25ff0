#!/usr/bin/env bash
# A newcomer's first hour without dead ends: `peer add` says the one next
# step, and a peer that refuses us says so in words a person understands,
# without saying which check failed (only the peer's own log knows).
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b

# peer add: the other side must add us too, and here is the command for our code.
run bwoc -w alpha peer add "$(bwoc -w beta invite --path 2>/dev/null)"
expect_eq "$RC" "0"
expect_contains "$OUT" "next: beta adds this workspace too: give them the code \`bwoc invite --path\` prints here, for their \`bwoc peer add CODE\`"
expect_eq "$(echo "$OUT" | grep -c '^next:')" "1"
# An MQTT peer gets the same broker back; a url peer is told to give ours.
new_workspace gamma agent-g
run bwoc -w alpha peer add "$(bwoc -w gamma invite --mqtt-broker mqtt://broker.example:1883 --url https://gamma.example 2>/dev/null)"
expect_contains "$OUT" "\`bwoc invite --url URL --mqtt-broker mqtt://broker.example:1883\`"
# What the next step says works: beta adds us with it.
expect_ok bwoc -w beta peer add "$(bwoc -w alpha invite --path 2>/dev/null)"

# A peer that has not added us refuses over A2A: said in words, no check named.
new_workspace delta agent-d
start_a2a delta agent-d || finish
expect_ok bwoc -w alpha peer add "$(bwoc -w delta invite --url "$A2A_URL" 2>/dev/null)"
error_of 1 bwoc -w alpha send delta/agent-d --from agent-a --payload '{"hi":1}' --via a2a
expect_contains "$ERR" "did not accept our envelope, and by design does not say why"
expect_contains "$ERR" "has not added this workspace yet"
expect_contains "$ERR" "\`bwoc inbox refusals\`"
expect_not_contains "$ERR" "unknown_sender"
expect_not_contains "$ERR" "Not accepted."
# delta's own log says why.
expect_eq "$(bwoc -w delta inbox refusals --json | jq -r '.[-1].reason')" "unknown_sender"

# A peer that knows us at tier 0 answers "Not permitted": said, with what raises it.
stop_a2a "$A2A_PID"
cat >>delta/.bwoc/routes.toml <<EOT

[[peer]]
key = "alpha"
pubkey = "$(pubkey_of alpha)"
path = "$WORK/alpha"
tier = 0
EOT
start_a2a delta agent-d || finish
expect_ok bwoc -w alpha peer remove delta
expect_ok bwoc -w alpha peer add "$(bwoc -w delta invite --url "$A2A_URL" 2>/dev/null)"
error_of 1 bwoc -w alpha peer status delta --via a2a
expect_contains "$ERR" "peer \"delta\" does not let this workspace read that yet"
expect_contains "$ERR" "our trust tier there is below KNOWN"
expect_contains "$ERR" "\`bwoc trust set alpha KNOWN\` in their workspace"
stop_a2a "$A2A_PID"

# By path: a node that took the request in and never answered.
start_ready "$WORK/ingest.log" "$BWOC" -w "$WORK/gamma" inbox ingest --watch || finish
expect_ok bwoc -w alpha peer remove gamma
declare_peer alpha gamma
error_of 1 bwoc -w alpha discover gamma/agent-g --via path --timeout 3s
expect_contains "$ERR" "its node took the request in but no answer came in time"
expect_contains "$ERR" "has it added this workspace with \`bwoc peer add\`?"
expect_not_contains "$ERR" "unknown_sender"
stop_pid "$READY_PID" "inbox ingest --watch"

# Over MQTT a peer that does not accept us sends nothing back at all: it
# looks like one that is away, and the message says both.
start_broker main || finish
new_workspace epsilon agent-e
start_subscriber epsilon agent-e || finish
declare_mqtt_peer alpha epsilon "$BROKER_URL"
error_of 1 bwoc -w alpha discover epsilon/agent-e --timeout 3s
expect_contains "$ERR" "no answer from peer \"epsilon\" in time"
expect_contains "$ERR" "it is away or busy, or does not accept envelopes from this workspace (a peer never says which"
expect_eq "$(bwoc -w epsilon inbox refusals --json | jq -r '.[-1].reason')" "unknown_sender"
stop_pid "$SUB_PID" "mqtt subscribe"
finish
