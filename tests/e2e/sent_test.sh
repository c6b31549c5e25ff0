#!/usr/bin/env bash
# The outbound record: `bwoc sent` lists every envelope alpha sends, by any
# command and over path, A2A and MQTT, with its receipt state (sent, receipt
# verified, refused, failed); a receipt that comes later (from the MQTT
# spool) updates it, and so does a spooled envelope the spool gives up (its
# peer lowered to UNTRUSTED).
source "$(dirname "$0")/lib.sh"
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (scripts/deps.sh test)" >&2; exit 1; }

new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace gamma agent-g  # only its key: a peer no transport reaches
new_workspace delta agent-d  # serves A2A, but has not added alpha
start_broker main || finish
start_a2a delta agent-d || finish
DELTA_URL=$A2A_URL
start_a2a beta agent-b || finish
start_subscriber beta agent-b || finish
# alpha reaches beta by path, A2A and MQTT; gamma by nothing that answers;
# delta over A2A.
declare_peer alpha beta "agent = \"agent-b\"
url = \"$A2A_URL\"
mqtt = { broker = \"$BROKER_URL\", topic = \"bwoc/beta\" }"
printf '\n[[peer]]\nkey = "gone"\npubkey = "%s"\nurl = "http://127.0.0.1:1"\n' "$(pubkey_of gamma)" \
  >>alpha/.bwoc/routes.toml
printf '\n[[peer]]\nkey = "delta"\npubkey = "%s"\nurl = "%s"\n' "$(pubkey_of delta)" "$DELTA_URL" \
  >>alpha/.bwoc/routes.toml
declare_peer beta alpha 'mqtt = { broker = "'"$BROKER_URL"'", topic = "bwoc/alpha" }'

# The state and transport `bwoc sent --json` shows for an id.
state_of() {
  "$BWOC" -w "$WORK/alpha" sent --json --limit 0 |
    jq -r --arg id "$1" '.[] | select(.id == $id) | .state + " via " + .via'
}
send_id() {  # send_id VIA [send options...]: sends to beta/agent-b, prints the id
  local via=$1
  shift
  "$BWOC" -w "$WORK/alpha" send beta/agent-b --from agent-a --via "$via" --payload '{"n":1}' --json "$@" | jq -r .id
}

# --- Nothing sent yet.
expect_out "nothing sent yet: \`bwoc send PEER/AGENT --from AGENT\` sends an envelope" bwoc -w alpha sent
expect_out "[]" bwoc -w alpha sent --json

# --- One envelope over each transport: a drop into a folder is sent; over
# A2A and MQTT the peer's signed receipt was verified.
PATH_ID=$(send_id path)
A2A_ID=$(send_id a2a)
MQTT_ID=$(send_id mqtt --timeout "${WAIT_SECONDS}s")
expect_eq "$(state_of "$PATH_ID")" "sent via path"
expect_eq "$(state_of "$A2A_ID")" "receipt verified via a2a"
expect_eq "$(state_of "$MQTT_ID")" "receipt verified via mqtt"

# --- `mqtt publish` and `a2a send` build their own transport, and are recorded the same way.
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"n":2}' --wait "${WAIT_SECONDS}s" --json
expect_eq "$(state_of "$(echo "$OUT" | jq -r .id)")" "receipt verified via mqtt"
run bwoc -w alpha a2a send "$A2A_URL" --from agent-a --to agent-b --payload '{"n":3}' --json
expect_eq "$(state_of "$(echo "$OUT" | jq -r .id)")" "receipt verified via a2a"

# --- A request (peer status) is recorded too, verified by its signed answer.
expect_ok bwoc -w alpha peer status beta --via a2a --json
run bwoc -w alpha sent --json --limit 1
expect_eq "$(echo "$OUT" | jq -r '.[0].state + " " + .[0].to')" "receipt verified beta/agent-b"
expect_eq "$(echo "$OUT" | jq -r '.[0].kind')" "peer.status"

# --- A peer no transport reaches: failed.
run bwoc -w alpha send gone/agent-b --from agent-a --via a2a --timeout 5s
expect_eq "$RC" "1"
run bwoc -w alpha sent --state failed --json
expect_eq "$(echo "$OUT" | jq -r '.[0].to + " " + .[0].state')" "gone/agent-b failed"

# --- A peer that has not added alpha: refused (and it does not say why).
run bwoc -w alpha send delta/agent-d --from agent-a --via a2a
expect_eq "$RC" "1"
run bwoc -w alpha sent --state refused --json
expect_eq "$(echo "$OUT" | jq -r '.[0].to + " " + .[0].state + " " + .[0].via')" "delta/agent-d refused a2a"

# --- No receipt in time (the subscriber is away): sent, kept in the spool;
# the receipt that comes with `mqtt spool --retry` updates the record.
stop_pid "$SUB_PID" "mqtt subscribe"
LATE_ID=$(send_id mqtt --timeout 1s)
expect_eq "$(state_of "$LATE_ID")" "sent via mqtt"
start_subscriber beta agent-b || finish
run bwoc -w alpha mqtt spool --retry --wait "${WAIT_SECONDS}s" --json
expect_eq "$(echo "$OUT" | jq -c .)" '{"resent":1,"confirmed":1,"pending":0,"given_up":0}'
expect_eq "$(state_of "$LATE_ID")" "receipt verified via mqtt"

# --- A spooled envelope to a peer lowered to UNTRUSTED is given up at the
# next resend, with a log line, and recorded as failed.
stop_pid "$SUB_PID" "mqtt subscribe"
DROPPED_ID=$(send_id mqtt --timeout 1s)
expect_ok bwoc -w alpha trust set beta UNTRUSTED
run bwoc -w alpha mqtt spool --retry --wait 1s --json
expect_eq "$(echo "$OUT" | jq -c .)" '{"resent":0,"confirmed":0,"pending":0,"given_up":1}'
expect_contains "$ERR" "event=mqtt.spool_gave_up id=$DROPPED_ID"
expect_contains "$ERR" "UNTRUSTED"
expect_eq "$(state_of "$DROPPED_ID")" "failed via mqtt"
expect_out "the spool is empty: every envelope published over MQTT has its receipt" bwoc -w alpha mqtt spool

# --- The table people read, newest first, and its filters.
run bwoc -w alpha sent
expect_eq "$RC" "0"
expect_contains "$OUT" "${DROPPED_ID:0:12}"
expect_contains "$OUT" "agent-a -> beta/agent-b"
expect_contains "$(echo "$OUT" | sed -n 2p)" "failed"
expect_contains "$(echo "$OUT" | tail -1)" "envelopes shown, newest first"
expect_eq "$(bwoc -w alpha sent --state verified --json | jq length)" "6"
expect_eq "$(bwoc -w alpha sent --limit 2 --json | jq length)" "2"
error_of 2 bwoc -w alpha sent --state lost
expect_contains "$ERR" "--state is sent, verified, refused or failed"
run bwoc sent --help
expect_contains "$OUT" "receipt verified"
expect_contains "$OUT" "rotated at 4 MiB"
finish
