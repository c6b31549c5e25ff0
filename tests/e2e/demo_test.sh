#!/usr/bin/env bash
# `bwoc demo` is the first thing a newcomer runs: it must work and say what it did.
source "$(dirname "$0")/lib.sh"

expect_ok bwoc demo
expect_contains "$OUT" "accepted 1"
expect_contains "$OUT" "exchange invite codes"
expect_contains "$OUT" "peer list: beta reachable by path"
expect_contains "$OUT" "peer learn ../.bwoc/credentials/ed25519.secret: refused"
expect_contains "$OUT" "refused: bad_signature"
expect_contains "$OUT" "refused: replayed"
expect_contains "$OUT" "verifies beta's signed receipt"
expect_contains "$OUT" "receipt"
# A skill across workspaces: discovered, called, and the uniform refusal.
expect_contains "$OUT" "discovered (tier 1, KNOWN): word-count"
expect_contains "$OUT" 'word-count answered {"words":5}'
expect_contains "$OUT" 'both answer {"error":"Unknown skill"}, byte for byte'
# A SKILL.md skill behind a stand-in LLM endpoint; a reply that leaks its instructions is refused.
expect_contains "$OUT" 'headline answered {"headline":"Payments API rejects cards after a certificate expiry"}'
expect_contains "$OUT" 'beta refused the reply: {"error":"Skill failed"}'
expect_not_contains "$OUT" "present tense"
# A2A always (with the skill calls); MQTT too when mosquitto is installed (the test setup installs it).
if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then
  expect_contains "$OUT" "alpha publishes over MQTT and verifies beta's signed receipt"
  expect_contains "$OUT" "8 of 8 lines verify"
else
  expect_contains "$OUT" "7 of 7 lines verify"
fi
expect_contains "$OUT" "Every step behaved as the spec says"
expect_contains "$OUT" " ms"
# Nothing is left behind unless asked, not even a process.
expect_eq "$(pgrep -f "mqtt subscribe --agent agent-wenchang" | wc -l)" "0"
DIR=$(echo "$OUT" | sed -n 's/.* in \(\/.*\)$/\1/p' | head -1)
[ -n "$DIR" ] && [ ! -e "$DIR" ] && pass || failed "demo left $DIR behind"

# --keep: the workspaces stay, routed to each other by path (the demo's
# server and broker are gone), and the three commands it suggests work, pasted
# as they are, even in a folder whose name a shell would split or expand.
expect_ok bwoc demo --dir "$WORK/kept here \$(touch pwned)"
expect_contains "$OUT" "alpha and beta, kept, reach each other by path again"
expect_contains "$OUT" "went by path and beta accepted 1"
KEPT=$(echo "$OUT" | sed -n 's/^The workspaces are kept in \(.*\), and reach each other by path. Try next:$/\1/p')
[ -d "$KEPT/alpha" ] && [ -d "$KEPT/beta" ] && pass || failed "no kept workspaces in: $KEPT"
for ws in alpha beta; do
  expect_eq "$(grep -c '^path = ' "$KEPT/$ws/.bwoc/routes.toml")" "1"
  expect_eq "$(grep -c '^url = \|^mqtt = ' "$KEPT/$ws/.bwoc/routes.toml")" "0"
done
mapfile -t NEXT < <(echo "$OUT" | sed -n '/Try next:$/,$p' | tail -n +2 | sed 's/^  //')
expect_eq "${#NEXT[@]}" "3"
for command in "${NEXT[@]}"; do
  [[ "$command" == "bwoc -w '$KEPT/"* ]] && pass || failed "not a command for the kept workspaces: $command"
  run eval "\"\$BWOC\" ${command#bwoc }"
  [ ! -e pwned ] && [ ! -e "$WORK/pwned" ] && pass || failed "a suggested command ran what the folder's name holds: $command"
  expect_eq "$RC" "0"
  RESULTS+=("$OUT")
done
expect_contains "${RESULTS[0]}" "workspace    beta"
expect_contains "${RESULTS[1]}" "via path"
expect_contains "${RESULTS[2]}" "ingested 1: 1 accepted"
# pgrep takes a regular expression: the folder's name, escaped.
expect_eq "$(pgrep -f -- "$(sed 's/[][\\.*^$()+?{}|]/\\&/g' <<<"$KEPT")" | wc -l)" "0"
rm -rf "$KEPT"

expect_ok bwoc demo --dir "$WORK/kept"
expect_ok bwoc -w "$WORK/kept/beta" inbox verify agent-wenchang
expect_ok bwoc -w "$WORK/kept/beta" inbox refusals
expect_contains "$OUT" "bad_signature"

finish
