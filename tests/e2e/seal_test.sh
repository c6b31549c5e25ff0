#!/usr/bin/env bash
# Only the recipient reads it: payloads sealed to the recipient workspace's
# X25519 key cross a drop folder, an HTTP proxy and an MQTT broker, and none
# of them sees a byte of what was sealed; requests and their answers alike.
# The recipient's inbox keeps each envelope as it came and `inbox list`
# shows it opened; what does not open, or comes unsealed from a peer that
# must seal, is refused with its own reason and never delivered.
source "$(dirname "$0")/lib.sh"
INTEROP="$TESTS_DIR/interop"

new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace gamma agent-g

# --- beta publishes a task, a document, and the example's skills.
mkdir -p beta/docs
printf '# Design\n\nMARK-doc-text\n' >beta/docs/design.md
expect_ok bwoc -w beta share add beta/docs/design.md --name DESIGN --description "How beta is built"
expect_ok bwoc -w beta task add research "MARK-task-title"
give_example_skills beta agent-b

# --- The middle: a broker whose every message is recorded, an HTTP proxy
# that records every byte, and beta's drop folder looked at before beta takes it in.
start_broker main || finish
# A retained message shows when mosquitto_sub is subscribed (it has no ready line).
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t capture/ready -m "CAPTURE-READY" -q 1 -r
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t '#' -v >"$WORK/broker.capture" 2>&1 &
CAPTURE_PID=$!
wait_for_text "$WORK/broker.capture" "CAPTURE-READY"

start_a2a beta agent-b || finish
A2A_BETA=$A2A_PID
start_ready "$WORK/proxy.out" node "$INTEROP/logging_proxy.mjs" "$A2A_URL" "$WORK/http.capture" || finish
PROXY_PID=$READY_PID
PROXY_URL=$(echo "$READY_LINE" | sed -n 's/^listening \(http[^ ]*\)$/\1/p')
start_subscriber beta agent-b || finish
SUB_BETA=$SUB_PID

# --- Invites carry the X25519 key, signed by the Ed25519 key: peers that
# add them seal by default.
expect_ok bwoc -w alpha peer add "$(bwoc -w beta invite --path --url "$PROXY_URL" --mqtt-broker "$BROKER_URL" --agent agent-b)"
expect_ok bwoc -w beta peer add "$(bwoc -w alpha invite --path --mqtt-broker "$BROKER_URL")"
expect_contains "$(cat alpha/.bwoc/routes.toml)" "seal_key = \"$(bwoc -w beta trust show --json | jq -r .seal_key)\""
expect_contains "$(bwoc -w beta trust show)" "seal key     x25519:"
expect_eq "$(curl -s "$A2A_URL/.well-known/agent-card.json" | jq -r .capabilities.extensions[0].params.sealKey)" \
  "$(bwoc -w beta trust show --json | jq -r .seal_key)"

# --- Controls: the captures do record what crosses in clear.
clear=$(bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"note":"CLEAR-control"}')
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t bwoc/beta/agent-b/inbox -m "$clear" -q 1
curl -s -o /dev/null "$PROXY_URL/.well-known/agent-card.json"
wait_for_text "$WORK/broker.capture" "CLEAR-control"
expect_contains "$(cat "$WORK/http.capture")" "agent-card.json"

