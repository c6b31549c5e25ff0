#!/usr/bin/env bash
# One node for every transport: the same requests (peer status, peer learn,
# discover, call) against a peer reached by path (its ingest service
# running), by A2A and by MQTT give the same answers; a peer declared with
# several transports is reached by the first that works, the same envelope
# (the same id) going on to the next, and delivered exactly once even when
# two attempts both arrive.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b

# --- beta publishes a document and a task list, and offers the example's skills.
mkdir -p beta/docs
printf '# How beta is built\n\nBy hand.\n' >beta/docs/design.md
expect_ok bwoc -w beta share add beta/docs/design.md --name DESIGN --description "How beta is built"
expect_ok bwoc -w beta task add research "Analyse the incident"
give_example_skills beta agent-b

# --- beta's three services: A2A, MQTT, and the path ingest.
start_broker main || finish
start_a2a beta agent-b || finish
A2A_BETA=$A2A_PID
start_subscriber beta agent-b || finish
SUB_BETA=$SUB_PID
start_ready "$WORK/beta-ingest.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
INGEST_BETA=$READY_PID

cat >>alpha/.bwoc/routes.toml <<EOT
[[peer]]
key = "beta"
pubkey = "$(pubkey_of beta)"
agent = "agent-b"
path = "$WORK/beta"
url = "$A2A_URL"
mqtt = { broker = "$BROKER_URL", topic = "bwoc/beta" }
EOT
cat >>beta/.bwoc/routes.toml <<EOT
[[peer]]
key = "alpha"
pubkey = "$(pubkey_of alpha)"
path = "$WORK/alpha"
mqtt = { broker = "$BROKER_URL", topic = "bwoc/alpha" }
EOT

# --- The same script over each transport; the answers must be the same.
for via in path a2a mqtt; do
  run bwoc -w alpha peer status beta --via "$via" --json
  expect_eq "$RC" 0
  echo "$OUT" | jq -S 'del(.verified)' >"$WORK/status.$via"
  run bwoc -w alpha peer learn beta --via "$via" --json
  expect_eq "$RC" 0
  echo "$OUT" >"$WORK/learn.$via"
  run bwoc -w alpha peer learn beta DESIGN --via "$via"
  expect_eq "$RC" 0
  echo "$OUT" >"$WORK/doc.$via"
  run bwoc -w alpha discover beta --via "$via" --json
  expect_eq "$RC" 0
  echo "$OUT" >"$WORK/discover.$via"
  run bwoc -w alpha call beta word-count --via "$via" --input '{"text":"the same three"}' --json
  expect_eq "$RC" 0
  expect_eq "$(echo "$OUT" | jq -r .via)" "$via"
  expect_eq "$(echo "$OUT" | jq -r '.payload.idem | length')" 32  # a call is a request: its answer names it
  echo "$OUT" | jq -S '.payload | del(.idem)' >"$WORK/call.$via"
  run bwoc -w alpha call beta no-such-skill --via "$via" --json
  echo "$OUT" | jq -S '.payload | del(.idem)' >"$WORK/unknown.$via"
done
for what in status learn doc discover call unknown; do
  for via in a2a mqtt; do
    if cmp -s "$WORK/$what.path" "$WORK/$what.$via"; then pass; else failed "$what over $via differs from over path"; fi
  done
done
expect_eq "$(jq -r .workspace "$WORK/status.mqtt")" "beta"
expect_eq "$(jq -r '.teams[0].open_tasks[0].title' "$WORK/status.mqtt")" "Analyse the incident"
expect_eq "$(cat "$WORK/doc.mqtt")" "# How beta is built

By hand."
expect_eq "$(jq -c .output "$WORK/call.a2a")" '{"characters":14,"words":3}'
expect_eq "$(jq -c . "$WORK/unknown.mqtt")" '{"error":"Unknown skill"}'

# --- Failover: the first transport that works carries it, and says so.
# The path is first; with beta's folder gone from reach, url carries it.
sed -i "s|^path = \"$WORK/beta\"|path = \"$WORK/nowhere\"|" alpha/.bwoc/routes.toml
run bwoc -w alpha send beta/agent-b --from agent-a --payload '{"n":1}'
expect_eq "$RC" 0
expect_contains "$OUT" "via a2a"
expect_contains "$OUT" "tried first: path:"
run bwoc -w alpha call beta word-count --input '{"text":"over the url"}' --json
expect_eq "$(echo "$OUT" | jq -r .via)" "a2a"
expect_eq "$(echo "$OUT" | jq -r '.skipped[0] | startswith("path:")')" "true"

