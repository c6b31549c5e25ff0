#!/usr/bin/env bash
# A peer that turns on its readers: hard links and symbolic links in what it
# shares, a drop folder that points elsewhere, and text full of terminal
# escape sequences. Nothing is read from outside what was shared, nothing is
# written outside the peer's folder, and no control sequence reaches a
# terminal as it came.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha
SEED=$(grep '^ed25519-seed:' beta/.bwoc/credentials/ed25519.secret)
[ -n "$SEED" ] && pass || failed "no seed line in beta's key file"
ESC=$'\e'
CSI8=$'\xc2\x9b'   # U+009B, the one-byte CSI
RLO=$'\xe2\x80\xae'  # U+202E, right-to-left override
# raw_controls TEXT: how many of ESC, C1 CSI, RLO and BEL the text holds as they are.
raw_controls() { printf '%s' "$1" | grep -c -e "$ESC" -e "$CSI8" -e "$RLO" -e $'\a'; }

# ===== Reading a path peer: only what it shares, never through a link.
mkdir -p beta/docs && echo "# Design of beta" >beta/docs/design.md
expect_ok bwoc -w beta share add beta/docs/design.md --name DESIGN --description "How beta is built"

# A hard link to the secret key cannot be shared, and if it is listed by
# hand (or the shared file is swapped for one later) it is served to no one.
ln beta/.bwoc/credentials/ed25519.secret beta/docs/notes.md
error_of 1 bwoc -w beta share add beta/docs/notes.md --name NOTES
expect_contains "$ERR" "hard links"
printf '\n[[doc]]\nname = "NOTES"\npath = "docs/notes.md"\ndescription = "notes"\n' >>beta/.bwoc/interconnect/shared.toml
run bwoc -w alpha peer learn beta NOTES
expect_eq "$RC:$ERR" "2:bwoc peer learn: peer \"beta\" shares no document \"NOTES\""
expect_not_contains "$OUT" "$SEED"
expect_eq "$(bwoc -w alpha peer learn beta --json | jq -c '[.[].name]')" '["DESIGN"]'
cp beta/docs/design.md design.copy
rm beta/docs/design.md && ln beta/.bwoc/credentials/ed25519.secret beta/docs/design.md
run bwoc -w alpha peer learn beta DESIGN
expect_eq "$RC" "2"
expect_not_contains "$OUT" "$SEED"
rm beta/docs/design.md && cp design.copy beta/docs/design.md
expect_out "# Design of beta" bwoc -w alpha peer learn beta DESIGN

# A folder on the way that is a symlink (even one that stays inside the
# workspace), and the files bwoc reads for a peer made symlinks out of it.
mkdir -p beta/real && echo "# Behind a link" >beta/real/linked.md
ln -s real beta/linkdir
printf '\n[[doc]]\nname = "LINKED"\npath = "linkdir/linked.md"\ndescription = "through a link"\n' \
  >>beta/.bwoc/interconnect/shared.toml
error_of 2 bwoc -w alpha peer learn beta LINKED
echo '{"workspace":"beta","agents":["stolen"],"teams":[],"shared":[],"updated":"x"}' >"$WORK/elsewhere.json"
mv beta/.bwoc/export/status.json status.saved
ln -s "$WORK/elsewhere.json" beta/.bwoc/export/status.json
error_of 1 bwoc -w alpha peer status beta
expect_contains "$ERR" "symbolic link"
expect_not_contains "$OUT" "stolen"
rm beta/.bwoc/export/status.json && ln "$WORK/elsewhere.json" beta/.bwoc/export/status.json
error_of 1 bwoc -w alpha peer status beta
expect_contains "$ERR" "hard links"
rm beta/.bwoc/export/status.json && mv status.saved beta/.bwoc/export/status.json
expect_ok bwoc -w alpha peer status beta
mv beta/.bwoc/interconnect/shared.toml shared.saved
printf '[[doc]]\nname = "OUT"\npath = "docs/design.md"\n' >"$WORK/elsewhere.toml"
ln -s "$WORK/elsewhere.toml" beta/.bwoc/interconnect/shared.toml
run bwoc -w alpha peer learn beta --json
expect_eq "$RC" "1"
expect_not_contains "$OUT" "OUT"
rm beta/.bwoc/interconnect/shared.toml && mv shared.saved beta/.bwoc/interconnect/shared.toml
mv beta/.bwoc/identity.toml identity.saved
cp alpha/.bwoc/identity.toml "$WORK/identity.elsewhere"
ln -s "$WORK/identity.elsewhere" beta/.bwoc/identity.toml
error_of 1 bwoc -w alpha peer status beta
expect_contains "$ERR" "symbolic link"
rm beta/.bwoc/identity.toml && mv identity.saved beta/.bwoc/identity.toml

# ===== Writing into a path peer: only into its own drop folder.
mkdir -p "$WORK/elsewhere"
for dir in new tmp; do
  mv "beta/.bwoc/drop/$dir" "drop-$dir.saved"
  ln -s "$WORK/elsewhere" "beta/.bwoc/drop/$dir"
  error_of 1 bwoc -w alpha send beta/agent-b --from agent-a --payload '{"n":1}'
  expect_contains "$ERR" "symbolic link"
  expect_eq "$(ls -A "$WORK/elsewhere" | wc -l)" "0"
  rm "beta/.bwoc/drop/$dir" && mv "drop-$dir.saved" "beta/.bwoc/drop/$dir"
