#!/usr/bin/env bash
# bwoc share (the allowlist of shared documents) and bwoc task (teams' task
# lists): what can be shared, what never can, and concurrent task updates.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a agent-b
cd alpha || exit 1
mkdir -p docs
echo "# Design" >docs/design.md
echo "outside" >"$WORK/outside.md"
ln -s "$WORK/outside.md" docs/escape.md

# --- share
expect_ok bwoc share add docs/design.md --name DESIGN --description "How it is built"
expect_contains "$OUT" 'sharing "DESIGN" (docs/design.md)'
expect_eq "$(bwoc share list --json | jq -c '.[0]')" '{"name":"DESIGN","path":"docs/design.md","description":"How it is built"}'
expect_contains "$(cat .bwoc/interconnect/shared.toml)" 'path = "docs/design.md"'
error_of 1 bwoc share add docs/design.md --name DESIGN
expect_contains "$ERR" "already shared"
error_of 1 bwoc share add "$WORK/outside.md"
expect_contains "$ERR" "outside the workspace"
error_of 1 bwoc share add docs/escape.md
expect_contains "$ERR" "outside the workspace"
error_of 1 bwoc share add .bwoc/identity.toml
expect_contains "$ERR" ".bwoc/"
error_of 1 bwoc share add .bwoc/credentials/ed25519.secret
error_of 1 bwoc share add ../alpha/.bwoc/routes.toml
touch agents/agent-a/memories/inbox.jsonl
error_of 1 bwoc share add agents/agent-a/memories/inbox.jsonl
expect_contains "$ERR" "memories"
error_of 2 bwoc share add docs/nope.md
error_of 2 bwoc share add docs/design.md --name '../x'
error_of 2 bwoc share add docs/design.md --name ok --description "$(printf 'two\nlines')"
expect_eq "$(bwoc share list --json | jq length)" "1"
expect_ok bwoc share add docs/design.md --name design-copy
expect_ok bwoc share remove DESIGN
expect_eq "$(bwoc share list --json | jq -r '.[].name')" "design-copy"
error_of 2 bwoc share remove DESIGN

# --- task
expect_ok bwoc task add research "Write the analysis"
expect_eq "$OUT" "added research-1: Write the analysis"
expect_ok bwoc task claim research-1 --agent agents/agent-a
error_of 1 bwoc task claim research-1 --agent agent-b
expect_contains "$ERR" "already claimed by agent-a"
error_of 2 bwoc task claim research-1 --agent nobody
error_of 2 bwoc task claim research-99 --agent agent-a
error_of 2 bwoc task claim nonsense --agent agent-a
expect_ok bwoc task done research-1
error_of 2 bwoc task done research-1
expect_contains "$ERR" "already done"
error_of 2 bwoc task add 'Bad Team' "x"
error_of 2 bwoc task add research ""
# Twenty concurrent adds: twenty tasks, twenty distinct ids, none lost.
pids=()
for i in $(seq 1 20); do bwoc task add ops "task $i" >/dev/null & pids+=($!); done
wait "${pids[@]}"
expect_eq "$(bwoc task list ops --json | jq length)" "20"
expect_eq "$(bwoc task list ops --json | jq -r '.[].id' | sort -u | wc -l)" "20"
expect_eq "$(bwoc task list --json | jq length)" "21"
expect_eq "$(bwoc task list research --json | jq -r '.[0] | .state + " " + .claimed_by')" "done agent-a"
run bwoc task list
expect_contains "$OUT" "research-1"
# The example workspace's task list reads as it is.
expect_eq "$(bwoc -w "$TESTS_DIR/../.bwoc-example" task list --json | jq -r '.[0].id')" "research-1"
finish