# Kill the A2A node mid-run: what follows goes over MQTT, each id once.
: >"$WORK/sent.ids"
for i in $(seq 1 20); do
  [ "$i" -eq 8 ] && kill -KILL "$A2A_BETA" && wait "$A2A_BETA" 2>/dev/null
  run bwoc -w alpha send beta/agent-b --from agent-a --payload "{\"run\":$i}" --json
  expect_eq "$RC" 0
  echo "$OUT" | jq -r '[.id, .via] | join(" ")' >>"$WORK/sent.ids"
  [ "$i" -ge 8 ] && expect_contains "$(echo "$OUT" | jq -r '.skipped | join(";")')" "url:"
done
expect_eq "$(awk '$2 == "a2a"' "$WORK/sent.ids" | wc -l)" "7"
expect_eq "$(awk '$2 == "mqtt"' "$WORK/sent.ids" | wc -l)" "13"
inbox=beta/agents/agent-b/memories/inbox.jsonl
for id in $(cut -d' ' -f1 "$WORK/sent.ids"); do
  expect_eq "$(grep -c "\"id\":\"$id\"" "$inbox")" "1"
done

# Two attempts that both arrive: beta's ingest service is stopped (not
# dead), so a call dropped into its folder waits there; alpha gives up on
# the path and sends the same request over MQTT, which answers it; when the
# service resumes it takes the first attempt in too, and finds it a repeat:
# the skill ran once, the request is in the inbox once.
stop_pid "$A2A_BETA" "a2a serve"
sed -i "s|^path = .*|path = \"$WORK/beta\"|; /^url = /d" alpha/.bwoc/routes.toml
kill -STOP "$INGEST_BETA"
run bwoc -w alpha call beta word-count --input '{"text":"both ways"}' --timeout 30s --json
kill -CONT "$INGEST_BETA"
expect_eq "$RC" 0
expect_eq "$(echo "$OUT" | jq -r .via)" "mqtt"
expect_contains "$(echo "$OUT" | jq -r '.skipped[0]')" "has not taken the request in"
twice=$(echo "$OUT" | jq -r .re)
wait_for_text "$WORK/beta-ingest.log" "id=$twice"
expect_eq "$(grep -c "\"id\":\"$twice\"" "$inbox")" "1"
calls=$(grep -c '"side":"provider".*"skill":"word-count"' beta/.bwoc/state/skill-calls.jsonl)
# (Calls are sealed by default, beta's card publishing its X25519 key: `inbox list` opens them.)
expect_eq "$calls" "$(bwoc -w beta inbox list agent-b --json --limit 0 | jq '[.[] | select(.kind == "skill.call" and .payload.skill == "word-count")] | length')"
expect_ok bwoc -w beta inbox verify agent-b

# A peer reached only by MQTT, declared from its invite code (which names
# the agent that answers for it): status, learn and calls work there too.
new_workspace gamma agent-g
start_subscriber gamma agent-g || finish
SUB_GAMMA=$SUB_PID
code=$(bwoc -w gamma invite --mqtt-broker "$BROKER_URL")
expect_ok bwoc -w alpha peer add "$code"
expect_ok bwoc -w gamma peer add "$(bwoc -w alpha invite --mqtt-broker "$BROKER_URL")"
expect_contains "$(cat alpha/.bwoc/routes.toml)" 'agent = "agent-g"'
run bwoc -w alpha peer status gamma
expect_eq "$RC" 0
expect_contains "$OUT" "peer gamma (workspace gamma), over mqtt"
expect_contains "$OUT" "agents: agent-g"
run bwoc -w alpha discover gamma --json
expect_eq "$RC:$(echo "$OUT" | jq -r .agent)" "0:agent-g"
stop_pid "$SUB_GAMMA" "mqtt subscribe"

stop_pid "$SUB_BETA" "mqtt subscribe"
stop_pid "$INGEST_BETA" "inbox ingest --watch"
grep -q 'event=ingest.stats.* duplicates=1' "$WORK/beta-ingest.log" && pass || failed "the path attempt was not a repeat"
finish
