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

# give_example_skills WS AGENT: AGENT offers the example workspace's skills
# (word-count, and uppercase for INTERNAL peers).
give_example_skills() {
  local manifest="$WORK/$1/agents/$2/config.manifest.json"
  mkdir -p "$WORK/$1/agents/$2/skills"
  cp "$TESTS_DIR/../.bwoc-example/agents/agent-wenchang/skills/"*.sh "$WORK/$1/agents/$2/skills/"
  jq --argjson ex "$(jq .skills "$TESTS_DIR/../.bwoc-example/agents/agent-wenchang/config.manifest.json")" \
    '.skills = $ex' "$manifest" >"$WORK/.manifest.json"
  mv "$WORK/.manifest.json" "$manifest"
}

pubkey_of() { "$BWOC" -w "$WORK/$1" trust show --json | jq -r .public_key; }

# declare_js_client WS: a key made by tests/interop/envelope.mjs (an Ed25519
# implementation bwoc did not write), declared in WS as peer "jsclient".
# Sets JS_SEED (its secret seed, hex) and JS_KEY (its public key).
declare_js_client() {
  local keys
  keys=$(node "$TESTS_DIR/interop/envelope.mjs" keygen)
  JS_SEED=$(echo "$keys" | jq -r .seed)
  JS_KEY=$(echo "$keys" | jq -r .key)
  printf '[[peer]]\nkey = "jsclient"\npubkey = "%s"\npath = "/nonexistent"\n' "$JS_KEY" >>"$WORK/$1/.bwoc/routes.toml"
}

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
  start_ready "$WORK/$ws-$agent.log" "$BWOC" -w "$WORK/$ws" a2a serve --agent "$agent" --port 0 "$@" || return 1
  A2A_PID=$READY_PID
  A2A_URL=$(echo "$READY_LINE" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
  [ -n "$A2A_URL" ] || failed "no URL in: $READY_LINE"
}

# Every wait below is for a condition, never for a time: its bound only stops
# a test that would hang, and is generous, so that a slow machine (a busy CI
# runner, a sanitizer build) passes or fails exactly as a fast one does.
WAIT_SECONDS=${BWOC_TEST_WAIT_SECONDS:-120}

# start_ready LOG COMMAND...: starts a service in the background with stderr
# to LOG, and waits (at most WAIT_SECONDS) for the line it prints on stdout
# when it is ready. Sets READY_PID and READY_LINE.
start_ready() {
  local log=$1
  shift
  local fifo="$WORK/.ready-$RANDOM$RANDOM"
  mkfifo "$fifo"
  "$@" >"$fifo" 2>>"$log" &
  READY_PID=$!
  READY_LINE=""
  if ! read -r -t "$WAIT_SECONDS" READY_LINE <"$fifo"; then
    failed "$(basename "$1") ${*:4:2} did not start: $(tail -3 "$log")"
    rm -f "$fifo"
    return 1
  fi
  rm -f "$fifo"
}

# stop_a2a PID: SIGTERM, then wait (at most WAIT_SECONDS) for a clean exit.
stop_a2a() { stop_pid "$1" "a2a serve"; }

# rpc URL JSON [curl options...]: one JSON-RPC call, the answer on stdout.
rpc() {
  local url=$1 body=$2
  shift 2
  curl -s --max-time "$WAIT_SECONDS" -X POST "$url/a2a" -H 'Content-Type: application/json' "$@" --data-binary "$body"
}

# start_broker NAME [config lines...]: a real mosquitto on a free loopback port,
# with its own config and persistence in $WORK/NAME.broker/. Sets BROKER_PORT,
# BROKER_PID and BROKER_URL. Waits (bounded) for its "running" line.
start_broker() {
  local name=$1
  shift
  local dir="$WORK/$name.broker"
  mkdir -p "$dir"
  local try port
  for try in 1 2 3 4 5 6 7 8; do
    port=${BROKER_FIXED_PORT:-$((20000 + RANDOM % 40000))}
    {
      echo "listener $port 127.0.0.1"
      # As root mosquitto would switch to the mosquitto user and lose its files.
      echo "user $(id -un)"
      echo "persistence true"
      echo "persistence_location $dir/"
      echo "autosave_interval 1"
      # The default (1000) drops messages silently.
      echo "max_queued_messages 1000000"
      echo "max_inflight_messages 20"
      echo "log_dest stdout"
      echo "log_type error"
      echo "log_type warning"
      echo "log_type notice"
      echo "log_type information"
      [[ "$*" == *allow_anonymous* ]] || echo "allow_anonymous true"
      printf '%s\n' "$@"
    } >"$dir/mosquitto.conf"
    local fifo="$dir/ready-$RANDOM"
    mkfifo "$fifo"
    # Line-buffered: mosquitto logs through stdio, fully buffered into a pipe.
    stdbuf -oL mosquitto -c "$dir/mosquitto.conf" >"$fifo" 2>&1 &
    BROKER_PID=$!
    local line started=""
    while read -r -t "$WAIT_SECONDS" line; do
      echo "$line" >>"$dir/log"
      case "$line" in
        *" running"*) started=yes; break ;;
        *"in use"* | *Error*) break ;;
      esac
    done <"$fifo"
    # Keep draining its log so that it never blocks on a full pipe.
    [ -n "$started" ] && { cat <"$fifo" >>"$dir/log" & }
    rm -f "$fifo"
    if [ -n "$started" ]; then
      BROKER_PORT=$port
      BROKER_URL="mqtt://127.0.0.1:$port"
      return 0
    fi
    kill "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    [ -n "${BROKER_FIXED_PORT:-}" ] && break
  done
  failed "mosquitto $name did not start: $(tail -3 "$dir/log")"
  return 1
}

