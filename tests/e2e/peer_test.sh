#!/usr/bin/env bash
# Invite codes and `bwoc peer add / remove`: round trips, routes.toml kept as
# it was written, and codes that are cut short, altered or of another format.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
ROUTES=beta/.bwoc/routes.toml
printf '\n# hand-written, and kept: a comment, odd spacing\n[[peer]]   # inline comment\nkey   =  "gamma"\npubkey = "%s"\nurl = "http://127.0.0.1:9"\n' \
  "$(pubkey_of alpha | sed 's/^ed25519:.\{4\}/ed25519:AAAA/')" >>$ROUTES
cp $ROUTES routes.before

# --- A round trip: alpha invites, beta adds, alpha's envelopes are accepted.
run bwoc -w alpha invite --path --url http://127.0.0.1:8080 --mqtt-broker mqtt://127.0.0.1:1883 --json
expect_eq "$RC" "0"
CODE=$(echo "$OUT" | jq -r .code)
expect_eq "$(echo "$OUT" | jq -r .fingerprint)" "$(bwoc -w alpha trust show --json | jq -r .fingerprint)"
[[ "$CODE" =~ ^bwoc1[A-Za-z0-9_-]+$ ]] && pass || failed "not URL-safe: $CODE"
expect_not_contains "$CODE" "secret"
expect_ok bwoc -w beta peer add "$CODE"
expect_contains "$OUT" "added peer \"alpha\""
expect_contains "$OUT" "$(bwoc -w alpha trust show --json | jq -r .fingerprint)"
expect_eq "$(head -c "$(stat -c %s routes.before)" $ROUTES | cmp - routes.before && echo same)" "same"
expect_contains "$(cat $ROUTES)" "path = \"$WORK/alpha\""
expect_contains "$(cat $ROUTES)" 'mqtt = { broker = "mqtt://127.0.0.1:1883", topic = "bwoc/alpha" }'
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud "$(pubkey_of beta)" --payload '{}' >env.json
expect_out "ok" bwoc -w beta envelope verify env.json
# A code split over lines by a chat app still works.
printf '%s\n%s\n' "${CODE:0:60}" "${CODE:60}" >split.txt
run bwoc -w beta peer add "$(cat split.txt)" --key alpha2
expect_eq "$RC" "1"
expect_contains "$ERR" "already declared as peer \"alpha\""   # read, then refused as a second alias

# --- Codes that are cut short, altered or of another format: one line, exit
# 2, routes.toml untouched.
cp $ROUTES routes.with_alpha
altered=$(echo "$CODE" | sed 's/./X/20')
[ "$altered" != "$CODE" ] || altered=$(echo "$CODE" | sed 's/./Y/20')
for bad in "${CODE:0:30}" "${CODE:0:${#CODE}-3}" "$altered" "hello" "" "bwoc1" "https://example.com/?code=$CODE" \
  "bwoc1$(printf '{"v":1}' | base64 -w0 | tr '+/' '-_' | tr -d '=')"; do
  run bwoc -w beta peer add "$bad" --key other
  expect_eq "$RC" "2"
  expect_one_line_error
  expect_contains "$ERR" "invalid invite code"
done
expect_eq "$(cmp $ROUTES routes.with_alpha && echo same)" "same"
# An invite from another version of the format, with a valid checksum.
other=$(printf '{"v":2,"name":"x","pubkey":"%s"}' "$(pubkey_of alpha)")
checksum=$(printf '%s' "$other" | b2sum -l 256 | cut -c1-8 | sed 's/../\\x&/g')
error_of 2 bwoc -w beta peer add "bwoc1$( { printf '%s' "$other"; printf "$checksum"; } | base64 -w0 | tr '+/' '-_' | tr -d '=')"
expect_contains "$ERR" "version"
# An invite is a peer's text: an address with escape sequences, a line break
# or a space in it is refused; one with shell syntax is declared, and the
# command `peer add` tells the user to run quotes it so that nothing in it runs.
new_workspace forger agent-f
invite_with_broker() {  # BROKER as a JSON string
  local doc checksum
  doc=$(printf '{"v":1,"name":"forger","pubkey":"%s","mqtt":{"broker":%s,"topic":"bwoc/forger"}}' "$(pubkey_of forger)" "$1")
  checksum=$(printf '%s' "$doc" | b2sum -l 256 | cut -c1-8 | sed 's/../\\x&/g')
  echo "bwoc1$( { printf '%s' "$doc"; printf "$checksum"; } | base64 -w0 | tr '+/' '-_' | tr -d '=')"
}
for broker in '"mqtt://127.0.0.1:1883/\u001b]0;title\u0007\u001b[2J"' '"mqtt://127.0.0.1:1883\nnext: run this"' \
  '"mqtt://127.0.0.1:1883/ x"'; do
  error_of 2 bwoc -w beta peer add "$(invite_with_broker "$broker")"
  expect_contains "$ERR" "mqtt.broker must be an mqtt:// or mqtts:// URL"
  expect_not_contains "$ERR" $'\e'
