#!/usr/bin/env bash
# Memory of `bwoc a2a serve` under slow request bodies (docs/PERFORMANCE.md):
# 2,000 connections each announce a body of 1.1 MB, send 1 MiB of it and
# stall; then they close, and the server is left alone for a minute.
#
#   bench/slow_bodies.sh BUILD_DIR [CONNECTIONS] [-- SERVE_FLAGS...]
#
# Prints the server's resident memory when idle, at the peak (VmHWM), while
# the connections are held, and a minute after they closed. The per-address
# rate limit is off (all connections come from one address) so that every
# body is offered to the server.
set -euo pipefail
build=$(cd "${1:?usage: bench/slow_bodies.sh BUILD_DIR [CONNECTIONS] [-- SERVE_FLAGS...]}" && pwd)
shift
connections=2000
if [ $# -gt 0 ] && [ "$1" != "--" ]; then connections=$1; shift; fi
[ "${1:-}" = "--" ] && shift
bwoc="$build/apps/bwoc/bwoc"
load="$build/bench/slow_bodies"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-slow-bodies-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
mib() { echo "scale=1; $1 / 1024" | bc; }

"$bwoc" init node --keygen >/dev/null && "$bwoc" -w node agent add agent-b >/dev/null
mkfifo ready
"$bwoc" -w node a2a serve --agent agent-b --port 0 --rate-per-address 0 "$@" >ready 2>serve.log &
pid=$!
read -r -t 15 line <ready
url=$(echo "$line" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
curl -s -o /dev/null "$url/.well-known/agent-card.json"
idle=$(rss_kb $pid)
result=$("$load" --url "$url" --connections "$connections" --hold 5 --pid $pid)
sleep 60
after=$(rss_kb $pid)
curl -s -o /dev/null -w '%{http_code}' "$url/.well-known/agent-card.json" >card.code
kill -TERM $pid
wait $pid || true
r() { echo "$result" | jq -r "$1"; }
cat <<EOF
slow bodies: $connections connections, each $(r .send) of $(r .body) bytes, then stalled $(r .sending_s) s after the start
  bodies sent whole: $(r .sent_all); answered 503: $(r .answered_503); other answers: $(r .answered_other); closed unanswered: $(r .closed_unanswered); held open: $(r .held_open)
  resident memory: idle $(mib "$idle") MiB, peak $(mib "$(r .peak_rss_kib)") MiB, held $(mib "$(r .rss_held_kib)") MiB, a minute after they closed $(mib "$after") MiB ($(echo "scale=2; $after / $idle" | bc)× idle)
  the card afterwards: HTTP $(cat card.code); log lines: $(wc -l <serve.log)
EOF
