#!/usr/bin/env bash
# The path transport: send into a peer's drop folder, ingest, and the inbox's
# guarantees (exactly once, durable, repaired after a torn write, nothing lost
# when the disk is full).
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b agent-c
declare_peer alpha beta
declare_peer beta alpha
A="bwoc -w $WORK/alpha"
B="bwoc -w $WORK/beta"
INBOX=beta/agents/agent-b/memories/inbox.jsonl

# The sender writes only into the drop folder's tmp/ and new/.
(cd beta && find . -path ./.bwoc/drop -prune -o -print | sort) >before.txt
expect_ok $A send beta/agent-b --from agent-a --kind feedback --payload '{"score":4,"comment":"Excellent."}'
expect_contains "$OUT" "via path"
(cd beta && find . -path ./.bwoc/drop -prune -o -print | sort) >after.txt
expect_eq "$(diff before.txt after.txt && echo same)" "same"
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" "1"
expect_eq "$(ls beta/.bwoc/drop/tmp | wc -l)" "0"
expect_eq "$(lines_of $INBOX)" "0"          # delivered only once the peer ingests

expect_ok $B inbox ingest
expect_contains "$OUT" "1 accepted"
expect_eq "$(lines_of $INBOX)" "1"
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" "0"
expect_ok $B inbox list agent-b
expect_contains "$OUT" "alpha/agent-a"
expect_contains "$OUT" "feedback"
expect_eq "$($B inbox list agent-b --json | jq -r '.[0].payload.comment')" "Excellent."
expect_eq "$($B inbox list agent-b --json | jq -r '.[0].peer')" "alpha"
expect_eq "$(head -1 $INBOX | jq -r .via)" "path"
expect_ok $B inbox verify agent-b
expect_contains "$OUT" "1 verified"

# Tampered and replayed copies are refused, quarantined and logged.
jq -c '.envelope' $INBOX >original.json
jq -c '.payload.score = 5' original.json >beta/.bwoc/drop/new/tampered.json
cp original.json beta/.bwoc/drop/new/replay.json
expect_ok $B inbox ingest
expect_contains "$OUT" "1 already delivered"
expect_contains "$OUT" "bad_signature 1"
expect_eq "$(lines_of $INBOX)" "1"
expect_eq "$(ls beta/.bwoc/quarantine)" "tampered.json"
run $B inbox refusals --json
expect_eq "$(echo "$OUT" | jq -r '[.[].reason] | sort | join(",")')" "bad_signature,replayed"
expect_eq "$(echo "$OUT" | jq -r '.[0].peer')" "alpha"

# Errors of the sending side are one line, and change nothing.
expect_exit 2 $A send beta/nobody-at-all --from nobody
expect_one_line_error
expect_exit 2 $A send gamma/agent-b --from agent-a
expect_one_line_error
expect_exit 2 $A send beta --from agent-a
expect_one_line_error
expect_exit 2 $A send beta/agent-b --from agent-a --via a2a
expect_contains "$ERR" "declares no url"
mv beta beta-moved
expect_exit 1 $A send beta/agent-b --from agent-a
expect_one_line_error
expect_contains "$ERR" "cannot reach peer \"beta\""
mv beta-moved beta
# A peer whose key is not the pinned one is not written to at all.
new_workspace impostor agent-b
sed -i "s|path = \"$WORK/beta\"|path = \"$WORK/impostor\"|" alpha/.bwoc/routes.toml
expect_exit 1 $A send beta/agent-b --from agent-a
expect_contains "$ERR" "routes.toml pins"
expect_eq "$(ls impostor/.bwoc/drop/new | wc -l)" "0"
sed -i "s|path = \"$WORK/impostor\"|path = \"$WORK/beta\"|" alpha/.bwoc/routes.toml

# Concurrency: four senders and three ingesters at once; every envelope ends
# up in the inbox exactly once.
rm -f $INBOX
for s in 1 2 3 4; do
  (for i in $(seq 1 25); do $A send beta/agent-c --from agent-a --payload "{\"s\":$s,\"i\":$i}" >/dev/null || echo fail; done) >"send$s.log" &
done
for g in 1 2 3; do
  (for i in $(seq 1 15); do $B inbox ingest >/dev/null || echo fail; done) >"ingest$g.log" &
done
wait
cat send*.log ingest*.log >all.log
expect_eq "$(grep -c fail all.log)" "0"
expect_ok $B inbox ingest
CINBOX=beta/agents/agent-c/memories/inbox.jsonl
expect_eq "$(lines_of $CINBOX)" "100"
expect_eq "$(jq -r '.envelope.id' $CINBOX | sort -u | wc -l)" "100"
expect_ok $B inbox verify agent-c

# A crash that tore the last line: detected, moved aside, never kept.
LINE=$(tail -1 $CINBOX)
printf '%s' "${LINE:0:120}" >>$CINBOX
expect_exit 1 $B inbox verify agent-c
expect_contains "$OUT" "torn last line"
expect_ok $A send beta/agent-c --from agent-a --payload '{"after":"crash"}'
expect_ok $B inbox ingest
expect_eq "$(lines_of $CINBOX)" "101"
expect_ok $B inbox verify agent-c
expect_eq "$($B inbox refusals --json | jq -r '[.[] | select(.reason == "torn_line")] | length')" "1"
ls beta/.bwoc/state/torn/*.partial >/dev/null 2>&1 && pass || failed "torn fragment not kept aside"

# A full disk on append: the envelope stays in the drop folder, the command
# fails clearly, and a later ingest delivers it once.
expect_ok $A send beta/agent-c --from agent-a --payload '{"disk":"full"}'
run bash -c "ulimit -f 1; '$BWOC' -w '$WORK/beta' inbox ingest"
expect_eq "$RC" "1"
expect_contains "$ERR" "could not be stored"
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" "1"
expect_eq "$(lines_of $CINBOX)" "101"
expect_ok $B inbox ingest
expect_eq "$(lines_of $CINBOX)" "102"
expect_ok $B inbox verify agent-c

finish
