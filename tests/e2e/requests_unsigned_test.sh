#!/usr/bin/env bash
# A request waits for its peer (docs/ENVELOPE.md, "What the caller does"):
# only what the peer signs settles it. Something between us and the peer's
# A2A endpoint that answers in its place (an HTML page, a JSON-RPC error, a
# closed connection, an answer that does not verify) is a peer not reached:
# the request stays pending and is tried again, and once the peer is back
# its real answer settles it. `bwoc call` waits the same way within its
# --timeout, and then leaves the request pending rather than failing it.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer beta alpha
declare_peer alpha beta
give_example_skills beta agent-b

state_of() { bwoc -w alpha requests --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .state'; }

# beta's genuine card, kept while its node runs; then the node stops and
# something else answers on its port.
start_a2a beta agent-b
port=${A2A_URL##*:}
curl -s --max-time "$WAIT_SECONDS" "$A2A_URL/.well-known/agent-card.json" >card.json
expect_eq "$(jq -r .name card.json | grep -c .)" 1
stop_a2a "$A2A_PID"
# alpha reaches beta by A2A only.
sed -i "s|^path = \"$WORK/beta\"|url = \"$A2A_URL\"|" alpha/.bwoc/routes.toml
expect_contains "$(cat alpha/.bwoc/routes.toml)" "url = \"$A2A_URL\""

ids=()
for mode in html error reset forged; do
  start_ready "$WORK/path-$mode.log" python3 "$TESTS_DIR/e2e/untrusted_a2a_path.py" "$port" card.json "$mode" || finish
  path_pid=$READY_PID
  id=$(bwoc -w alpha request beta word-count --input "{\"text\":\"$mode mode\"}" --deadline 1h)
  ids+=("$id")
  run bwoc -w alpha requests --deliver --via a2a
  expect_eq "$RC" 0
  expect_contains "$ERR" "could not reach their peer"
  # Every request still pending, none failed by what the peer never signed.
  for earlier in "${ids[@]}"; do expect_eq "$(state_of "$earlier")" queued; done
  wait_for_text "$WORK/path-$mode.log" "answering a POST"
  posts_before=$(grep -c "answering a POST" "$WORK/path-$mode.log")
  # bwoc call: tried again within its time, then pending (exit 0), never cancelled.
  run bwoc -w alpha call beta word-count --via a2a --input '{"text":"a call"}' --timeout 2s --json
  expect_eq "$RC" 0
  expect_eq "$(echo "$OUT" | jq -r .pending)" true
  call_id=$(echo "$OUT" | jq -r .request)
  expect_eq "$(state_of "$call_id")" queued
  # Tried again within its time: more than one attempt reached the path.
  expect_eq "$(( $(grep -c "answering a POST" "$WORK/path-$mode.log") - posts_before >= 2 ))" 1
  stop_pid "$path_pid" "the untrusted path"
done

# A peer that takes a request in and answers nothing within the attempt's
# time (a long skill) is no peer out of reach: the attempts left.
start_ready "$WORK/path-silent.log" python3 "$TESTS_DIR/e2e/untrusted_a2a_path.py" "$port" card.json silent || finish
path_pid=$READY_PID
pending=$(bwoc -w alpha requests --json | jq '[.[] | select(.state == "queued")] | length')
run bwoc -w alpha requests --deliver --via a2a
expect_eq "$RC" 0
expect_contains "$ERR" "$pending sent, 0 answered, $pending not answered in time (the peer may be at work), 0 could not reach"
for id in "${ids[@]}"; do expect_eq "$(state_of "$id")" queued; done
# bwoc result --wait waits as long as it was told, not as long as an attempt may (15 s).
run timeout 10 "$BWOC" -w "$WORK/alpha" result "${ids[0]}" --wait 2s
expect_eq "$RC" 1  # no result (yet); 124 would be the 10 s bound
expect_contains "$ERR" "still pending"
stop_pid "$path_pid" "the untrusted path"

# Signed by beta's own key and bound to the attempt, but about other work
# (another idem): refused, never printed, the call still pending.
SIGNER_WS="$WORK/beta" SEAL_TO=$(bwoc -w alpha trust show --json | jq -r .seal_key) \
  start_ready "$WORK/path-signed.log" python3 "$TESTS_DIR/e2e/untrusted_a2a_path.py" "$port" card.json signed || finish
path_pid=$READY_PID
run bwoc -w alpha call beta word-count --via a2a --input '{"text":"not that one"}' --timeout 2s --json
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .pending)" true
expect_not_contains "$OUT" "666"
expect_contains "$ERR" "idem is not the request's"
expect_eq "$(state_of "$(echo "$OUT" | jq -r .request)")" queued
run bwoc -w alpha call beta word-count --via a2a --input '{"text":"not that one"}' --timeout 2s
expect_eq "$RC" 0
expect_eq "$OUT" ""
stop_pid "$path_pid" "the untrusted path"

# beta's node is back: its signed answers settle every request.
start_ready "$WORK/beta-back.log" "$BWOC" -w "$WORK/beta" a2a serve --agent agent-b --port "$port" || finish
BETA_PID=$READY_PID
run bwoc -w alpha requests --deliver --via a2a
for id in "${ids[@]}"; do expect_eq "$(state_of "$id")" done; done
expect_eq "$(bwoc -w alpha result "${ids[3]}" | jq -c .words)" 2

# bwoc call to a peer whose node comes up while it waits: answered, no failure.
stop_pid "$BETA_PID" "beta's node"
(
  read -r -t 1 <> <(:) || true  # beta comes back about a second into the call
  exec "$BWOC" -w "$WORK/beta" a2a serve --agent agent-b --port "$port" >/dev/null 2>>"$WORK/beta-late.log"
) &
late=$!
run bwoc -w alpha call beta word-count --via a2a --input '{"text":"worth the wait"}' --timeout 60s --json
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -c .payload.output.words)" 3
stop_pid "$late" "beta's late node"

finish
