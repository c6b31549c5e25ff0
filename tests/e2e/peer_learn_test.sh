#!/usr/bin/env bash
# bwoc peer status, learn and feedback between workspaces on one machine:
# what a path peer publishes, what it never shows, traversal attempts, a
# folder that holds another key, and feedback that lands or is refused.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b agent-c
declare_peer alpha beta
declare_peer beta alpha
(cd beta && mkdir -p docs && echo "# Design of beta" >docs/design.md && echo "secret plan" >docs/private.md)
echo "outside" >"$WORK/outside.md"
ln -s "$WORK/outside.md" beta/docs/link.md
expect_ok bwoc -w beta share add beta/docs/design.md --name DESIGN --description "How beta is built"
expect_ok bwoc -w beta task add research "Analyse the incident"
expect_ok bwoc -w beta task add research "Review the fix"
expect_ok bwoc -w beta task claim research-1 --agent agent-b
expect_ok bwoc -w beta task add ops "Rotate keys"
expect_ok bwoc -w beta task done ops-1

# --- status: agents, teams, open tasks; nothing private.
run bwoc -w alpha peer status beta --json
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -c .agents)" '["agent-b","agent-c"]'
expect_eq "$(echo "$OUT" | jq -r '.teams[] | select(.name == "research") | .open_tasks | length')" "2"
expect_eq "$(echo "$OUT" | jq -r '.teams[] | select(.name == "ops") | .open_tasks | length')" "0"
expect_eq "$(echo "$OUT" | jq -r '.teams[] | select(.name == "research") | .open_tasks[0].claimed_by')" "agent-b"
expect_eq "$(echo "$OUT" | jq -r .peer)" "beta"
[ -n "$(echo "$OUT" | jq -r .verified)" ] && pass || failed "no verification time"
expect_not_contains "$OUT" "pubkey"
expect_not_contains "$OUT" "inbox"
run bwoc -w alpha peer status beta
expect_contains "$OUT" "agents: agent-b, agent-c"
expect_contains "$OUT" "research-1  claimed by agent-b  Analyse the incident"
# status reads; it never writes into the peer.
before=$(find beta -newer beta/.bwoc/export/status.json -type f | wc -l)
bwoc -w alpha peer status beta >/dev/null
bwoc -w alpha peer learn beta >/dev/null
expect_eq "$(find beta -newer beta/.bwoc/export/status.json -type f | wc -l)" "$before"

# --- learn: the list, a document, and every way out refused alike.
run bwoc -w alpha peer learn beta --json
expect_eq "$(echo "$OUT" | jq -r '.[0].name + ": " + .[0].description')" "DESIGN: How beta is built"
expect_out "# Design of beta" bwoc -w alpha peer learn beta DESIGN
for bad in private design.md docs/private.md ../beta/docs/private.md /etc/passwd '..' '%2e%2e%2fprivate' \
  'DESIGN/../private' 'docs%2Fprivate.md' nosuchdoc; do
  run bwoc -w alpha peer learn beta "$bad"
  expect_eq "$RC" "2"
  expect_eq "$ERR" "bwoc peer learn: peer \"beta\" shares no document \"$bad\""
done
# A shared name whose file was later swapped for a symlink out of the workspace.
(cd beta && rm docs/design.md && ln -s "$WORK/outside.md" docs/design.md)
run bwoc -w alpha peer learn beta DESIGN
expect_eq "$RC" "2"
expect_not_contains "$OUT" "outside"
expect_eq "$(bwoc -w alpha peer learn beta --json | jq length)" "0"

# --- A folder that holds another workspace than the pinned one: refused.
new_workspace impostor agent-b
cp -r beta/.bwoc/export impostor/.bwoc/
sed -i "s|path = \"$WORK/beta\"|path = \"$WORK/impostor\"|" alpha/.bwoc/routes.toml
error_of 1 bwoc -w alpha peer status beta
expect_contains "$ERR" "does not have the pinned key"
error_of 1 bwoc -w alpha peer learn beta
sed -i "s|path = \"$WORK/impostor\"|path = \"$WORK/beta\"|" alpha/.bwoc/routes.toml
error_of 2 bwoc -w alpha peer status nobody

# --- Over A2A: gamma reaches beta by url only; beta's node answers signed
# peer.status and peer.learn requests from declared peers of tier 1 or more.
(cd beta && rm docs/design.md && echo "# Design of beta" >docs/design.md)
new_workspace gamma agent-g
new_workspace lowtier agent-l
declare_peer beta gamma
declare_peer beta lowtier 'tier = 0'
start_a2a beta agent-b --rate-per-address 0 --rate-per-key 0 || finish
for ws in gamma lowtier mallory2; do
  [ -d "$ws" ] || new_workspace "$ws" agent-m
  printf '\n[[peer]]\nkey = "beta"\npubkey = "%s"\nurl = "%s"\n' "$(pubkey_of beta)" "$A2A_URL" >>"$ws/.bwoc/routes.toml"
