#!/usr/bin/env bash
# A2A tasks that carry a skill's work (issue 14), driven by the official A2A
# JS SDK in both generations (tests/interop/a2a_tasks.mjs): submitted →
# working → completed with the signed result as the artifact, GetTask,
# streams, a subscription made mid-work, CancelTask of running work (its
# skill stopped) and of finished work. The skill waits for a word on a FIFO that the test writes
# when it is ready: no sleep decides anything.
source "$(dirname "$0")/lib.sh"
INTEROP="$TESTS_DIR/interop"

new_workspace beta agent-b
declare_js_client beta
AGENT_DIR="$WORK/beta/agents/agent-b"
GATE="$AGENT_DIR/gate.fifo"
mkfifo "$GATE"
mkdir -p "$AGENT_DIR/skills"
# Reads one word (the skill may read its agent's folder), answers with it.
printf '#!/bin/sh\nread -r word <"%s"\nprintf "{\\"word\\":\\"%%s\\"}" "$word"\n' "$GATE" >"$AGENT_DIR/skills/gate.sh"
chmod +x "$AGENT_DIR/skills/gate.sh"
jq '.skills = [{name:"gate", version:"1.0.0", description:"Answers when the test says so",
  input_schema:{type:"object"}, output_schema:{type:"object", required:["word"]},
  visibility:"exposed", run:["skills/gate.sh"], timeout:"120s"}]' \
  "$AGENT_DIR/config.manifest.json" >"$WORK/m.json" && mv "$WORK/m.json" "$AGENT_DIR/config.manifest.json"

start_a2a beta agent-b || finish
tasks=()
for generation in v1 v03; do
  run node "$INTEROP/a2a_tasks.mjs" "$generation" "$A2A_URL" "$JS_SEED" agent-b "$GATE"
  if [ "$RC" -eq 0 ]; then pass; else failed "the $generation SDK client: $ERR"; fi
  for id in $(echo "$OUT" | jq -r '.tasks[]' 2>/dev/null); do tasks+=("$id"); done
done
expect_eq "${#tasks[@]}" "10"
# CancelTask of running work stopped its skill, blocked on the gate until
# killed (once a generation): the node logs each run it ended so.
canceled_runs() { [ "$(grep -c 'event=skill.canceled' "$WORK/beta-agent-b.log")" -ge 2 ]; }
eventually canceled_runs && pass

state_of() { rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{\"id\":\"$1\"}}" | jq -r '[.result.status.state, (.result.artifacts | length)] | join(" ")'; }

# A request the provider declines with a signed error (a deadline more than
# 30 days away, a key without a deadline, a bad key) ends its task failed,
# the error as its artifact, as any error answer does: one rule for every way
# a task ends.
far=$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%S.000Z)
for payload in "{\"skill\":\"gate\",\"input\":{},\"idem\":\"t4\",\"deadline\":\"$far\"}" \
  '{"skill":"gate","input":{},"idem":"t5"}' '{"skill":"gate","input":{},"idem":"bad key!","deadline":"'"$far"'"}'; do
  call=$(node "$INTEROP/envelope.mjs" sign "$JS_SEED" "$(jq -nc --arg aud "$(pubkey_of beta)" --argjson p "$payload" \
    '{kind:"skill.call", from:"agent-js", to:"agent-b", aud:$aud, payload:$p}')")
  sent=$(rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"message/send\",\"params\":{\"message\":{\"kind\":\"message\",\"role\":\"user\",\"messageId\":\"d1\",\"parts\":[{\"kind\":\"data\",\"data\":{\"bwoc.envelope\":$call}}]}}}")
  expect_eq "$(echo "$sent" | jq -r '[.result.status.state, .result.artifacts[0].parts[0].data["bwoc.envelope"].kind] | join(" ")')" "failed error"
  expect_eq "$(state_of "$(echo "$sent" | jq -r .result.id)")" "failed 1"
done

# Work under way when the node is killed is failed when it starts again: it
# will not answer now, and its task says so.
call=$(node "$INTEROP/envelope.mjs" sign "$JS_SEED" "$(jq -nc --arg aud "$(pubkey_of beta)" \
  '{kind:"skill.call", from:"agent-js", to:"agent-b", aud:$aud, payload:{skill:"gate", input:{}}}')")
sent=$(rpc "$A2A_URL" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"message/send\",\"params\":{\"configuration\":{\"blocking\":false},\"message\":{\"kind\":\"message\",\"role\":\"user\",\"messageId\":\"k1\",\"parts\":[{\"kind\":\"data\",\"data\":{\"bwoc.envelope\":$call}}]}}}")
killed=$(echo "$sent" | jq -r .result.id)
working() { [ "$(state_of "$killed")" = "working 0" ]; }
eventually working && pass
{ kill -KILL "$A2A_PID" && wait "$A2A_PID"; } 2>/dev/null
# The skill, if it outlived the node, is let go (opening read-write never blocks).
exec 3<>"$GATE" && echo gone >&3 && exec 3>&-

start_a2a beta agent-b || finish
expect_eq "$(state_of "$killed")" "failed 0"
expect_contains "$(cat "$WORK/beta-agent-b.log")" "event=a2a.tasks_ended"
# What was finished stays as it was told: completed with the answer, canceled without.
for i in 0 5; do expect_eq "$(state_of "${tasks[$i]}")" "completed 1"; done
for i in 4 9; do expect_eq "$(state_of "${tasks[$i]}")" "canceled 0"; done
stop_a2a "$A2A_PID"
finish
