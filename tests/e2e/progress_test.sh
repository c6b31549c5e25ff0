#!/usr/bin/env bash
# Long work shows progress on a terminal, and stays quiet when piped: the
# waits of `call` and `discover`, the probes of `peer list` and `status
# --probe`, `inbox ingest` of a large drop folder, `mqtt spool --retry`.
# A terminal is a pseudo-terminal made by script(1).
source "$(dirname "$0")/lib.sh"
export TERM=xterm

# on_tty COMMAND...: runs it with stdin, stdout and stderr on a pseudo-terminal; TTY gets what it showed.
on_tty() {
  local line
  printf -v line '%q ' "$@"
  TTY=$(script -q -e -c "$line" /dev/null </dev/null)
}
# piped COMMAND...: stdout and stderr to files, as a script would run it.
piped() {
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  PIPED_RC=$?
}

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha

# call and discover wait for a path peer whose node is not running.
on_tty "$BWOC" -w "$WORK/alpha" call beta/agent-b word-count --input '{}' --via path --timeout 1s
expect_contains "$TTY" "waiting for beta's answer"$'\xE2\x80\xA6'
# The transport it is on (and, after a failover, how many it tried before).
expect_contains "$TTY" "s (via path)"
expect_contains "$TTY" "bwoc call: no answer from peer \"beta\" in time"
piped "$BWOC" -w "$WORK/alpha" call beta/agent-b word-count --input '{}' --via path --timeout 1s
expect_eq "$PIPED_RC" "0"
expect_eq "$(wc -c <"$WORK/out.txt")" "0"
expect_not_contains "$(cat "$WORK/err.txt")" "waiting for"
expect_not_contains "$(cat "$WORK/err.txt")" "via path"
expect_eq "$(grep -c '' "$WORK/err.txt")" "1"
expect_contains "$(cat "$WORK/err.txt")" "still pending as "
on_tty "$BWOC" -w "$WORK/alpha" discover beta/agent-b --via path --timeout 1s
expect_contains "$TTY" "waiting for beta's skills"
piped "$BWOC" -w "$WORK/alpha" discover beta/agent-b --via path --timeout 1s
expect_not_contains "$(cat "$WORK/err.txt")" "waiting for"
rm -f beta/.bwoc/drop/new/*

# peer list and status --probe.
on_tty "$BWOC" -w "$WORK/alpha" peer list
expect_contains "$TTY" "probing 1 peer"
expect_contains "$TTY" "reachable"
piped "$BWOC" -w "$WORK/alpha" peer list --json
expect_eq "$(wc -c <"$WORK/err.txt")" "0"
expect_eq "$(jq -r '.[0].reachability' "$WORK/out.txt")" "reachable"
on_tty "$BWOC" -w "$WORK/alpha" status --probe
expect_contains "$TTY" "probing peers"
piped "$BWOC" -w "$WORK/alpha" status --probe
expect_eq "$(wc -c <"$WORK/err.txt")" "0"

# inbox ingest of a large drop folder: counted as the batches go.
bwoc -w alpha envelope sign --from agent-a --to agent-b --aud beta --payload '{"n":1}' >"$WORK/env.json"
for i in $(seq 1 600); do cp "$WORK/env.json" "beta/.bwoc/drop/tmp/e$i.json"; done
mv beta/.bwoc/drop/tmp/e*.json beta/.bwoc/drop/new/
on_tty "$BWOC" -w "$WORK/beta" inbox ingest
expect_contains "$TTY" "ingesting the drop folder: 256 of 600"
expect_contains "$TTY" "ingesting the drop folder: 512 of 600"
expect_contains "$TTY" "ingested 600: 1 accepted"
for i in $(seq 1 300); do cp "$WORK/env.json" "beta/.bwoc/drop/tmp/p$i.json"; done
mv beta/.bwoc/drop/tmp/p*.json beta/.bwoc/drop/new/
piped "$BWOC" -w "$WORK/beta" inbox ingest
expect_eq "$(wc -c <"$WORK/err.txt")" "0"
expect_contains "$(cat "$WORK/out.txt")" "ingested 300: 0 accepted"

# mqtt spool --retry: waiting for receipts that do not come (no subscriber).
start_broker main || finish
new_workspace gamma agent-g
declare_mqtt_peer alpha gamma "$BROKER_URL"
run bwoc -w alpha mqtt publish --agent agent-a --to gamma/agent-g --payload '{"x":1}' --wait 0s
on_tty "$BWOC" -w "$WORK/alpha" mqtt spool --retry --wait 2s
expect_contains "$TTY" "waiting for receipts through $BROKER_URL"
expect_contains "$TTY" "resent 1, confirmed 0, still pending 1"
piped "$BWOC" -w "$WORK/alpha" mqtt spool --retry --wait 1s
expect_eq "$(wc -c <"$WORK/err.txt")" "0"
expect_contains "$(cat "$WORK/out.txt")" "resent 1, confirmed 0, still pending 1"

# The line is cleared when the work is done: what follows starts clean.
expect_contains "$TTY" $'\r\e[K'
finish
