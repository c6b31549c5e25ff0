#!/usr/bin/env bash
# The MQTT transport with a real mosquitto on loopback: delivery and
# receipts, what is dropped and logged, a client we did not write, the
# persistent session, the broker and the subscriber killed mid-stream, and
# the bad input of the issue. TLS, passwords and ACLs are in mqtt_auth_test.sh.
source "$(dirname "$0")/lib.sh"
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (scripts/deps.sh test)" >&2; exit 1; }

new_workspace alpha agent-a
new_workspace beta agent-b agent-c
new_workspace mallory agent-m
start_broker main || finish
BROKER_MAIN_PID=$BROKER_PID
declare_mqtt_peer alpha beta "$BROKER_URL"
declare_mqtt_peer beta alpha "$BROKER_URL"
declare_mqtt_peer mallory beta "$BROKER_URL"
INBOX=beta/agents/agent-b/memories/inbox.jsonl
REFUSALS=beta/.bwoc/state/refusals.jsonl
refusal_count() { lines_of "$REFUSALS"; }
ids_in_inbox() { jq -r .envelope.id "$INBOX" | sort; }

start_subscriber beta agent-b || finish
# Publishing waits for the receipt until it comes: a slow machine only waits longer.
RECEIPT_WAIT="${WAIT_SECONDS}s"

# --- Delivery, with a verified receipt, by mqtt publish and by send.
run bwoc -w alpha mqtt publish --agent agents/agent-a --to beta/agent-b --payload '{"n":1}' --json --wait "$RECEIPT_WAIT"
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -r .confirmed)" "true"
expect_eq "$(echo "$OUT" | jq -r .topic)" "bwoc/beta/agent-b/inbox"
expect_eq "$(echo "$OUT" | jq -r '.receipt.kind + " " + .receipt.re')" "receipt $(echo "$OUT" | jq -r .id)"
expect_eq "$(lines_of $INBOX)" "1"
expect_eq "$(jq -r .via $INBOX)" "mqtt"
expect_ok bwoc -w alpha send beta/agent-b --from agent-a --payload '{"n":2}'
expect_contains "$OUT" "via mqtt"
expect_contains "$OUT" "receipt verified"
expect_eq "$(lines_of $INBOX)" "2"
expect_ok bwoc -w beta inbox verify agent-b
expect_out "the spool is empty: every envelope published over MQTT has its receipt" bwoc -w alpha mqtt spool

# --- A pre-signed envelope published by mosquitto_pub (MQTT 3.1.1, no
# Response Topic): delivered; its receipt goes where alpha's route says.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"by":"mosquitto_pub"}' >presigned.json
# A persistent session (-c) made before publishing keeps the receipt for us.
watch_receipts() { mosquitto_sub -p "$BROKER_PORT" -V mqttv5 -c -i "watch-$1" -q 1 -t "$2" "${@:3}"; }
watch_receipts a bwoc/alpha/agent-a/receipts -E
expect_ok mosquitto_pub -p "$BROKER_PORT" -q 1 -t bwoc/beta/agent-b/inbox -f presigned.json
expect_ok watch_receipts a bwoc/alpha/agent-a/receipts -C 1 -W "$WAIT_SECONDS"
echo "$OUT" >receipt.json
expect_eq "$(jq -r .re receipt.json)" "$(jq -r .id presigned.json)"
expect_eq "$(jq -r .kind receipt.json)" "receipt"
expect_out "ok" bwoc -w alpha envelope verify receipt.json
expect_eq "$(lines_of $INBOX)" "3"

# --- Dropped and logged: tampered, unsigned, replayed, wrong audience, an
# unknown sender, a wrong recipient; then junk, a flood and an oversize
# payload. A good envelope after them all shows the subscriber kept going.
pub() { mosquitto_pub -p "$BROKER_PORT" -q 1 -t bwoc/beta/agent-b/inbox "$@"; }
before=$(refusal_count)
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"amount":1}' | sed 's/"amount":1/"amount":9/' >tampered.json
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{}' | jq -c 'del(.sig)' >unsigned.json
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud "$(pubkey_of mallory)" --payload '{}' >wrong_aud.json
bwoc -w mallory envelope sign --from agent-m --to agent-b --aud "$(pubkey_of beta)" --payload '{}' >unknown.json
bwoc -w alpha envelope sign --from agent-a --to nobody --aud beta --payload '{}' >no_agent.json
for f in tampered unsigned wrong_aud unknown no_agent presigned; do pub -f $f.json; done
pub -m 'not json at all'
pub -m '{"v":1,"a":1,"a":2}'
head -c 2100000 /dev/zero | tr '\0' 'x' >huge.txt
pub -f huge.txt 2>/dev/null   # larger than the subscriber's maximum packet size: the broker drops it
for i in $(seq 1 500); do echo "junk $i {"; done | pub -l
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"after":"the junk"}' >after.json
pub -f after.json
wait_lines $INBOX 4
expect_eq "$(tail -n 1 $INBOX | jq -r .envelope.payload.after)" "the junk"
wait_lines $REFUSALS $((before + 508))
reasons=$(jq -r .reason $REFUSALS | tail -n +$((before + 1)) | sort | uniq -c | tr -s ' ')
expect_contains "$reasons" " 1 bad_signature"
expect_contains "$reasons" " 1 wrong_audience"
expect_contains "$reasons" " 1 unknown_sender"
expect_contains "$reasons" " 1 unknown_recipient"
expect_contains "$reasons" " 1 replayed"
expect_contains "$reasons" " 503 malformed"
expect_eq "$(lines_of $INBOX)" "4"
kill -0 $SUB_PID && pass || failed "the subscriber died on bad input"

