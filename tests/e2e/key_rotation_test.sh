#!/usr/bin/env bash
# Key rotation and revocation over every transport. alpha rotates its key
# while envelopes signed by the old one are on their way to beta by path,
# A2A and MQTT: all of them arrive, once; beta re-pins alpha (routes.toml
# rewritten as `peer add` writes it, the old fingerprint in a comment) and
# accepts the old key only for the grace period. Forged rotations change
# nothing. Then alpha revokes its key while beta is away; the revocation
# arrives when beta is back, and from then on beta refuses that key and
# lists alpha as needing a new invite.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace mallory agent-m
start_broker main || finish
start_a2a beta agent-b || finish
A2A_BETA=$A2A_PID
expect_ok bwoc -w alpha peer add "$(bwoc -w beta invite --path --url "$A2A_URL" --mqtt-broker "$BROKER_URL" --agent agent-b)"
expect_ok bwoc -w beta peer add "$(bwoc -w alpha invite --path --mqtt-broker "$BROKER_URL")"
# beta's MQTT session exists, then beta's subscriber goes away: what is
# published meanwhile waits at the broker.
start_subscriber beta agent-b || finish
stop_pid "$SUB_PID" "mqtt subscribe"
OLD=$(pubkey_of alpha)
inbox=beta/agents/agent-b/memories/inbox.jsonl

# --- In flight, signed by the old key: two in beta's drop folder (its
# ingest is not running), two at the broker, one not yet posted over A2A.
for i in 1 2; do
  expect_ok bwoc -w alpha send beta/agent-b --from agent-a --via path --payload "{\"n\":\"path-$i\"}"
  run bwoc -w alpha send beta/agent-b --from agent-a --via mqtt --timeout 1s --payload "{\"n\":\"mqtt-$i\"}" --json
  expect_eq "$(echo "$OUT" | jq -r .confirmed)" "false"
done
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"n":"a2a-1"}' >"$WORK/a2a-old.json"
# Signed now, checked later against the grace period.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"n":"late"}' >"$WORK/late.json"
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --payload '{"n":"to-old"}' >"$WORK/to-old.json"

# --- The rotation: signed by both keys, told to beta by the first
# transport that answers (its drop folder is not taken in: A2A).
run bwoc -w alpha trust rotate --grace 1h --timeout 30s
expect_eq "$RC" 0
expect_contains "$OUT" "1 of 1 peers confirmed"
expect_contains "$OUT" "confirmed over a2a"
NEW=$(pubkey_of alpha)
if [ "$NEW" != "$OLD" ]; then pass; else failed "the key did not change"; fi
routes=$(cat beta/.bwoc/routes.toml)
expect_contains "$routes" "pubkey = \"$NEW\""
expect_contains "$routes" "previous_pubkey = \"$OLD\""
old_fp=$(bwoc -w beta peer list --json | jq -r '.[0].key_state' | sed -n 's/^rotated: old key \([0-9a-f-]*\) .*/\1/p')
expect_contains "$routes" "# key $old_fp rotated to"
expect_contains "$(bwoc -w beta peer list)" "rotated: old key $old_fp accepted until"
expect_contains "$(bwoc -w beta trust list)" "rotated: old key $old_fp"
# The rest of routes.toml is as it was: only alpha's table changed.
expect_eq "$(grep -c '^\[\[peer\]\]' beta/.bwoc/routes.toml)" "1"
expect_contains "$routes" "# added by \`bwoc peer add\`"