# stop_pid PID [WHAT]: SIGTERM, then wait (at most WAIT_SECONDS) for a clean exit.
stop_pid() {
  local pid=$1 what=${2:-process}
  kill -TERM "$pid" 2>/dev/null
  local rc=0
  timeout "$WAIT_SECONDS" tail --pid="$pid" -f /dev/null || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed "$what $pid did not stop within $WAIT_SECONDS s"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

# start_subscriber WS AGENT [subscribe options...]: `bwoc mqtt subscribe` on
# $BROKER_URL; waits (bounded) for its ready line; sets SUB_PID. Its stderr
# goes to $WORK/WS-AGENT.sub.log.
start_subscriber() {
  local ws=$1 agent=$2
  shift 2
  start_ready "$WORK/$ws-$agent.sub.log" "$BWOC" -w "$WORK/$ws" mqtt subscribe --agent "$agent" \
    --broker "$BROKER_URL" "$@" || return 1
  SUB_PID=$READY_PID
  expect_contains "$READY_LINE" "subscribed to"
}

# wait_lines FILE N [SECONDS]: returns once FILE has at least N lines (inotify,
# no polling), or fails after SECONDS (default WAIT_SECONDS).
wait_lines() {
  local file=$1 n=$2 secs=${3:-$WAIT_SECONDS}
  [ "$n" -le 0 ] && return 0
  # head returns at line N, or at EOF when timeout ends tail; the leftover
  # tail exits by itself when its time is up.
  local got
  got=$(head -n "$n" < <(timeout "$secs" tail -F -n +1 "$file" 2>/dev/null) | grep -c '')
  if [ "$got" -lt "$n" ]; then
    failed "$file has $(lines_of "$file") lines, not $n, after $secs s"
    return 1
  fi
}

# wait_for_text FILE TEXT [SECONDS]: returns once FILE holds TEXT (inotify, no
# polling), or fails after SECONDS (default WAIT_SECONDS).
wait_for_text() {
  local file=$1 text=$2 secs=${3:-$WAIT_SECONDS}
  if ! grep -q -m1 -F -- "$text" < <(timeout "$secs" tail -F -n +1 "$file" 2>/dev/null); then
    failed "\"$text\" did not appear in $file within $secs s"
    return 1
  fi
  pass
}

# eventually COMMAND...: returns once COMMAND succeeds, trying again every
# 0.1 s for at most WAIT_SECONDS (for state no file change announces, such as
# a clock passing an expiry); fails the check otherwise.
eventually() {
  local deadline=$(($(date +%s) + WAIT_SECONDS))
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      failed "not true within $WAIT_SECONDS s: $*"
      return 1
    fi
    read -r -t 0.1 <> <(:) || true
  done
}

# error_of CODE COMMAND...: runs it, expects exit CODE and one line on stderr.
error_of() {
  local code=$1
  shift
  run "$@"
  expect_eq "$RC" "$code"
  expect_one_line_error
}

# declare_mqtt_peer WS PEER BROKER_URL: WS pins PEER's key, reached over MQTT
# at topic root bwoc/PEER.
declare_mqtt_peer() {
  cat >>"$WORK/$1/.bwoc/routes.toml" <<EOT

[[peer]]
key = "$2"
pubkey = "$(pubkey_of "$2")"
mqtt = { broker = "$3", topic = "bwoc/$2" }
EOT
}

# give_example_skills WS AGENT: the two skills of .bwoc-example's
# agent-wenchang (word-count, and uppercase for INTERNAL peers) for AGENT of WS.
give_example_skills() {
  local example="$TESTS_DIR/../.bwoc-example/agents/agent-wenchang"
  cp -r "$example/skills" "$WORK/$1/agents/$2/"
  jq --argjson ex "$(jq .skills "$example/config.manifest.json")" '.skills = $ex' \
    "$WORK/$1/agents/$2/config.manifest.json" >"$WORK/.manifest.json"
  mv "$WORK/.manifest.json" "$WORK/$1/agents/$2/config.manifest.json"
}