# --- Path: what lands in the drop folder (no ingest running yet).
run bwoc -w alpha send beta/agent-b --from agent-a --via path --payload '{"note":"MARK-send-path"}' --json
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .sealed)" "true"
mkdir -p "$WORK/drop.capture"
cp beta/.bwoc/drop/new/* "$WORK/drop.capture/"
expect_eq "$(ls "$WORK/drop.capture" | wc -l)" "1"
expect_eq "$(jq -r .sealed.alg "$WORK"/drop.capture/*)" "x25519-blake2b-xchacha20poly1305"
start_ready "$WORK/beta-ingest.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
INGEST_BETA=$READY_PID

# --- Every kind of request, over every transport, sealed; its answer too.
for via in path a2a mqtt; do
  [ "$via" != path ] && { run bwoc -w alpha send beta/agent-b --from agent-a --via "$via" --payload "{\"note\":\"MARK-send-$via\"}" --json;
    expect_eq "$(echo "$OUT" | jq -r '[.sealed, .confirmed] | join(" ")')" "true true"; }
  run bwoc -w alpha call beta word-count --via "$via" --seal --input "{\"text\":\"MARK-call-$via two\"}" --json
  expect_eq "$RC" 0
  expect_eq "$(echo "$OUT" | jq -c .payload.output.words)" "2"
  run bwoc -w alpha discover beta --via "$via" --seal --json
  expect_eq "$RC" 0
  run bwoc -w alpha peer status beta --via "$via" --seal --json
  expect_eq "$RC" 0
  expect_eq "$(echo "$OUT" | jq -r '.teams[0].open_tasks[0].title')" "MARK-task-title"
  run bwoc -w alpha peer learn beta DESIGN --via "$via" --seal
  expect_eq "$RC" 0
  expect_contains "$OUT" "MARK-doc-text"
  run bwoc -w alpha peer feedback beta agent-b --score 5 --comment "MARK-feedback-$via" --seal
  expect_eq "$RC" 0
done
# mqtt publish and a2a send seal on request too.
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"note":"MARK-publish"}' --seal --json
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .receipt.sealed.alg)" "x25519-blake2b-xchacha20poly1305"
run bwoc -w alpha a2a send "$PROXY_URL" --from agent-a --to agent-b --payload '{"note":"MARK-a2a-send"}' --seal --json
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .receipt.sealed.alg)" "x25519-blake2b-xchacha20poly1305"

# beta got every one of them, and shows them opened; its inbox keeps them
# exactly as they came (sealed, and verifiable again).
inbox=beta/agents/agent-b/memories/inbox.jsonl
listed=$(bwoc -w beta inbox list agent-b --limit 0 --json)
for mark in MARK-send-path MARK-send-a2a MARK-send-mqtt MARK-publish MARK-a2a-send; do
  expect_eq "$(echo "$listed" | jq -r --arg m "$mark" '[.[] | select(.sealed and .payload.note == $m)] | length')" "1"
done
expect_eq "$(echo "$listed" | jq -r '[.[] | select(.kind == "feedback" and .sealed)] | length')" "3"
expect_eq "$(grep -c MARK- "$inbox")" "0"
expect_ok bwoc -w beta inbox verify agent-b
expect_contains "$(bwoc -w beta inbox list agent-b)" "(sealed) {\"note\":\"MARK-send-mqtt\"}"
# alpha's answers that came back by path are in its inbox, sealed as well.
expect_eq "$(grep -c MARK- alpha/agents/agent-a/memories/inbox.jsonl)" "0"

# --- The middle saw none of it: not the requests, not the answers.
stop_pid "$CAPTURE_PID" "mosquitto_sub"
stop_pid "$PROXY_PID" "the logging proxy"
for capture in "$WORK/broker.capture" "$WORK/http.capture" "$WORK"/drop.capture/*; do
  expect_eq "$(grep -c MARK- "$capture")" "0"
done
# ... though they did carry it (sealed), answers included.
expect_contains "$(cat "$WORK/broker.capture")" "bwoc/beta/agent-b/inbox"
expect_contains "$(cat "$WORK/broker.capture")" "skill.result"
expect_contains "$(cat "$WORK/http.capture")" "peer.learn.result"

# --- What does not open is refused with its own reason, never delivered.
lines=$(lines_of "$inbox")
gamma_seal=$(bwoc -w gamma trust show --json | jq -r .seal_key)
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"note":"MARK-wrong-key"}' \
  --seal-to "$gamma_seal" >beta/.bwoc/drop/tmp/wrong.json
mv beta/.bwoc/drop/tmp/wrong.json beta/.bwoc/drop/new/wrong.json
wait_for_text beta/.bwoc/state/refusals.jsonl '"reason":"bad_seal"'
# A changed sealed member no longer verifies: refused before anything is decrypted.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"n":1}' --seal |
  jq -c '.sealed.nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"' >"$WORK/tampered.json"
expect_out bad_signature bwoc -w beta envelope verify "$WORK/tampered.json"
# A peer declared seal = "required" must seal: its envelopes in clear are refused.
stop_pid "$INGEST_BETA" "inbox ingest"
sed -i '/^key = "alpha"/a seal = "required"' beta/.bwoc/routes.toml
expect_out unsealed bwoc -w beta envelope verify <(echo "$clear")
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"note":"MARK-clear"}' >beta/.bwoc/drop/tmp/clear.json
mv beta/.bwoc/drop/tmp/clear.json beta/.bwoc/drop/new/clear.json
run bwoc -w beta inbox ingest
expect_contains "$OUT" "1 refused (unsealed 1)"
expect_out ok bwoc -w beta envelope verify <(bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --seal)
expect_eq "$(lines_of "$inbox")" "$lines"
expect_eq "$(bwoc -w beta inbox refusals --json --limit 0 | jq -r '[.[] | select(.reason == "bad_seal" or .reason == "unsealed")] | length')" "2"
# alpha seals to beta whatever it is told; to a peer whose X25519 key it
# does not know, --seal fails rather than send in clear.
sed -i '/^key = "beta"/a seal = "required"' alpha/.bwoc/routes.toml
run bwoc -w alpha send beta/agent-b --from agent-a --via path --payload '{"n":2}' --json
expect_eq "$(echo "$OUT" | jq -r .sealed)" "true"
declare_peer alpha gamma
error_of 2 bwoc -w alpha send gamma/agent-g --from agent-a --seal --payload '{"n":3}'
expect_contains "$ERR" "no X25519 key is known for peer \"gamma\""
expect_eq "$(ls gamma/.bwoc/drop/new | wc -l)" "0"

stop_pid "$SUB_BETA" "mqtt subscribe"
stop_a2a "$A2A_BETA"
finish