# --- Everything in flight arrives, signed by the old key, exactly once.
run rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":{\"messageId\":\"m1\",\"role\":\"ROLE_USER\",\"parts\":[{\"data\":{\"bwoc.envelope\":$(cat "$WORK/a2a-old.json")}}]}}}" -H 'A2A-Version: 1.0'
expect_eq "$(echo "$OUT" | jq -r .result.task.status.state)" "TASK_STATE_COMPLETED"
start_ready "$WORK/beta-ingest.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
INGEST_BETA=$READY_PID
start_subscriber beta agent-b || finish
SUB_BETA=$SUB_PID
# alpha's spool still holds the two MQTT envelopes (their receipts had no
# one to go to); resent as they are, their receipts now verify.
run bwoc -w alpha mqtt spool --retry --wait 15s --json
expect_eq "$(echo "$OUT" | jq -r .pending)" "0"
wait_lines "$inbox" 6
for n in path-1 path-2 mqtt-1 mqtt-2 a2a-1; do
  expect_eq "$(bwoc -w beta inbox list agent-b --json --limit 0 | jq --arg n "$n" '[.[] | select(.payload.n == $n)] | length')" "1"
done

# --- The new key works on every transport, sealed as before.
for via in path a2a mqtt; do
  run bwoc -w alpha send beta/agent-b --from agent-a --via "$via" --payload "{\"n\":\"new-$via\"}" --json
  expect_eq "$RC" 0
  expect_eq "$(echo "$OUT" | jq -r .sealed)" "true"
  run bwoc -w alpha call beta no-such-skill --via "$via" --json
  expect_eq "$(echo "$OUT" | jq -r .payload.error)" "Unknown skill"
done
wait_lines "$inbox" 12
for via in path a2a mqtt; do
  expect_eq "$(bwoc -w beta inbox list agent-b --json --limit 0 | jq --arg n "new-$via" '[.[] | select(.payload.n == $n and .key == "'"$NEW"'")] | length')" "1"
done
expect_ok bwoc -w beta inbox verify agent-b

# --- The old key: accepted for the grace period, not a moment after (an
# injected clock: `--now`). Both ways: what beta addressed to alpha's old key too.
in_30m=$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)
in_2h=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
expect_out ok bwoc -w beta envelope verify "$WORK/late.json" --now "$in_30m"
expect_out unknown_sender bwoc -w beta envelope verify "$WORK/late.json" --now "$in_2h"
expect_out ok bwoc -w alpha envelope verify "$WORK/to-old.json" --now "$in_30m"
expect_out wrong_audience bwoc -w alpha envelope verify "$WORK/to-old.json" --now "$in_2h"

# --- Forged rotations change nothing.
before=$(cat beta/.bwoc/routes.toml)
# Signed by the pinned key only: the new key never signed the statement.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --kind key.rotate \
  --payload "{\"new_key\":\"$(pubkey_of mallory)\",\"new_key_sig\":\"$(jq -r .sig "$WORK/late.json")\",\"grace_s\":60}" \
  >beta/.bwoc/drop/tmp/forged.json
mv beta/.bwoc/drop/tmp/forged.json beta/.bwoc/drop/new/forged.json
wait_for_text beta/.bwoc/state/refusals.jsonl "Invalid key rotation: new_key_sig does not verify"
# Signed by a key beta does not pin: refused before anything else.
bwoc -w mallory envelope sign --from agent-m --to agent-b --aud "$(pubkey_of beta)" --kind key.rotate \
  --payload "{\"new_key\":\"$(pubkey_of mallory)\",\"new_key_sig\":\"x\",\"grace_s\":60}" >"$WORK/stranger.json"
expect_out unknown_sender bwoc -w beta envelope verify "$WORK/stranger.json"
expect_eq "$(cat beta/.bwoc/routes.toml)" "$before"