# --- An envelope for another agent of beta, on agent-b's topic: not delivered.
bwoc -w alpha envelope sign --from agent-a --to agent-c --aud beta --payload '{}' >other_agent.json
pub -f other_agent.json
expect_ok bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"n":5}' --wait "$RECEIPT_WAIT" \
  --require-receipt
expect_eq "$(lines_of $INBOX)" "5"
expect_eq "$(lines_of beta/agents/agent-c/memories/inbox.jsonl)" "0"

# --- SIGTERM: a clean exit. Published meanwhile (receipt not awaited), kept
# by the broker's persistent session, delivered when the subscriber returns.
stop_pid $SUB_PID subscriber
expect_contains "$(cat beta-agent-b.sub.log)" "event=mqtt.stopped"
ids=()
for i in $(seq 1 20); do
  run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload "{\"offline\":$i}" --wait 0s --json
  expect_eq "$(echo "$OUT" | jq -r .spooled)" "true"
  ids+=("$(echo "$OUT" | jq -r .id)")
done
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "20"
expect_eq "$(lines_of $INBOX)" "5"
start_subscriber beta agent-b || finish
wait_lines $INBOX 25
# The receipts went to a topic nobody listened on: the spool resends, the
# subscriber answers the repeats with the original receipts, nothing is added.
run bwoc -w alpha mqtt spool --retry --wait "$RECEIPT_WAIT" --json
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -c .)" '{"resent":20,"confirmed":20,"pending":0,"given_up":0}'
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"
expect_eq "$(lines_of $INBOX)" "25"
expect_eq "$(ids_in_inbox | uniq -d | wc -l)" "0"

# --- The sending agent's own subscriber resends what waits in the spool
# (--retry-interval 1s here), and the receipts it gets back empty it.
stop_pid $SUB_PID subscriber
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"resent":"by the service"}' --wait 0s --json
RESENT_ID=$(echo "$OUT" | jq -r .id)
start_ready "$WORK/alpha-agent-a.sub.log" "$BWOC" -w "$WORK/alpha" mqtt subscribe --agent agent-a \
  --broker "$BROKER_URL" --retry-interval 1s || finish
ALPHA_SUB=$READY_PID
wait_for_text alpha-agent-a.sub.log "event=mqtt.resent"
start_subscriber beta agent-b || finish
wait_lines $INBOX 26
expect_eq "$(tail -n 1 $INBOX | jq -r .envelope.id)" "$RESENT_ID"
spool_is_empty() { [ "$(bwoc -w alpha mqtt spool --json | jq length)" = 0 ]; }
eventually spool_is_empty && pass
expect_eq "$(lines_of $INBOX)" "26"   # the original and the resend: one line
stop_pid $ALPHA_SUB "alpha's subscriber"

# --- Wildcards: agent-c listens on all its slots.
start_ready "$WORK/beta-agent-c.sub.log" "$BWOC" -w "$WORK/beta" mqtt subscribe --agent agent-c \
  --broker "$BROKER_URL" --topic 'bwoc/beta/agent-c/#' || finish
C_SUB=$READY_PID
expect_contains "$READY_LINE" "bwoc/beta/agent-c/#"
expect_ok bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-c --topic bwoc/beta/agent-c/urgent \
  --payload '{"slot":"urgent"}' --wait "$RECEIPT_WAIT"
expect_contains "$OUT" "receipt verified"
expect_eq "$(jq -r .envelope.payload.slot beta/agents/agent-c/memories/inbox.jsonl)" "urgent"
stop_pid $C_SUB "agent-c's subscriber"

# publish_burst N LABEL: N envelopes, one process each, receipts not awaited;
# the ids of those that were published (exit 0) go to LABEL.ids.
publish_burst() {
  local n=$1 label=$2 i out
  : >"$label.ids"
  for i in $(seq 1 "$n"); do
    if out=$("$BWOC" -w "$WORK/alpha" mqtt publish --agent agent-a --to beta/agent-b --payload "{\"$label\":$i}" \
      --wait 0s --json 2>>"$WORK/$label.err"); then
      echo "$out" | jq -r .id >>"$label.ids"
    fi
  done
}
# every_published LABEL: after the spool is retried, each id published is in
# the inbox exactly once, and nothing is twice.
every_published() {
  run bwoc -w alpha mqtt spool --retry --wait "$RECEIPT_WAIT" --json
  expect_eq "$(echo "$OUT" | jq -r .pending)" "0"
  local missing
  missing=$(comm -23 <(sort "$1.ids") <(ids_in_inbox))
  expect_eq "$missing" ""
  expect_eq "$(ids_in_inbox | uniq -d | wc -l)" "0"
  expect_ok bwoc -w beta inbox verify agent-b
}

