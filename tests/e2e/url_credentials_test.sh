#!/usr/bin/env bash
# Credentials never travel in URLs: every broker and peer URL that holds a
# user name or password is refused, wherever it is given (a flag, an invite
# code, routes.toml, mqtt.toml), with one line that points to the
# credentials file and never repeats the password.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
PW='S3cretPW'
ROUTES=alpha/.bwoc/routes.toml
cp $ROUTES routes.before
# refused CODE COMMAND...: exit CODE, one line that says where a password
# goes, and the password nowhere, not even in what was printed.
refused() {
  local code=$1
  shift
  error_of "$code" "$@"
  expect_contains "$ERR" "never carries a user name or password"
  expect_contains "$ERR" "credentials file"
  expect_not_contains "$OUT$ERR" "$PW"
}

# --- Flags. Passwords may hold '/', '?' or '#', which would hide where the
# host begins: every '@' is refused.
for broker in "mqtt://user:$PW@127.0.0.1:1883" "mqtts://user:pa/$PW@broker.example" "mqtt://user:$PW?x@h" \
  "mqtt://:$PW@h" "mqtt://user@h"; do
  refused 2 bwoc -w alpha invite --path --mqtt-broker "$broker"
  refused 2 bwoc -w beta service print mqtt --agent agents/agent-b --broker "$broker"
  refused 2 bwoc -w alpha mqtt publish --agent agent-a --broker "$broker" --topic bwoc/alpha/agent-a/inbox --payload '{}'
  refused 2 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-b --broker "$broker"
done
for url in "http://user:$PW@127.0.0.1:8080" "https://user:pa#$PW@a2a.example/bwoc"; do
  refused 2 bwoc -w alpha invite --url "$url"
  refused 2 bwoc -w alpha a2a send "$url" --from agent-a --to agent-b
  refused 2 bwoc -w beta a2a card --agent agent-b --public-url "$url"
  refused 2 timeout "$WAIT_SECONDS" "$BWOC" -w beta a2a serve --agent agent-b --port 0 --public-url "$url"
done
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"

# --- An invite code that carries one (made by hand: bwoc never makes it).
code_with() {
  local body checksum
  body=$(printf '{"v":1,"name":"beta","pubkey":"%s",%s}' "$(pubkey_of beta)" "$1")
  checksum=$(printf '%s' "$body" | b2sum -l 256 | cut -c1-8 | sed 's/../\\x&/g')
  printf 'bwoc1%s' "$( { printf '%s' "$body"; printf "$checksum"; } | base64 -w0 | tr '+/' '-_' | tr -d '=')"
}
refused 2 bwoc -w alpha peer add "$(code_with "\"mqtt\":{\"broker\":\"mqtt://beta:$PW@127.0.0.1:1883\",\"topic\":\"bwoc/beta\"}")"
expect_contains "$ERR" "invalid invite code"
refused 2 bwoc -w alpha peer add "$(code_with "\"url\":\"http://beta:$PW@127.0.0.1:8080\"")"
expect_eq "$(cmp $ROUTES routes.before && echo same)" "same"

# --- routes.toml and mqtt.toml written by hand: the file and line are named.
cp routes.before $ROUTES
printf '\n[[peer]]\nkey = "beta"\npubkey = "%s"\nmqtt = { broker = "mqtt://beta:%s@127.0.0.1:1883" }\n' \
  "$(pubkey_of beta)" "$PW" >>$ROUTES
refused 2 bwoc -w alpha peer list
expect_contains "$ERR" "routes.toml:"
refused 2 bwoc -w alpha send beta/agent-b --from agent-a --payload '{}'
cp routes.before $ROUTES
printf '\n[[peer]]\nkey = "beta"\npubkey = "%s"\nurl = "http://beta:%s@127.0.0.1:8080"\n' "$(pubkey_of beta)" "$PW" >>$ROUTES
refused 2 bwoc -w alpha peer list
refused 2 bwoc -w alpha peer status beta
cp routes.before $ROUTES
printf '[[broker]]\nurl = "mqtt://alpha:%s@127.0.0.1:1"\n' "$PW" >alpha/.bwoc/mqtt.toml
refused 2 bwoc -w alpha mqtt publish --agent agent-a --broker mqtt://127.0.0.1:1 --topic bwoc/alpha/agent-a/inbox --payload '{}'
expect_contains "$ERR" "mqtt.toml:"
rm alpha/.bwoc/mqtt.toml

# --- The way that works: the URL without user info, the password in a file.
printf 'alpha:%s\n' "$PW" >alpha.credentials && chmod 600 alpha.credentials
run bwoc -w beta service print mqtt --agent agents/agent-b --broker mqtt://127.0.0.1:1883 --credentials "$WORK/alpha.credentials"
expect_eq "$RC" "0"
expect_contains "$OUT" "LoadCredential=mqtt-credentials:$WORK/alpha.credentials"
expect_not_contains "$OUT" "$PW"
expect_ok bwoc -w alpha invite --path --mqtt-broker mqtt://127.0.0.1:1883
finish