# --- Revocation while beta is away (every service stopped): it waits in
# beta's drop folder and at the broker.
stop_pid "$INGEST_BETA" "inbox ingest"
stop_pid "$SUB_BETA" "mqtt subscribe"
stop_a2a "$A2A_BETA"
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"n":"after-revoke"}' >"$WORK/revoked.json"
# beta has an envelope for alpha in its MQTT spool (no one takes it in at alpha).
run bwoc -w beta send alpha/agent-a --from agent-b --via mqtt --timeout 1s --payload '{"n":"queued-for-alpha"}' --json
expect_eq "$(echo "$OUT" | jq -r .confirmed)" "false"
expect_eq "$(bwoc -w beta mqtt spool --json | jq length)" "1"
error_of 2 bwoc -w alpha trust revoke
run bwoc -w alpha trust revoke --force --timeout 8s
expect_eq "$RC" 0
expect_contains "$OUT" "0 of 1 peers confirmed"
expect_out ok bwoc -w beta envelope verify "$WORK/revoked.json"
# beta is back: the revocation arrives, and the key is refused at once.
run bwoc -w beta inbox ingest
expect_contains "$OUT" "1 answered"
expect_out unknown_sender bwoc -w beta envelope verify "$WORK/revoked.json"
expect_contains "$(cat beta/.bwoc/routes.toml)" "revoked = "
expect_contains "$(bwoc -w beta peer list)" "needs a new invite"
expect_contains "$(bwoc -w beta trust list --json | jq -r '.[0].key_state')" "needs a new invite"
cp "$WORK/revoked.json" beta/.bwoc/drop/new/revoked.json
run bwoc -w beta inbox ingest
expect_contains "$OUT" "1 refused (unknown_sender 1)"
# Nothing goes to a revoked peer, by any transport, and nothing of it is
# read: whoever holds its leaked keys would open what is sealed to it.
drops_before=$(ls alpha/.bwoc/drop/new | wc -l)
for via in path mqtt; do
  error_of 1 bwoc -w beta send alpha/agent-a --from agent-b --via "$via" --payload '{"n":"to-revoked"}'
  expect_contains "$ERR" "revoked its key"
  error_of 1 bwoc -w beta call alpha no-such-skill --via "$via"
  expect_contains "$ERR" "revoked its key"
done
# Nor is anything queued for it: a request is refused at once.
error_of 1 bwoc -w beta request alpha no-such-skill --input '{}'
expect_contains "$ERR" "revoked its key"
expect_eq "$(bwoc -w beta requests --json | jq '[.[] | select(.direction == "outbound")] | length')" "0"
error_of 1 bwoc -w beta peer learn alpha
expect_contains "$ERR" "revoked its key"
expect_eq "$(ls alpha/.bwoc/drop/new | wc -l)" "$drops_before"
# A new invite brings alpha back, under its alias, with its new key.
expect_ok bwoc -w beta peer add "$(bwoc -w alpha invite --path)"
expect_contains "$(cat beta/.bwoc/routes.toml)" "was revoked at"
expect_eq "$(grep -c '^\[\[peer\]\]' beta/.bwoc/routes.toml)" "1"
# What waited in beta's spool for alpha's revoked key is dropped, never
# resent, even now that alpha is declared again under a new key.
# (A retained message shows when mosquitto_sub is subscribed.)
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t bwoc/alpha/ready -m "WIRE-READY" -q 1 -r
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'bwoc/alpha/#' -v >"$WORK/after-revoke.wire" 2>&1 &
WIRE_PID=$!
wait_for_text "$WORK/after-revoke.wire" "WIRE-READY"
run bwoc -w beta mqtt spool --retry --wait 1s --json
expect_eq "$(bwoc -w beta mqtt spool --json | jq length)" "0"
# A marker sent after the retry: once it is seen, whatever the retry published would have been.
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t bwoc/alpha/done -m "WIRE-DONE" -q 1
wait_for_text "$WORK/after-revoke.wire" "WIRE-DONE"
stop_pid "$WIRE_PID" "mosquitto_sub"
expect_not_contains "$(cat "$WORK/after-revoke.wire")" "bwoc/alpha/agent-a/inbox"
expect_ok bwoc -w alpha send beta/agent-b --from agent-a --via path --payload '{"n":"back"}'
run bwoc -w beta inbox ingest
expect_contains "$OUT" "1 accepted"
finish
