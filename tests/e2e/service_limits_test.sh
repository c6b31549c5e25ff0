#!/usr/bin/env bash
# Services at the edge of their resources. `bwoc a2a serve`: fewer file
# descriptors than connections, more idle connections than descriptors, more
# bodies than its budget; the log and the CPU while it waits (real loopback
# sockets, a small Python client holds them). `bwoc inbox ingest --watch`:
# rounds that keep failing while files keep arriving.
source "$(dirname "$0")/lib.sh"

new_workspace node agent-b

# CPU seconds (user + system) the process has used so far.
cpu_of() {
  local ticks
  ticks=$(sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}')
  echo "scale=3; $ticks / $(getconf CLK_TCK)" | bc
}
now() { date +%s.%N; }

# hold_connections PORT COUNT: opens COUNT connections that send nothing and
# keeps them until killed; prints one line once they are all open.
hold_connections() {
  exec python3 -c '
import signal, socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
held = []
for _ in range(count):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    held.append(s)
print("open", len(held), flush=True)
signal.pause()
' "$@"
}

# --- The hard limit is below what --max-connections needs: it serves fewer, and says so.
start_ready "$WORK/low.log" bash -c 'ulimit -n 256 && exec "$0" "$@"' \
  "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0 --max-connections 2048 || finish
pid=$READY_PID
url=$(echo "$READY_LINE" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
port=${url##*:}
expect_contains "$(grep 'event=a2a.descriptors' "$WORK/low.log")" "max_connections=128"
expect_eq "$(grep -c 'event=a2a.descriptors' "$WORK/low.log")" 1

# More idle connections than descriptors.
coproc HOLDER { hold_connections "$port" 400; }
holder=$HOLDER_PID
read -r -t 30 opened <&"${HOLDER[0]}" || { failed "the client could not open its connections"; finish; }
expect_eq "$opened" "open 400"

# A window of wall time: the server waits, it does not spin.
cpu_before=$(cpu_of $pid)
wall_before=$(now)
sleep 3
cpu_used=$(echo "$(cpu_of $pid) - $cpu_before" | bc)
wall=$(echo "$(now) - $wall_before" | bc)
if [ "$(echo "$cpu_used < $wall / 4" | bc -l)" -eq 1 ]; then pass; else failed "used $cpu_used s of CPU in $wall s"; fi
# And its log stays small: a line or so a second for the cap, not one per attempt.
lines=$(lines_of "$WORK/low.log")
if [ "$lines" -lt 40 ]; then pass; else failed "$lines log lines: $(sort "$WORK/low.log" | cut -c1-120 | uniq -c | sort -rn | head -3)"; fi

# The connections close; a normal request is answered.
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --retry 5 --retry-delay 1 --retry-all-errors --max-time 10 \
  "$url/.well-known/agent-card.json")
expect_eq "$code" 200
stop_a2a $pid

# --- Only the soft limit is low: it is raised to fit, and the log says so.
start_ready "$WORK/soft.log" bash -c 'ulimit -Sn 256 && exec "$0" "$@"' \
  "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0 --max-connections 1000 || finish
pid=$READY_PID
expect_contains "$(grep 'event=a2a.descriptors' "$WORK/soft.log")" "limit=1128 was=256"
expect_eq "$(awk '/Max open files/ {print $4}' "/proc/$pid/limits")" 1128
stop_a2a $pid

# --- Too few descriptors to serve at all: refused before anything listens.
run timeout 20 bash -c 'ulimit -n 64 && exec "$0" "$@"' "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0
expect_eq "$RC" 1
expect_one_line_error
expect_contains "$ERR" "file descriptors"

# --- Bodies beyond the budget: a sender hears "busy, retry later".
start_ready "$WORK/budget.log" "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0 \
  --max-body 4096 --body-budget 4096 || finish
pid=$READY_PID
url=$(echo "$READY_LINE" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
new_workspace sender agent-a
printf '[[peer]]\nkey = "node"\npubkey = "%s"\nurl = "%s"\n' "$(pubkey_of node)" "$url" >"$WORK/sender/.bwoc/routes.toml"
# One client announces the whole budget and sends a byte of it.
coproc HOG {
  exec python3 -c '
import signal, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /a2a HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n{")
print("sent", flush=True)
signal.pause()
' "${url##*:}"
}
hog=$HOG_PID
read -r -t 30 sent <&"${HOG[0]}" || { failed "the hog did not connect"; finish; }
# Its share is taken once the server has read its headers: until a request
# is refused, that has not happened yet (at most 100 tries).
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$url/a2a" --data-binary '{}')
  [ "$code" = 503 ] && break
  sleep 0.1
done
expect_eq "$code" 503
run "$BWOC" -w "$WORK/sender" a2a send "$url" --from agent-a --to agent-b --payload '{"n":1}'
expect_eq "$RC" 1
expect_contains "$ERR" "busy (HTTP 503): retry later"
kill "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
stop_a2a $pid

# --- ingest --watch whose every round fails, while a peer keeps dropping files.
new_workspace dropbox agent-b
rmdir "$WORK/dropbox/.bwoc/quarantine" && : >"$WORK/dropbox/.bwoc/quarantine"  # no room to quarantine: each round fails
start_ready "$WORK/ingest.log" "$BWOC" -w "$WORK/dropbox" inbox ingest --watch || finish
ingest=$READY_PID
wait_for_text "$WORK/ingest.log" "event=ingest.failed" 10
# Each file wakes the watcher; a file every 10 ms for two seconds.
for i in $(seq 1 200); do
  : >"$WORK/dropbox/.bwoc/drop/new/$i"
  sleep 0.01
done
stop_pid $ingest "inbox ingest --watch"
failures=$(grep -c 'event=ingest.failed' "$WORK/ingest.log")
if [ "$failures" -le 3 ]; then pass; else failed "$failures ingest.failed lines for 200 files"; fi

# --- The body budget is a limit like the others: nonsense is refused.
run "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0 --body-budget 1000
expect_eq "$RC" 2
expect_contains "$ERR" "body budget"
run "$BWOC" -w "$WORK/node" a2a serve --agent agent-b --port 0 --body-budget -1
expect_eq "$RC" 2

finish
