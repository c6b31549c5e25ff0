#!/usr/bin/env bash
# `bwoc a2a serve` driven by the official A2A JS SDK in two generations
# (@a2a-js/sdk 1.3 speaking A2A 1.0, and 0.3.14 speaking 0.3), with envelopes
# signed by an implementation bwoc did not write (tests/interop/envelope.mjs).
source "$(dirname "$0")/lib.sh"
INTEROP="$TESTS_DIR/interop"

new_workspace beta agent-b
declare_js_client beta
start_a2a beta agent-b || finish
INBOX=beta/agents/agent-b/memories/inbox.jsonl

expected=()
for generation in v1 v03; do
  run node "$INTEROP/a2a_sdk.mjs" "$generation" "$A2A_URL" "$JS_SEED" agent-b
  if [ "$RC" -eq 0 ]; then pass; else failed "the $generation SDK client: $ERR"; fi
  for id in $(echo "$OUT" | jq -r '.delivered[]' 2>/dev/null); do expected+=("$id"); done
done

# Exactly the signed messages were delivered: the unsigned ones were not.
expect_eq "$(lines_of $INBOX)" "4"
expect_eq "$(jq -r .envelope.id $INBOX | sort | tr '\n' ' ')" "$(printf '%s\n' "${expected[@]}" | sort | tr '\n' ' ')"
expect_eq "$(jq -r .via $INBOX | sort -u)" "a2a"
expect_ok bwoc -w beta inbox verify agent-b

# The card is signed (A2A `signatures`: a JWS, EdDSA, over its RFC 8785 form),
# and an independent JWS implementation (npm's jose) verifies it with the
# workspace's key, and with no other; the SDKs above read it all the same.
expect_out ok node "$INTEROP/card_jws.mjs" "$A2A_URL/.well-known/agent-card.json" "$(pubkey_of beta)"
expect_exit 1 node "$INTEROP/card_jws.mjs" "$A2A_URL/.well-known/agent-card.json" "$JS_KEY"
stop_a2a "$A2A_PID"

# bwoc's own clients check the signature against the pinned key before they
# use anything on a card: a card changed after signing, or not signed, is refused.
new_workspace alpha agent-a
mkdir -p "$WORK/fake/.well-known"
cat >"$WORK/fake/serve.mjs" <<'EOT'
import http from 'node:http';
import { readFileSync } from 'node:fs';
const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(readFileSync(process.argv[2]));
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${server.address().port}`));
EOT
start_ready "$WORK/fake.log" node "$WORK/fake/serve.mjs" "$WORK/fake/card.json" || finish
FAKE_URL=$(echo "$READY_LINE" | sed -n 's/^listening //p')
cat >>alpha/.bwoc/routes.toml <<EOT
[[peer]]
key = "beta"
pubkey = "$(pubkey_of beta)"
url = "$FAKE_URL"
EOT
bwoc -w beta a2a card --agent agent-b --public-url "$FAKE_URL" >"$WORK/fake/card.json"
expect_eq "$(bwoc -w alpha peer list --json | jq -r '.[0].reachability')" "reachable"
bwoc -w beta a2a card --agent agent-b --public-url "$FAKE_URL" | jq '.description = "Changed on the way"' >"$WORK/fake/card.json"
run bwoc -w alpha peer list --json
expect_eq "$(echo "$OUT" | jq -r '.[0].reachability')" "unreachable"
expect_contains "$(echo "$OUT" | jq -r '.[0].detail')" "signature does not verify with the pinned key"
error_of 1 bwoc -w alpha send beta/agent-b --from agent-a --payload '{}'
bwoc -w beta a2a card --agent agent-b --public-url "$FAKE_URL" | jq 'del(.signatures)' >"$WORK/fake/card.json"
expect_contains "$(bwoc -w alpha peer list --json | jq -r '.[0].detail')" "not signed"
finish
