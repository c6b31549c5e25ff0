#!/usr/bin/env bash
# `bwoc a2a serve` driven by the official A2A JS SDK in two generations
# (@a2a-js/sdk 1.3 speaking A2A 1.0, and 0.3.14 speaking 0.3), with envelopes
# signed by an implementation bwoc did not write (tests/interop/envelope.mjs).
source "$(dirname "$0")/lib.sh"
INTEROP="$TESTS_DIR/interop"

new_workspace beta agent-b
KEYS=$(node "$INTEROP/envelope.mjs" keygen)
SEED=$(echo "$KEYS" | jq -r .seed)
cat >>beta/.bwoc/routes.toml <<EOT
[[peer]]
key = "jsclient"
pubkey = "$(echo "$KEYS" | jq -r .key)"
path = "/nonexistent"
EOT
start_a2a beta agent-b || finish
INBOX=beta/agents/agent-b/memories/inbox.jsonl

expected=()
for generation in v1 v03; do
  run node "$INTEROP/a2a_sdk.mjs" "$generation" "$A2A_URL" "$SEED" agent-b
  if [ "$RC" -eq 0 ]; then pass; else failed "the $generation SDK client: $ERR"; fi
  for id in $(echo "$OUT" | jq -r '.delivered[]' 2>/dev/null); do expected+=("$id"); done
done

# Exactly the signed messages were delivered: the unsigned ones were not.
expect_eq "$(lines_of $INBOX)" "4"
expect_eq "$(jq -r .envelope.id $INBOX | sort | tr '\n' ' ')" "$(printf '%s\n' "${expected[@]}" | sort | tr '\n' ' ')"
expect_eq "$(jq -r .via $INBOX | sort -u)" "a2a"
expect_ok bwoc -w beta inbox verify agent-b
stop_a2a "$A2A_PID"
finish
