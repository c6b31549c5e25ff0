#!/usr/bin/env bash
# bwoc against an implementation it did not write (canonicalize + @noble/ed25519
# from npm, tests/interop/envelope.mjs), in both directions, including the
# spec's test vector.
source "$(dirname "$0")/lib.sh"
NODE_ENV_JS="$TESTS_DIR/interop/envelope.mjs"
node() { command node "$NODE_ENV_JS" "$@"; }

# The spec vector verifies with the independent implementation too.
expect_out "ok" node verify "$TESTS_DIR/fixtures/spec-vector.json"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha

# bwoc signs, the other implementation verifies, for payloads that exercise JCS.
for payload in '{"score":4}' '{"n":[1e21,1E-7,-0.0,0.1,100,333333333.33333329]}' \
               '{"\u20ac":"\u2028","\ud83d\ude00":true,"\ufb33":null,"a\u0000b":"\t"}' \
               '{"nested":{"z":[{"b":1,"a":2}],"y":"caf\u00e9"}}'; do
  bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload "$payload" >env.json
  expect_out "ok" node verify env.json
done
jq -c '.payload.extra = 1' env.json >tampered.json
expect_out "bad_signature" node verify tampered.json

# The other implementation signs, bwoc verifies and delivers.
KEYS=$(node keygen)
SEED=$(echo "$KEYS" | jq -r .seed)
cat >>beta/.bwoc/routes.toml <<EOT

[[peer]]
key = "gamma"
pubkey = "$(echo "$KEYS" | jq -r .key)"
path = "$WORK/nowhere"
EOT
AUD=$(pubkey_of beta)
for payload in '{"text":"hello from node"}' '{"n":[1e21,0.000001,-0.5,1.5e-7]}' '{"\ud83d\ude00":[{"b":1,"a":"\u2028"}]}'; do
  node sign "$SEED" "{\"kind\":\"message\",\"from\":\"agent-g\",\"to\":\"agent-b\",\"aud\":\"$AUD\",\"payload\":$payload}" >node.json
  expect_out "ok" bwoc -w beta envelope verify node.json
  cp node.json beta/.bwoc/drop/new/$RANDOM.json
done
expect_ok bwoc -w beta inbox ingest
expect_contains "$OUT" "3 accepted"
expect_ok bwoc -w beta inbox verify agent-b
jq -c '.payload = {"text":"changed"}' node.json >node-tampered.json
expect_out "bad_signature" bwoc -w beta envelope verify node-tampered.json

# Sealed payloads (envelope v2), against an independent implementation
# (tests/interop/sealed.mjs: @noble/curves, @noble/hashes, @noble/ciphers).
SEALED_JS="$TESTS_DIR/interop/sealed.mjs"
expect_out "ok" command node "$SEALED_JS" vector "$TESTS_DIR/fixtures/sealed-vector.json"
# bwoc seals, the other implementation opens (with beta's X25519 secret, read
# from the credential store of this test's own workspace).
beta_secret=$(sed -n 's/^x25519-secret://p' beta/.bwoc/credentials/x25519.secret | base64 -d | od -An -tx1 | tr -d ' \n')
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud "$(pubkey_of beta)" \
  --seal-to "$(bwoc -w beta trust show --json | jq -r .seal_key)" --payload '{"sealed":"by bwoc"}' >sealed.json
expect_out '{"sealed":"by bwoc"}' command node "$SEALED_JS" open sealed.json "$beta_secret"
# The other implementation seals, bwoc checks, opens and delivers it.
command node "$SEALED_JS" seal "$TESTS_DIR/fixtures/sealed-vector.json" "$(bwoc -w beta trust show --json | jq -r .seal_key)" \
  "$SEED" "$(pubkey_of beta)" 00000000000000000000000000000002 >js-sealed.json
expect_out "ok" bwoc -w beta envelope verify js-sealed.json
cp js-sealed.json beta/.bwoc/drop/new/js-sealed.json
expect_ok bwoc -w beta inbox ingest
expect_eq "$(bwoc -w beta inbox list agent-b --json --limit 0 | jq -r '.[] | select(.sealed) | .payload.note')" "sealed by JS"

finish