done
expect_eq "$(cmp $ROUTES routes.with_alpha && echo same)" "same"
run bwoc -w beta peer add "$(invite_with_broker '"mqtt://127.0.0.1:1883/$(touch${IFS}pwned)'"'"'"')"
expect_eq "$RC" "0"
expect_contains "$OUT" "\`bwoc invite --mqtt-broker 'mqtt://127.0.0.1:1883/\$(touch\${IFS}pwned)'\\'''\`"
expect_ok bwoc -w beta peer remove forger
# The same key twice, its own code, a bad alias.
error_of 1 bwoc -w beta peer add "$CODE" --key alpha-again
expect_contains "$ERR" "already declared as peer \"alpha\""
error_of 2 bwoc -w alpha peer add "$CODE" --key me
expect_contains "$ERR" "own"
error_of 2 bwoc -w beta peer add "$CODE" --key 'Bad Alias'
error_of 2 bwoc -w alpha invite
expect_contains "$ERR" "--path, --url"

# --- remove: only that table goes; the file is byte for byte as before add.
expect_ok bwoc -w beta peer remove alpha
expect_eq "$(cmp $ROUTES routes.before && echo same)" "same"
expect_eq "$(bwoc -w beta envelope verify env.json)" "unknown_sender"
error_of 2 bwoc -w beta peer remove alpha
expect_ok bwoc -w beta peer remove gamma
expect_not_contains "$(cat $ROUTES)" "gamma"
expect_contains "$(cat $ROUTES)" "# hand-written, and kept"

# --- peer list: 40 live path peers, 10 that never answer (a port that
# accepts and stays silent), one whose folder holds another key, one whose
# folder is gone; all probed at once, so the whole list takes about one
# timeout, not ten. The timeout is long enough (5 s) that ten in a row (50 s)
# cannot be mistaken for one plus the work of a slow machine.
new_workspace lister agent-l
# On a port the system picks (a fixed or random one can be taken), said on its ready line.
start_ready "$WORK/silent.log" node -e "
  const s = require('net').createServer(() => {});
  s.listen(0, '127.0.0.1', () => console.log('listening ' + s.address().port));" || finish
SILENT_PID=$READY_PID
SILENT_PORT=${READY_LINE#listening }
for i in $(seq 1 40); do
  "$BWOC" init "$WORK/live$i" --name "live$i" --keygen >/dev/null
  declare_peer lister "live$i"
done
for i in $(seq 1 10); do
  "$BWOC" init "$WORK/dead$i" --name "dead$i" --keygen >/dev/null
  printf '\n[[peer]]\nkey = "dead%s"\npubkey = "%s"\nurl = "http://127.0.0.1:%s"\n' "$i" "$(pubkey_of "dead$i")" \
    "$SILENT_PORT" >>lister/.bwoc/routes.toml
done
new_workspace impostor agent-x
printf '\n[[peer]]\nkey = "wrongkey"\npubkey = "%s"\npath = "%s"\n' "$(pubkey_of alpha)" "$WORK/impostor" \
  >>lister/.bwoc/routes.toml
printf '\n[[peer]]\nkey = "gone"\npubkey = "%s"\npath = "%s"\n' "$(pubkey_of beta)" "$WORK/nowhere" \
  >>lister/.bwoc/routes.toml
new_workspace nobroker agent-n
printf '\n[[peer]]\nkey = "nobroker"\npubkey = "%s"\nmqtt = { broker = "mqtt://127.0.0.1:1", topic = "bwoc/nobroker" }\n' \
  "$(pubkey_of nobroker)" >>lister/.bwoc/routes.toml
start=$(date +%s%N)
run bwoc -w lister peer list --json --timeout 5s
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq length)" "53"
expect_eq "$(echo "$OUT" | jq '[.[] | select(.reachability == "reachable")] | length')" "40"
expect_eq "$(echo "$OUT" | jq '[.[] | select(.reachability == "unreachable")] | length')" "13"
expect_contains "$(echo "$OUT" | jq -r '.[] | select(.key == "nobroker") | .transport + ": " + .detail')" "mqtt: cannot connect to the broker (mqtt://127.0.0.1:1): Connection refused"
expect_contains "$(echo "$OUT" | jq -r '.[] | select(.key == "wrongkey") | .detail')" "another key than the pinned one"
expect_eq "$(echo "$OUT" | jq -r '.[] | select(.key == "dead3") | .transport + " " + .target')" "a2a http://127.0.0.1:$SILENT_PORT"
[ "$elapsed_ms" -lt 25000 ] && pass || failed "peer list took $elapsed_ms ms for 10 dead peers at a 5 s timeout"
echo "peer list: 53 peers, 13 unreachable (10 silent), 5 s timeout: $elapsed_ms ms" >&2
# Last seen: a live peer that goes away shows when it was last reachable.
seen=$(echo "$OUT" | jq -r '.[] | select(.key == "live1") | .last_seen')
mv "$WORK/live1" "$WORK/live1.away"
run bwoc -w lister peer list --json --timeout 1s
expect_eq "$(echo "$OUT" | jq -r '.[] | select(.key == "live1") | .reachability + " " + .last_seen')" "unreachable $seen"
run bwoc -w lister peer list --timeout 1s
expect_contains "$OUT" "unreachable (last seen $seen)"
expect_contains "$OUT" "unreachable (never seen)"
stop_pid $SILENT_PID "silent server"
finish