done
run bwoc -w gamma peer status beta --json
expect_eq "$RC" "0"
expect_eq "$(echo "$OUT" | jq -c .agents)" '["agent-b","agent-c"]'
expect_eq "$(echo "$OUT" | jq -r '.teams[] | select(.name == "research") | .open_tasks | length')" "2"
run bwoc -w gamma peer learn beta --json
expect_eq "$(echo "$OUT" | jq -r '.[0].name + ": " + .[0].description')" "DESIGN: How beta is built"
expect_out "# Design of beta" bwoc -w gamma peer learn beta DESIGN
for bad in private docs/private.md ../beta/docs/private.md '..' '%2e%2e%2fprivate' nosuchdoc; do
  run bwoc -w gamma peer learn beta "$bad"
  expect_eq "$RC:$ERR" "2:bwoc peer learn: peer \"beta\" shares no document \"$bad\""
done
# Not enough trust: a signed "Not permitted" (spec §3: a policy refusal is an
# answer); not declared at all: no answer, and nothing said why.
error_of 1 bwoc -w lowtier peer status beta
expect_contains "$ERR" "(it answered \"Not permitted\": our trust tier there is below KNOWN)"
error_of 1 bwoc -w mallory2 peer learn beta DESIGN
expect_contains "$ERR" "did not accept"
# The node's card must publish the pinned key.
sed -i "s|pubkey = \"$(pubkey_of beta)\"|pubkey = \"$(pubkey_of alpha)\"|" lowtier/.bwoc/routes.toml
error_of 1 bwoc -w lowtier peer status beta
expect_contains "$ERR" "publishes the key"
# Reads leave nothing in beta's inboxes; feedback over A2A lands there.
expect_eq "$(lines_of beta/agents/agent-b/memories/inbox.jsonl)" "0"
expect_ok bwoc -w gamma peer feedback beta agent-b --score 4 --comment "over A2A"
expect_contains "$OUT" "via a2a"
# (sealed by default: beta's card publishes its X25519 key; `inbox list` opens it)
expect_eq "$(bwoc -w beta inbox list agent-b --json | jq -r ".[0].payload.comment")" "over A2A"
bwoc -w beta inbox refusals >/dev/null
stop_a2a "$A2A_PID"
rm beta/agents/agent-b/memories/inbox.jsonl
# A peer that answers garbage: one line, exit 1, nothing changes here.
# Each stand-in listens on a port the system picks (a fixed or random one
# can be taken) and says which.
start_ready "$WORK/garbage.log" node -e "
  const s = require('http').createServer((q, r) => r.end('{not json')).listen(0, '127.0.0.1',
    () => console.log('listening ' + s.address().port));" || finish
GARBAGE_PORT=${READY_LINE#listening }
sed -i "s|$A2A_URL|http://127.0.0.1:$GARBAGE_PORT|" gamma/.bwoc/routes.toml
cp gamma/.bwoc/routes.toml routes.gamma
error_of 1 bwoc -w gamma peer status beta
error_of 1 bwoc -w gamma peer learn beta DESIGN
expect_eq "$(cmp gamma/.bwoc/routes.toml routes.gamma && echo same)" "same"
stop_pid $READY_PID "garbage server"
# Slow (never answers) and huge (a 50 MiB card): bounded, one line, exit 1.
# Each ends well before the default timeout of 15 s would: the --timeout given
# holds, with room for a slow machine.
start_ready "$WORK/slow.log" node -e "
  require('http').createServer((q, r) => { if (q.url.includes('card')) { r.write(' '.repeat(50 << 20)); r.end(); } })
    .listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });" || finish
sed -i "s|127.0.0.1:$GARBAGE_PORT|127.0.0.1:${READY_LINE#listening }|" gamma/.bwoc/routes.toml
GARBAGE_PORT=${READY_LINE#listening }
start=$(date +%s)
error_of 1 bwoc -w gamma peer status beta --timeout 2s
[ $(( $(date +%s) - start )) -lt 13 ] && pass || failed "a huge answer was not cut short"
stop_pid $READY_PID "huge server"
start_ready "$WORK/slow2.log" node -e "
  require('http').createServer(() => {}).listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });" || finish
sed -i "s|127.0.0.1:$GARBAGE_PORT|127.0.0.1:${READY_LINE#listening }|" gamma/.bwoc/routes.toml
GARBAGE_PORT=${READY_LINE#listening }
start=$(date +%s)
error_of 1 bwoc -w gamma peer learn beta --timeout 1s
[ $(( $(date +%s) - start )) -lt 12 ] && pass || failed "a silent peer was waited for too long"
stop_pid $READY_PID "silent server"

# --- feedback: lands in the agent's inbox after the peer's checks.
expect_ok bwoc -w alpha peer feedback beta agent-b --score 5 --comment "Clear analysis"
bwoc -w beta inbox ingest >/dev/null
expect_eq "$(jq -r '.envelope.kind + " " + (.envelope.payload.score|tostring) + " " + .envelope.payload.comment' \
  beta/agents/agent-b/memories/inbox.jsonl)" "feedback 5 Clear analysis"
error_of 2 bwoc -w alpha peer feedback beta agent-b --score 9
error_of 2 bwoc -w alpha peer feedback nobody agent-b --score 3
# Feedback from a workspace beta does not know is refused there, never delivered.
new_workspace mallory agent-m
declare_peer mallory beta
expect_ok bwoc -w mallory peer feedback beta agent-b --score 1 --comment "spam"
run bwoc -w beta inbox ingest
expect_eq "$(lines_of beta/agents/agent-b/memories/inbox.jsonl)" "1"
expect_eq "$(bwoc -w beta inbox refusals --json | jq -r '.[-1].reason')" "unknown_sender"
finish
