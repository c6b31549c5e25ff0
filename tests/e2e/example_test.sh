#!/usr/bin/env bash
# A copy of .bwoc-example/ works as a workspace and as a path peer: its
# drop and export folders are made when it needs them (git keeps no empty
# folder), and every command the README and docs/ list works on it.
source "$(dirname "$0")/lib.sh"

cp -r "$TESTS_DIR/../.bwoc-example" example
[ ! -e example/.bwoc/drop ] && pass || failed "the example carries a drop folder"
# Before it has a key, a node command says what to do.
error_of 2 bwoc -w example inbox ingest
expect_contains "$ERR" "bwoc trust --keygen"

expect_ok bwoc -w example trust --keygen
for dir in .bwoc/drop/tmp .bwoc/drop/new .bwoc/quarantine .bwoc/state; do
  [ -d "example/$dir" ] && pass || failed "no $dir after trust --keygen"
done
expect_eq "$(jq -r .workspace example/.bwoc/export/status.json)" "example"
expect_eq "$(jq -c .agents example/.bwoc/export/status.json)" '["agent-guanyin","agent-wenchang"]'

# Another workspace and the example declare each other by path.
new_workspace mine agent-m
run bwoc -w mine peer add "$(bwoc -w example invite --path --agent agent-wenchang 2>/dev/null)"
expect_contains "$OUT" "next: example adds this workspace too"
expect_ok bwoc -w example peer add "$(bwoc -w mine invite --path 2>/dev/null)"

# Seen from mine: reachable, its status, its documents.
run bwoc -w mine peer list --json
expect_eq "$(echo "$OUT" | jq -r '.[0].reachability')" "reachable"
expect_ok bwoc -w mine peer status example
expect_contains "$OUT" "team research:"
expect_ok bwoc -w mine peer learn example
expect_contains "$OUT" "DESIGN"
expect_ok bwoc -w mine peer learn example DESIGN

# Envelopes into its drop folder, taken in by its node.
expect_ok bwoc -w mine send example/agent-wenchang --from agent-m --payload '{"text":"hello"}'
expect_ok bwoc -w mine peer feedback example agent-wenchang --score 5 --comment "Clear"
expect_ok bwoc -w example inbox ingest
expect_contains "$OUT" "ingested 2: 2 accepted"
expect_ok bwoc -w example inbox list agent-wenchang
expect_ok bwoc -w example inbox verify agent-wenchang
expect_ok bwoc -w example inbox refusals

# Folders that went missing are made again when needed.
rm -rf example/.bwoc/drop example/.bwoc/export
expect_ok bwoc -w example inbox ingest
[ -d example/.bwoc/drop/new ] && pass || failed "the drop folder was not made again"
expect_ok bwoc -w mine send example/agent-wenchang --from agent-m --payload '{"text":"again"}'
expect_ok bwoc -w mine peer status example

# Its skills, discovered and called over the path transport while its node runs.
start_ready "$WORK/ingest.log" "$BWOC" -w "$WORK/example" inbox ingest --watch || finish
INGEST=$READY_PID
expect_ok bwoc -w mine discover example --timeout 20s
expect_contains "$OUT" "word-count"
expect_ok bwoc -w mine call example word-count --input '{"text":"three small words"}' --timeout 20s
expect_eq "$(echo "$OUT" | jq -c .)" '{"characters":17,"words":3}'
stop_pid "$INGEST" "inbox ingest --watch"

# Every other command of the README's table, on the example itself.
expect_ok bwoc -w example trust show
expect_ok bwoc -w example agent list
expect_ok bwoc -w example agent add agent-new
expect_ok bwoc -w example share list
expect_ok bwoc -w example share add example/docs/design.md --name DESIGN2 --description "A second name"
expect_ok bwoc -w example share remove DESIGN2
expect_ok bwoc -w example task list
expect_ok bwoc -w example task add research "Read the logs"
expect_ok bwoc -w example task claim research-2 --agent agent-guanyin
expect_ok bwoc -w example task done research-2
run bwoc -w example envelope sign --from agent-guanyin --to agent-m --aud mine --payload '{"n":1}'
echo "$OUT" >"$WORK/env.json"
expect_out ok bwoc -w mine envelope verify "$WORK/env.json"
expect_ok bwoc -w example skills list
expect_ok bwoc -w example skills preview --tier 2
expect_ok bwoc -w example skills stats
expect_ok bwoc -w example skills hide uppercase
expect_ok bwoc -w example skills expose uppercase
expect_ok bwoc -w example trust list
expect_ok bwoc -w example trust set mine 2
expect_ok bwoc -w example goal start mine --objective "Review the incident" --grant 2 --expires 7d
expect_ok bwoc -w example goal kr add g1 "Draft read"
expect_ok bwoc -w example goal kr done g1 1
expect_ok bwoc -w example goal list
expect_ok bwoc -w example goal done g1
expect_ok bwoc -w example a2a card --agent agent-wenchang
expect_ok bwoc -w example service print ingest
expect_ok bwoc -w example status
expect_contains "$OUT" "workspace    example"
# And over A2A: mine serves, the example declares its URL too.
start_a2a mine agent-m || finish
expect_ok bwoc -w example peer remove mine
expect_ok bwoc -w example peer add "$(bwoc -w mine invite --path --url "$A2A_URL" 2>/dev/null)"
expect_ok bwoc -w example a2a send "$A2A_URL" --from agent-guanyin --to agent-m --payload '{"over":"a2a"}'
expect_ok bwoc -w example send mine/agent-m --from agent-guanyin --payload '{"via":"a2a"}' --via a2a
expect_contains "$OUT" "via a2a"
stop_a2a "$A2A_PID"
expect_ok bwoc -w mine peer remove example
finish