# --- The subscriber killed (SIGKILL) mid-stream and restarted.
publish_burst 40 sigkill &
BURST=$!
wait_lines sigkill.ids 15
kill -KILL $SUB_PID
wait $SUB_PID 2>/dev/null
start_subscriber beta agent-b || finish
wait $BURST
every_published sigkill
expect_eq "$(wc -l <sigkill.ids)" "40"

# --- The broker killed (SIGKILL) mid-stream and restarted on the same port:
# the subscriber reconnects and subscribes again by itself.
publish_burst 40 brokerkill &
BURST=$!
wait_lines brokerkill.ids 15
kill -KILL $BROKER_MAIN_PID
wait $BROKER_MAIN_PID 2>/dev/null
BROKER_FIXED_PORT=$BROKER_PORT start_broker main || finish
wait $BURST
wait_for_text beta-agent-b.sub.log "how=reconnected"
every_published brokerkill
kill -0 $SUB_PID && pass || failed "the subscriber exited when the broker went away"
# How many of the burst met the broker down depends on the machine's speed;
# that publishing works again once it is back does not.
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"after":"the restart"}' --json \
  --wait "$RECEIPT_WAIT"
expect_eq "$(echo "$OUT" | jq -r .confirmed)" "true"

# --- Bad input on the command line: one line on stderr, the right exit code.
error_of 2 bwoc -w alpha mqtt publish --agent agent-a --to nobody/agent-b --payload '{}'
error_of 2 bwoc -w alpha mqtt publish --agent agent-a --broker "$BROKER_URL" --topic 'bwoc/beta/+/inbox' --to beta/agent-b
error_of 2 bwoc -w alpha mqtt publish --agent agent-a --broker 'http://x' --to beta/agent-b
error_of 2 bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"a":'
error_of 2 bwoc -w beta mqtt subscribe --agent agent-b --broker "$BROKER_URL" --topic 'bwoc/#/x'
error_of 2 bwoc -w beta mqtt subscribe --agent agent-b --broker "$BROKER_URL" --max-pending 0
expect_contains "$ERR" "--max-pending must be at least 1"
error_of 2 bwoc -w beta mqtt subscribe --agent agent-b --broker "$BROKER_URL" --max-pending -1
expect_contains "$ERR" "--max-pending: must not be negative"
error_of 2 bwoc -w beta mqtt subscribe --agent nobody --broker "$BROKER_URL"
# A second subscriber for the same agent would fight over the session.
error_of 1 bwoc -w beta mqtt subscribe --agent agent-b --broker "$BROKER_URL"
expect_contains "$ERR" "already has a running"
# An unreachable broker: a bounded wait, then a clear error.
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-c --broker mqtt://127.0.0.1:1
expect_contains "$ERR" "cannot connect to the broker (mqtt://127.0.0.1:1)"
error_of 1 bwoc -w alpha mqtt publish --agent agent-a --broker mqtt://127.0.0.1:1 --to beta/agent-b
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"

# --- systemd units, checked by systemd itself.
if command -v systemd-analyze >/dev/null; then
  mkdir -p units
  bwoc -w beta service print mqtt --agent agents/agent-b --broker "$BROKER_URL" --credentials /etc/bwoc/mqtt.credentials \
    --user root >"units/bwoc-mqtt-beta@.service"
  bwoc -w beta service print a2a --agent agents/agent-b --port 8080 --user root >"units/bwoc-a2a-beta@.service"
  for kind in mqtt a2a; do
    cp "units/bwoc-$kind-beta@.service" "units/bwoc-$kind-beta@agent-b.service"
    run systemd-analyze verify --man=no "units/bwoc-$kind-beta@agent-b.service"
    expect_eq "$RC:$ERR" "0:"
    u=$(cat "units/bwoc-$kind-beta@.service")
    for line in Type=notify NoNewPrivileges=yes ProtectSystem=strict "ReadWritePaths=$WORK/beta" Restart=on-failure \
      "agents/%i"; do
      expect_contains "$u" "$line"
    done
  done
  expect_contains "$(cat units/bwoc-mqtt-beta@.service)" "LoadCredential=mqtt-credentials:/etc/bwoc/mqtt.credentials"
  expect_contains "$(cat units/bwoc-mqtt-beta@.service)" "--credentials %d/mqtt-credentials"
else
  echo "systemd-analyze not installed: units not verified (scripts/deps.sh test installs it)" >&2
  failed "systemd-analyze missing"
fi

stop_pid $SUB_PID subscriber
finish
