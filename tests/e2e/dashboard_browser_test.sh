#!/usr/bin/env bash
# `bwoc dashboard` in a real browser (tests/browser/dashboard.mjs: Debian's
# chromium, headless, driven by playwright-core): with and without the
# token, a wrong Host, a cross-origin POST, every page clicked through and
# photographed, changes made in the page checked with the CLI, and what the
# pages show compared with what the CLI's --json prints.
#
# Screenshots go to $BWOC_ARTEFACTS/dashboard/ (build/artefacts/dashboard/
# when ctest runs it), the failure's too.
source "$(dirname "$0")/lib.sh"
BROWSER_TESTS="$TESTS_DIR/browser"
ARTEFACTS=${BWOC_ARTEFACTS:-$WORK/artefacts}/dashboard
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || [ ! -d "$BROWSER_TESTS/node_modules/playwright-core" ]; then
  failed "needs chromium (scripts/deps.sh test) and playwright-core (scripts/interop-deps.sh)"
  finish
fi
rm -rf "$ARTEFACTS"

# alpha: the dashboard's workspace, with word-count and uppercase; beta its peer.
new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha
give_example_skills alpha agent-a

# Traffic to show: alpha's path service answers beta's calls and takes its envelopes in.
start_ready "$WORK/ingest.log" "$BWOC" -w "$WORK/alpha" inbox ingest --watch || finish
INGEST_PID=$READY_PID
expect_ok bwoc -w beta send alpha/agent-a --from agent-b --kind feedback --payload '{"score":5,"comment":"good"}'
expect_ok bwoc -w beta call alpha word-count --input '{"text":"three small words"}' --timeout 20s
expect_exit 1 bwoc -w beta call alpha no-such-skill --input '{}' --timeout 20s
wait_lines alpha/agents/agent-a/memories/inbox.jsonl 3
# A tampered copy is refused, and logged.
bwoc -w beta envelope sign --from agent-b --to agent-a --aud alpha --payload '{"n":1}' |
  sed 's/"n":1/"n":2/' >"$WORK/tampered.json"
mv "$WORK/tampered.json" alpha/.bwoc/drop/new/
wait_for_text alpha/.bwoc/state/refusals.jsonl bad_signature
expect_ok bwoc -w alpha goal start beta --objective "Ship the incident review" --grant 1
expect_ok bwoc -w alpha goal kr add g1 "Draft written"

start_ready "$WORK/dashboard.log" "$BWOC" -w "$WORK/alpha" dashboard --port 0 || finish
DASHBOARD_PID=$READY_PID
URL=$(echo "$READY_LINE" | grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*')
[ -n "$URL" ] && pass || failed "no address in: $READY_LINE"

run env DASHBOARD_URL="$URL" BWOC="$BWOC" WS="$WORK/alpha" PEER_WS="$WORK/beta" ARTEFACTS="$ARTEFACTS" \
  CHROMIUM="$CHROMIUM" timeout 240 node "$BROWSER_TESTS/dashboard.mjs"
if [ "$RC" -eq 0 ]; then pass; else failed "the browser test: $(echo "$ERR" | tail -5)"; fi
echo "$OUT" | tail -3

# Every page was photographed.
for name in without-token wrong-host overview activity peers goals skills inbox refusals peers-changed \
  goals-changed activity-live cross-origin-post peers-removed; do
  [ -s "$ARTEFACTS/$name.png" ] && pass || failed "no screenshot $name.png in $ARTEFACTS"
done

stop_pid "$DASHBOARD_PID" "bwoc dashboard"
stop_pid "$INGEST_PID" "bwoc inbox ingest --watch"
expect_contains "$(cat "$WORK/dashboard.log")" "event=dashboard.stopped"
expect_not_contains "$(cat "$WORK/dashboard.log")" "${URL##*token=}"
finish
