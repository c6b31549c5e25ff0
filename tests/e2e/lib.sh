# Helpers for bwoc's end-to-end tests: each test is a bash script that runs
# the bwoc binary the way a user would, in a fresh temporary folder.
#
#   source "$(dirname "$0")/lib.sh"
#   expect_ok      bwoc init alpha --keygen
#   expect_exit 2  bwoc inbox list nobody
#   expect_out "ok" bwoc envelope verify env.json
#   finish
set -u
BWOC=${BWOC:?set BWOC to the bwoc binary}
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-e2e-XXXXXX")
FAILURES=0
CHECKS=0
cleanup() {
  local pids
  pids=$(jobs -p)
  [ -n "$pids" ] && kill $pids 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1
unset BWOC_WORKSPACE

bwoc() { "$BWOC" "$@"; }

# Runs a command, capturing stdout, stderr and the exit code.
run() {
  OUT=$("$@" 2>"$WORK/.stderr") && RC=0 || RC=$?
  ERR=$(cat "$WORK/.stderr")
}

pass() { CHECKS=$((CHECKS + 1)); }
failed() {
  CHECKS=$((CHECKS + 1))
  FAILURES=$((FAILURES + 1))
  echo "FAIL (line ${BASH_LINENO[1]}): $*" >&2
  echo "  stdout: ${OUT:-}" | head -20 >&2
  echo "  stderr: ${ERR:-}" | head -20 >&2
}

expect_ok() {
  run "$@"
  if [ "$RC" -eq 0 ]; then pass; else failed "expected success from: $*, got exit $RC"; fi
}

expect_exit() {
  local want=$1
  shift
  run "$@"
  if [ "$RC" -eq "$want" ]; then pass; else failed "expected exit $want from: $*, got $RC"; fi
}

# expect_out TEXT CMD...: stdout is exactly TEXT.
expect_out() {
  local want=$1
  shift
  run "$@"
  if [ "$OUT" = "$want" ]; then pass; else failed "expected stdout \"$want\" from: $*"; fi
}

# contains HAYSTACK NEEDLE
expect_contains() {
  if [[ "$1" == *"$2"* ]]; then pass; else failed "expected to find \"$2\""; fi
}
expect_not_contains() {
  if [[ "$1" != *"$2"* ]]; then pass; else failed "did not expect \"$2\""; fi
}
expect_eq() {
  if [ "$1" = "$2" ]; then pass; else failed "expected \"$2\", got \"$1\""; fi
}

# Error messages are one line on stderr, "bwoc <command>: ...".
expect_one_line_error() {
  local lines
  lines=$(printf '%s' "$ERR" | grep -c '')
  if [ "$lines" -eq 1 ] && [[ "$ERR" == "bwoc "* ]]; then pass; else failed "expected a one-line \"bwoc ...\" error"; fi
}

# Lines of a file (0 when missing).
lines_of() { if [ -f "$1" ]; then grep -c '' "$1"; else echo 0; fi; }

# A workspace with a key and agents: new_workspace NAME AGENT...
new_workspace() {
  local name=$1
  shift
  "$BWOC" init "$WORK/$name" --name "$name" --keygen >/dev/null || { failed "init $name"; return 1; }
  for a in "$@"; do "$BWOC" -w "$WORK/$name" agent add "$a" >/dev/null || failed "agent add $a"; done
}

pubkey_of() { "$BWOC" -w "$WORK/$1" trust show --json | jq -r .public_key; }

# declare_peer WS PEER [extra toml lines]: WS pins PEER's key, reached by path.
declare_peer() {
  local ws=$1 peer=$2 extra=${3:-}
  {
    echo ""
    echo "[[peer]]"
    echo "key = \"$peer\""
    echo "name = \"$peer workspace\""
    echo "pubkey = \"$(pubkey_of "$peer")\""
    echo "path = \"$WORK/$peer\""
    [ -n "$extra" ] && echo "$extra"
  } >>"$WORK/$ws/.bwoc/routes.toml"
}

finish() {
  if [ "$FAILURES" -eq 0 ]; then
    echo "ok: $CHECKS checks"
    exit 0
  fi
  echo "FAILED: $FAILURES of $CHECKS checks" >&2
  exit 1
}

# start_a2a WS AGENT [serve options...]: starts `bwoc a2a serve` on a free
# port, waits (bounded) for its ready line, sets A2A_URL and A2A_PID; its
# stderr goes to $WORK/WS-AGENT.log.
start_a2a() {
  local ws=$1 agent=$2
  shift 2
  local fifo="$WORK/.ready-$ws-$agent-$RANDOM"
  mkfifo "$fifo"
  "$BWOC" -w "$WORK/$ws" a2a serve --agent "$agent" --port 0 "$@" >"$fifo" 2>>"$WORK/$ws-$agent.log" &
  A2A_PID=$!
  local line=""
  if ! read -r -t 15 line <"$fifo"; then
    failed "a2a serve for $ws/$agent did not start: $(tail -3 "$WORK/$ws-$agent.log")"
    rm -f "$fifo"
    return 1
  fi
  rm -f "$fifo"
  A2A_URL=$(echo "$line" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
  [ -n "$A2A_URL" ] || failed "no URL in: $line"
}

# stop_a2a PID: SIGTERM, then wait at most 15 s for a clean exit.
stop_a2a() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  local rc=0
  timeout 15 tail --pid="$pid" -f /dev/null || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed "a2a serve $pid did not stop within 15 s"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

# rpc URL JSON [curl options...]: one JSON-RPC call, the answer on stdout.
rpc() {
  local url=$1 body=$2
  shift 2
  curl -s --max-time 20 -X POST "$url/a2a" -H 'Content-Type: application/json' "$@" --data-binary "$body"
}
