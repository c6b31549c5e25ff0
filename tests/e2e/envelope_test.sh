#!/usr/bin/env bash
# Signing and verifying envelopes by hand: the spec's test vector, every
# reason code of spec section 3, and malformed input of every kind.
source "$(dirname "$0")/lib.sh"
FIXTURES="$TESTS_DIR/fixtures"

# --- The spec's section 6 vector, checked by a workspace holding its audience key.
bwoc init wenchang --name wenchang >/dev/null
echo 'public_key = "ed25519:PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw="' >>wenchang/.bwoc/identity.toml
bwoc -w wenchang agent add agent-wenchang >/dev/null
printf '[[peer]]\nkey = "guanyin"\npubkey = "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="\npath = "/nonexistent"\n' \
  >wenchang/.bwoc/routes.toml
expect_out "ok" bwoc -w wenchang envelope verify "$FIXTURES/spec-vector.json" --now 2026-11-22T08:00:00.500Z
expect_out "ok" bwoc -w wenchang envelope verify "$FIXTURES/spec-vector.json" --now 2026-11-22T08:04:00Z --via a2a
expect_out "stale" bwoc -w wenchang envelope verify "$FIXTURES/spec-vector.json" --now 2026-11-22T08:06:00Z --via a2a
expect_out "future" bwoc -w wenchang envelope verify "$FIXTURES/spec-vector.json" --now 2026-11-22T07:58:00Z
expect_exit 1 bwoc -w wenchang envelope verify "$FIXTURES/spec-vector.json" --now 2026-12-01T00:00:00Z
expect_eq "$OUT" "stale"
# Read from stdin too, and as any other implementation would send it (white space, other order).
expect_out "ok" bash -c "jq . '$FIXTURES/spec-vector.json' | '$BWOC' -w wenchang envelope verify - --now 2026-11-22T08:00:01Z"
# One changed byte anywhere in the payload breaks it.
sed 's/"score":4/"score":5/' "$FIXTURES/spec-vector.json" >tampered.json
expect_out "bad_signature" bwoc -w wenchang envelope verify tampered.json --now 2026-11-22T08:00:01Z

# --- Two workspaces: alpha signs, beta verifies.
new_workspace alpha agent-a
new_workspace beta agent-b
new_workspace stranger agent-s
declare_peer alpha beta
declare_peer beta alpha
sign_to() { local to=$1; shift; "$BWOC" -w "$WORK/alpha" envelope sign --from agent-a --to "$to" --aud beta "$@"; }
sign() { sign_to agent-b "$@"; }
verify() { "$BWOC" -w "$WORK/beta" envelope verify "$@"; }

sign --kind feedback --payload '{"score":4,"comment":"fine"}' >good.json
expect_out "ok" verify good.json
expect_eq "$(jq -r .kind good.json)" "feedback"
expect_eq "$(jq -r '.payload.score' good.json)" "4"
# Exit code and output of each check, in spec order.
bwoc -w stranger envelope sign --from agent-s --to agent-b --aud "$(pubkey_of beta)" >stranger.json
expect_out "unknown_sender" verify stranger.json
expect_exit 1 verify stranger.json
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud self >self.json
expect_out "wrong_audience" verify self.json
sign_to nobody >nobody.json
expect_out "unknown_recipient" verify nobody.json
jq -c '.payload.score = 5' good.json >changed.json
expect_out "bad_signature" verify changed.json
sign --ts "$(date -u -d '-8 days' +%Y-%m-%dT%H:%M:%SZ)" >old.json
expect_out "stale" verify old.json
expect_out "ok" verify old.json --now "$(date -u -d '-7 days' +%Y-%m-%dT%H:%M:%SZ)"
sign --ts "$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)" >ahead.json
expect_out "future" verify ahead.json
sed 's/"v":1/"v":3/' good.json >v3.json
expect_out "unsupported_version" verify v3.json
# Version 2 is a sealed envelope: with a payload instead, it is malformed.
sed 's/"v":1/"v":2/' good.json >v2.json
expect_out "malformed" verify v2.json
# A dry run records nothing; after delivery the same envelope is a replay.
cp good.json beta/.bwoc/drop/new/1.json
expect_out "ok" verify good.json
expect_eq "$(lines_of beta/agents/agent-b/memories/inbox.jsonl)" "0"
[ ! -e beta/.bwoc/state/refusals.jsonl ] && pass || failed "verify wrote the refusal log"
expect_ok bwoc -w beta inbox ingest
expect_out "replayed" verify good.json
expect_exit 1 verify good.json --explain
expect_contains "$ERR" "already accepted"
expect_exit 1 verify good.json
expect_eq "$ERR" ""   # without --explain, stderr stays quiet for scripts

# --- Malformed input of every kind is "malformed", never a crash.
malformed() { expect_out "malformed" bash -c "printf '%s' \"\$1\" | '$BWOC' -w '$WORK/beta' envelope verify -" _ "$1"; }
GOOD=$(cat good.json)
malformed ""
malformed "not json"
malformed "[]"
malformed "${GOOD%\}},\"id\":\"00112233445566778899aabbccddeeff\"}"   # duplicate member name
malformed "$(jq -c '.key = "ed25519:not*base64"' good.json)"
malformed "$(jq -c '.key = "ed25519:AAAA"' good.json)"                 # 3 bytes, not 32
malformed "$(jq -c '.aud = (.aud | sub("=$"; ""))' good.json)"        # missing padding
malformed "$(jq -c '.sig = "AAAA"' good.json)"                         # short signature
malformed "$(jq -c '.id = "ABC"' good.json)"
malformed "$(jq -c '.ts = "yesterday"' good.json)"
malformed "$(jq -c 'del(.payload)' good.json)"
malformed "$(jq -c '.re = null' good.json)"
malformed "${GOOD/\"score\":4/\"score\":9007199254740993}"            # integer beyond 2^53-1
malformed "${GOOD/\"comment\":\"fine\"/\"comment\":\"\\ud800\"}"      # lone surrogate
printf '%s' "${GOOD/fine/fi$'\xff'ne}" >badutf8.json
expect_out "malformed" verify badutf8.json
python_free_big=$(head -c 1048600 /dev/zero | tr '\0' ' ')
printf '%s%s' "$python_free_big" "$GOOD" >big.json
expect_out "malformed" verify big.json                                 # over 1 MiB
printf '%*s' 70 '' | tr ' ' '[' >deep.json
expect_out "malformed" verify deep.json

# --- Sign refuses bad input with a one-line error and prints nothing.
expect_exit 2 sign --payload '{"a":1,"a":2}'
expect_one_line_error
expect_eq "$OUT" ""
expect_exit 2 sign --payload '{"n":3e17}'
expect_contains "$ERR" "2^53"
expect_exit 2 sign --kind "Bad Kind"
expect_exit 2 bwoc -w alpha envelope sign --from agent-a --to agent-b --aud gamma
expect_exit 2 bwoc -w alpha envelope sign --from agent-a --to agent-b --aud "ed25519:AAAA"
expect_exit 2 bwoc -w alpha envelope sign --from nobody --to agent-b --aud beta
expect_exit 2 bwoc -w alpha envelope verify --via carrier-pigeon good.json
expect_exit 2 bwoc -w beta envelope verify missing.json
expect_one_line_error

finish