done
mv beta/.bwoc/drop drop.saved
mkdir -p "$WORK/elsewhere/tmp" "$WORK/elsewhere/new"
ln -s "$WORK/elsewhere" beta/.bwoc/drop
error_of 1 bwoc -w alpha send beta/agent-b --from agent-a --payload '{"n":2}'
expect_eq "$(find "$WORK/elsewhere" -type f | wc -l)" "0"
rm beta/.bwoc/drop && mv drop.saved beta/.bwoc/drop
expect_ok bwoc -w alpha send beta/agent-b --from agent-a --payload '{"n":3}'
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" "1"

# ===== Text from a peer reaches the terminal escaped.
HOSTILE="${ESC}]0;pwned${ESC}\\${ESC}[2J${CSI8}31m${RLO}txt.exe"
expect_ok bwoc -w beta task add research "Title ${HOSTILE}"
run bwoc -w alpha peer status beta
expect_eq "$RC" "0"
expect_eq "$(raw_controls "$OUT")" "0"
expect_contains "$OUT" 'Title \x1b]0;pwned\x1b\\x1b[2J\u{009b}31m\u{202e}txt.exe'
run bwoc -w alpha peer status beta --json
expect_eq "$(raw_controls "$OUT")" "0"
expect_eq "$(echo "$OUT" | jq -r '.teams[0].open_tasks[0].title')" "Title ${HOSTILE}"   # the same value, for scripts

printf '# Notes\n%s\n' "${HOSTILE}" >beta/docs/hostile.md
expect_ok bwoc -w beta share add beta/docs/hostile.md --name HOSTILE --description "desc ${HOSTILE}"
run bwoc -w alpha peer learn beta
expect_eq "$(raw_controls "$OUT")" "0"
expect_contains "$OUT" 'desc \x1b]0;pwned'
# A document: the exact bytes into a file or a pipe, escaped on a terminal.
bwoc -w alpha peer learn beta HOSTILE >hostile.out
expect_eq "$(cmp hostile.out beta/docs/hostile.md && echo same)" "same"
run script -qec "'$BWOC' -w '$WORK/alpha' peer learn beta HOSTILE" /dev/null
expect_eq "$(raw_controls "$OUT")" "0"
expect_contains "$OUT" '\x1b[2J'
expect_contains "$OUT" "# Notes"

# An invite code is text from a peer too, and so are errors that quote it.
pk=$(pubkey_of beta)
body=$(printf '{"v":1,"name":"beta","pubkey":"%s","path":"/x","%s":1}' "$pk" '\u001b[2Jfield')
checksum=$(printf '%s' "$body" | b2sum -l 256 | cut -c1-8 | sed 's/../\\x&/g')
run bwoc -w alpha peer add "bwoc1$( { printf '%s' "$body"; printf "$checksum"; } | base64 -w0 | tr '+/' '-_' | tr -d '=')"
expect_eq "$RC" "2"
expect_one_line_error
expect_contains "$ERR" 'unknown field "\x1b[2Jfield"'
expect_eq "$(raw_controls "$ERR")" "0"

# Skills: descriptions in discover, answers of call, payloads in the inbox.
mkdir -p beta/agents/agent-b/skills
printf '#!/bin/sh\ncat\n' >beta/agents/agent-b/skills/echo.sh
chmod +x beta/agents/agent-b/skills/echo.sh
jq --arg d "Echoes ${HOSTILE}" '.skills = [{name:"echo", version:"1.0.0", description:$d,
  input_schema:{type:"object"}, output_schema:{type:"object"}, min_tier:0, visibility:"exposed", run:["skills/echo.sh"]}]' \
  beta/agents/agent-b/config.manifest.json >manifest.json && mv manifest.json beta/agents/agent-b/config.manifest.json
start_ready "$WORK/beta-ingest.log" "$BWOC" -w "$WORK/beta" inbox ingest --watch || finish
INGEST_PID=$READY_PID
run bwoc -w alpha discover beta
expect_eq "$RC" "0"
expect_eq "$(raw_controls "$OUT")" "0"
expect_contains "$OUT" 'Echoes \x1b]0;pwned'
run bwoc -w alpha call beta echo --input "$(jq -nc --arg t "${HOSTILE}" '{text:$t}')"
expect_eq "$RC" "0"
expect_eq "$(raw_controls "$OUT")" "0"
expect_eq "$(echo "$OUT" | jq -r .text)" "${HOSTILE}"   # \u escapes: the same JSON value
stop_pid "$INGEST_PID" "inbox ingest --watch"
expect_ok bwoc -w beta send alpha/agent-a --from agent-b --payload "{\"t\":\"${CSI8}${RLO}txt.exe\"}"
expect_ok bwoc -w alpha inbox ingest
run bwoc -w alpha inbox list agent-a
expect_eq "$(raw_controls "$OUT")" "0"
expect_contains "$OUT" '\u{202e}txt.exe'

finish
