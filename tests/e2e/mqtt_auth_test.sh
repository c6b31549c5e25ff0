#!/usr/bin/env bash
# MQTT brokers that check who connects: TLS with a client certificate (and a
# CA that does not match), user names and passwords (and wrong ones), and an
# ACL that denies a publish and a subscription. The password never shows.
source "$(dirname "$0")/lib.sh"
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (scripts/deps.sh test)" >&2; exit 1; }

new_workspace alpha agent-a
new_workspace beta agent-b agent-c

# --- A test CA, a server certificate for 127.0.0.1, a client certificate,
# and a second CA that signed none of them.
mkdir pki && cd pki || exit 1
cert() {  # NAME SUBJECT [SAN]
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" \
    -subj "$2" 2>/dev/null
  if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" >"$1.ext"; else : >"$1.ext"; fi
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
for ca in ca evil; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $ca.key -out $ca.pem \
    -subj "/CN=bwoc test $ca" -days 2 2>/dev/null
done
cert server "/CN=127.0.0.1" "IP:127.0.0.1,DNS:localhost"
cert client "/CN=agent-b"
chmod 600 ./*.key
cd "$WORK" || exit 1
[ -s pki/server.pem ] && [ -s pki/client.pem ] && pass || failed "openssl could not make the test certificates"

# --- TLS, with a client certificate required.
start_broker tls "cafile $WORK/pki/ca.pem" "certfile $WORK/pki/server.pem" "keyfile $WORK/pki/server.key" \
  "require_certificate true" "use_identity_as_username true" || finish
TLS_URL="mqtts://127.0.0.1:$BROKER_PORT"
BROKER_URL=$TLS_URL
declare_mqtt_peer alpha beta "$TLS_URL"
declare_mqtt_peer beta alpha "$TLS_URL"
start_subscriber beta agent-b --ca pki/ca.pem --cert pki/client.pem --key pki/client.key || finish
# The sender's TLS files come from .bwoc/mqtt.toml.
cat >alpha/.bwoc/mqtt.toml <<EOT
[[broker]]
url = "$TLS_URL"
ca = "$WORK/pki/ca.pem"
cert = "$WORK/pki/client.pem"
key = "$WORK/pki/client.key"
EOT
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"over":"tls"}' --json --wait "${WAIT_SECONDS}s"
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -r .confirmed)" "true"
expect_eq "$(jq -r .envelope.payload.over beta/agents/agent-b/memories/inbox.jsonl)" "tls"
# A client we did not write, over the same TLS.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"over":"mosquitto_pub tls"}' >tls.json
expect_ok mosquitto_pub -p "$BROKER_PORT" -h 127.0.0.1 --cafile pki/ca.pem --cert pki/client.pem --key pki/client.key \
  -q 1 -t bwoc/beta/agent-b/inbox -f tls.json
wait_lines beta/agents/agent-b/memories/inbox.jsonl 2
stop_pid $SUB_PID subscriber
# A CA that did not sign the broker's certificate; no client certificate; no CA at all.
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-c --broker "$TLS_URL" --ca pki/evil.pem \
  --cert pki/client.pem --key pki/client.key
expect_contains "$ERR" "TLS"
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-c --broker "$TLS_URL" --ca pki/ca.pem
error_of 2 bwoc -w beta mqtt subscribe --agent agent-c --broker "$TLS_URL" --ca pki/ca.pem --cert pki/client.pem
expect_contains "$ERR" "needs its key"
error_of 2 bwoc -w beta mqtt subscribe --agent agent-c --broker "$TLS_URL" --ca pki/missing.pem
error_of 2 bwoc -w beta mqtt subscribe --agent agent-c --broker "mqtt://127.0.0.1:$BROKER_PORT" --ca pki/ca.pem
# The same for one envelope, which goes over a client of its own (libmosquitto):
# the same words, nothing left in the spool.
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w alpha mqtt publish --agent agent-a --to beta/agent-b --ca pki/evil.pem \
  --payload '{}'
expect_contains "$ERR" "the TLS handshake failed: the broker's certificate does not verify against the CA file pki/evil.pem"
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"
stop_pid $BROKER_PID broker

# --- User names, passwords and an ACL.
mosquitto_passwd -c -b passwd beta 'beta-S3cret!pw' 2>/dev/null
mosquitto_passwd -b passwd alpha 'alpha-S3cret!pw' 2>/dev/null
cat >acl <<'EOT'
user beta
topic read bwoc/beta/#
topic write bwoc/alpha/+/receipts
topic deny bwoc/alpha/+/inbox

user alpha
topic write bwoc/beta/+/inbox
topic read bwoc/alpha/#
EOT
start_broker auth "allow_anonymous false" "password_file $WORK/passwd" "acl_file $WORK/acl" || finish
AUTH_URL=$BROKER_URL
sed -i "s|$TLS_URL|$AUTH_URL|" alpha/.bwoc/routes.toml beta/.bwoc/routes.toml
printf 'beta:beta-S3cret!pw\n' >beta.credentials
printf 'alpha:alpha-S3cret!pw\n' >alpha.credentials
printf 'beta:wrong-password\n' >wrong.credentials
chmod 600 beta.credentials alpha.credentials wrong.credentials
cat >alpha/.bwoc/mqtt.toml <<EOT
[[broker]]
url = "$AUTH_URL"
credentials = "$WORK/alpha.credentials"
EOT
start_subscriber beta agent-b --credentials beta.credentials || finish
run bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --payload '{"over":"password"}' --json \
  --wait "${WAIT_SECONDS}s"
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -r .confirmed)" "true"
expect_eq "$(tail -n 1 beta/agents/agent-b/memories/inbox.jsonl | jq -r .envelope.payload.over)" "password"

# Wrong password, none, a file others can read: refused, and the error names
# the file, never the password.
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-c --broker "$AUTH_URL" --credentials wrong.credentials
expect_contains "$ERR" "refused the user name or password from wrong.credentials"
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w beta mqtt subscribe --agent agent-c --broker "$AUTH_URL"
error_of 1 timeout "$WAIT_SECONDS" "$BWOC" -w alpha mqtt publish --agent agent-a --to beta/agent-b \
  --credentials wrong.credentials --payload '{}'
expect_contains "$ERR" "refused the user name or password from wrong.credentials"
expect_not_contains "$ERR" "wrong-password"
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"
chmod 644 wrong.credentials
error_of 1 bwoc -w beta mqtt subscribe --agent agent-c --broker "$AUTH_URL" --credentials wrong.credentials
expect_contains "$ERR" "can be read by others"
printf 'no colon here\n' >bad.credentials && chmod 600 bad.credentials
error_of 2 bwoc -w beta mqtt subscribe --agent agent-c --broker "$AUTH_URL" --credentials bad.credentials
expect_contains "$ERR" "user:password"

# The ACL: alpha may not publish outside bwoc/beta/+/inbox: a clear error,
# nothing delivered, nothing left in the spool.
before=$(lines_of beta/agents/agent-b/memories/inbox.jsonl)
error_of 1 bwoc -w alpha mqtt publish --agent agent-a --to beta/agent-b --topic bwoc/beta/agent-b/other --payload '{}'
expect_contains "$ERR" "not authorized"
# (mosquitto 2.0 grants a subscription its ACL denies and then delivers
# nothing on it, so a denied subscription cannot be told from a quiet one;
# a broker that answers SUBACK 0x87 gets "refused the subscription".)
expect_eq "$(lines_of beta/agents/agent-b/memories/inbox.jsonl)" "$before"
expect_eq "$(bwoc -w alpha mqtt spool --json | jq length)" "0"

stop_pid $SUB_PID subscriber
# Nothing anywhere shows a password.
all_output=$(cat ./*.log ./*.broker/log 2>/dev/null; echo "$OUT$ERR")
expect_not_contains "$all_output" "S3cret"
expect_not_contains "$(cat beta/.bwoc/state/refusals.jsonl 2>/dev/null)" "S3cret"
finish
