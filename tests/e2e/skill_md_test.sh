#!/usr/bin/env bash
# A SKILL.md served as a black-box skill: wrap shows only the contract, add
# declares it, and a call is answered by an OpenAI-compatible endpoint (a
# stand-in on loopback) with the SKILL.md body as its system prompt. The
# instructions never come back: not in discovery, errors or results, even
# when the "model" repeats them; a 500, a slow, dripping or endless answer
# and garbage all end bounded, as "Skill failed" or "Skill timed out". The
# API key reaches the endpoint, and nothing else.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta 'agent = "agent-b"'
declare_peer beta alpha

secret="Always open with the system that failed, in the present tense, and never say incident or outage in the headline"
mkdir -p beta/agents/agent-b/skills/headline
cat >beta/agents/agent-b/skills/headline/SKILL.md <<EOT
---
name: headline
description: Writes a one-line headline for an incident report
when_to_use: When a report needs a title
version: "1.2.0"
license: MIT
input_schema:
  type: object
  properties:
    text: {type: string, maxLength: 2000}
  required: [text]
  additionalProperties: false
---
# Headline writer

$secret. Keep it under twelve words and use the house style of the incident desk.
EOT

# --- wrap: exactly what peers see, and nothing of the body.
run bwoc skills wrap beta/agents/agent-b/skills/headline
expect_eq "$RC" 0
expect_contains "$OUT" '"name": "headline"'
expect_contains "$OUT" '"version": "1.2.0"'
expect_not_contains "$OUT" "present tense"
run bwoc skills wrap beta/agents/agent-b/skills/headline --json
expect_eq "$(echo "$OUT" | jq -r '.output_schema.required[0]')" "text"
expect_eq "$(echo "$OUT" | jq -r 'has("instructions")')" "false"
printf -- '---\nname: x\ndescription: d\ninput_shema: {}\n---\nbody\n' >bad.md
error_of 2 bwoc skills wrap bad.md
expect_contains "$ERR" 'unknown field "input_shema"'

# --- add: declared as an LLM-backed skill, hidden until exposed.
run bwoc -w beta skills add beta/agents/agent-b/skills/headline
expect_eq "$RC" 0
expect_contains "$OUT" 'No endpoint yet'
expect_eq "$(jq -r '.skills[0].instructions' beta/agents/agent-b/config.manifest.json)" "skills/headline/SKILL.md"
expect_eq "$(jq -r '.skills[0].visibility' beta/agents/agent-b/config.manifest.json)" "hidden"
expect_ok bwoc -w beta skills expose headline
run bwoc -w beta skills add beta/agents/agent-b/skills/headline
expect_contains "$OUT" 'updated'
expect_eq "$(jq -r '.skills[0].visibility' beta/agents/agent-b/config.manifest.json)" "exposed"
expect_eq "$(jq '.skills | length' beta/agents/agent-b/config.manifest.json)" "1"

# --- the endpoint: the stand-in, and a key in an owner-only file.
start_ready "$WORK/standin.log" env AUTH_LOG="$WORK/auth.log" python3 "$TESTS_DIR/e2e/llm_standin.py" || finish
STANDIN_PID=$READY_PID
port=${READY_LINE##* }
key="sk-e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$key" >beta/.bwoc/credentials/llm-api-key
chmod 600 beta/.bwoc/credentials/llm-api-key
cat >beta/.bwoc/llm.toml <<EOT
base_url = "http://127.0.0.1:$port/v1"
model = "stand-in"
timeout = "3s"
credentials = "llm-api-key"
EOT

"$BWOC" -w beta inbox ingest --watch >ingest.out 2>ingest.log &
INGEST_PID=$!

# Discovery shows the contract only.
run bwoc -w alpha discover beta --json
expect_eq "$(echo "$OUT" | jq -r '.skills[0].name')" "headline"
expect_not_contains "$OUT" "present tense"
expect_not_contains "$OUT" "SKILL.md"

# A good answer.
run bwoc -w alpha call beta headline --input '{"text":"cards declined at checkout"}' --timeout 20s
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .text)" "HEADLINE: cards declined at checkout"
expect_eq "$(tail -1 auth.log)" "Bearer $key"

# Whatever the endpoint does, the caller gets one of two plain answers, in bounded time.
call_mode() {
  local mode=$1 want=$2 start=$SECONDS
  run bwoc -w alpha call beta headline --input "{\"text\":\"x mode:$mode\"}" --timeout 30s
  expect_eq "$RC" 1
  expect_contains "$ERR" "peer \"beta\" answered: $want"
  expect_not_contains "$OUT$ERR" "present tense"
  expect_not_contains "$OUT$ERR" "$key"
  if [ $((SECONDS - start)) -gt 20 ]; then failed "mode $mode took $((SECONDS - start)) s"; fi
}
call_mode echo "Skill failed"
call_mode echo-json "Skill failed"
call_mode 500 "Skill failed"
call_mode garbage "Skill failed"
call_mode prose "Skill failed"
call_mode endless "Skill failed"
call_mode slow "Skill timed out"
call_mode drip "Skill timed out"

# The instructions are nowhere on the caller's side, the key nowhere but its file.
if grep -rqF "present tense" alpha; then failed "the instructions reached alpha"; else pass; fi
if grep -rqF --exclude=llm-api-key -- "$key" alpha beta; then failed "the key was written somewhere"; else pass; fi
if grep -qF -- "$key" ingest.log standin.log; then failed "the key was logged"; else pass; fi
if grep -qF "present tense" ingest.log; then failed "the instructions were logged"; else pass; fi
expect_contains "$(cat ingest.log)" "repeats the skill's instructions"

# A key file others can read is refused, and said so without the key.
chmod 644 beta/.bwoc/credentials/llm-api-key
run bwoc -w alpha call beta headline --input '{"text":"again"}' --timeout 20s
expect_contains "$ERR" "Skill failed"
expect_contains "$(cat ingest.log)" "chmod 600"
chmod 600 beta/.bwoc/credentials/llm-api-key

# systemd's LoadCredential: the key from $CREDENTIALS_DIRECTORY wins.
mkdir -p creds && printf 'sk-from-systemd\n' >creds/llm-api-key
kill "$INGEST_PID"
wait "$INGEST_PID" 2>/dev/null
CREDENTIALS_DIRECTORY="$WORK/creds" "$BWOC" -w beta inbox ingest --watch >>ingest.out 2>>ingest.log &
INGEST_PID=$!
run bwoc -w alpha call beta headline --input '{"text":"from systemd"}' --timeout 20s
expect_eq "$RC" 0
expect_eq "$(tail -1 auth.log)" "Bearer sk-from-systemd"

# mcp test reads the endpoint's configuration of our SKILL.md skill, and calls nothing.
run bwoc -w beta mcp test --json --timeout 1s
expect_eq "$(echo "$OUT" | jq -c '.checks[] | select(.what == "chat endpoint") | .ok')" "true"
expect_contains "$(echo "$OUT" | jq -r '.checks[] | select(.what == "chat endpoint") | .detail')" "(not called)"
expect_eq "$(echo "$OUT" | jq -r '.tools[0].name')" "self__headline"

kill "$INGEST_PID" "$STANDIN_PID"
[ -n "${KEEP_WORK:-}" ] && echo "work: $WORK"
finish
