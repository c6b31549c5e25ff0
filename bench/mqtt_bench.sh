#!/usr/bin/env bash
# The MQTT benchmark of docs/PERFORMANCE.md, side by side in one run on one
# mosquitto (loopback, in memory; bench/mqtt_pair.sh):
#
#   ingest   N signed envelopes queued in two persistent sessions, then drained
#            by `mosquitto_sub` (raw, writes nothing) and by `bwoc mqtt
#            subscribe` (every check, inbox on disk, a signed receipt each);
#            beside the Ed25519-verify bound of this machine (bare libsodium).
#   publish  N envelopes by `mosquitto_pub -l` (pre-signed, raw) and by bwoc's
#            publisher (sign, spool with group-committed fdatasyncs, publish,
#            verify every receipt).
#
#   bench/mqtt_bench.sh BUILD_DIR [N]
#
# BUILD_DIR holds a build made with -DBWOC_BUILD_BENCH=ON. N defaults to 20000.
set -euo pipefail
build=$(cd "${1:?usage: bench/mqtt_bench.sh BUILD_DIR [N]}" && pwd)
n=${2:-20000}
load="$build/bench/mqtt_load"
. "$(dirname "$0")/mqtt_pair.sh"
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l | xargs printf '%.0f'; }
topic=bwoc/beta/agent-b/inbox

note "signing $n envelopes (about 1 KiB each)..."
"$load" sign alpha agent-a beta agent-b "$n" >envelopes.txt
bare=$("$build/bench/bench_envelope" --benchmark_filter='BM_BareEd25519Verify/1024' --benchmark_min_time=1 \
  --benchmark_format=json 2>/dev/null | jq '.benchmarks[0].cpu_time')
verify_bound=$(echo "1000000000 / $bare" | bc -l | xargs printf '%.0f')
verify_ours=$("$load" verify-bound envelopes.txt | jq .verify_per_s)

# --- Ingest. Both sessions exist before the stream is published.
mosquitto_sub -p "$port" -c -i raw-sub -q 1 -t "$topic" -E
"$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >sub.ready 2>sub.log &
sub=$!
timeout 10 grep -q -m1 subscribed < <(tail -F sub.ready 2>/dev/null)
kill -TERM $sub && wait $sub
note "queueing $n envelopes in both sessions..."
mosquitto_pub -p "$port" -q 1 -t "$topic" -l <envelopes.txt

t0=$(now)
mosquitto_sub -p "$port" -c -i raw-sub -q 1 -t "$topic" -C "$n" >/dev/null
t1=$(now)
raw_ingest=$(rate "$n" "$t0" "$t1")

inbox=beta/agents/agent-b/memories/inbox.jsonl
# Each inbox line is the envelope and 64 bytes of framing: the size says when
# all N are in, without reading the file while it is written.
inbox_bytes=$(( $(stat -c %s envelopes.txt) + 64 * n ))
t0=$(now)
"$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >/dev/null 2>>sub.log &
sub=$!
"$load" wait-size "$inbox" "$inbox_bytes" 300
t1=$(now)
bwoc_ingest=$(rate "$n" "$t0" "$t1")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$sub/status")
kill -TERM $sub && wait $sub
lines=$(grep -c '' "$inbox")
[ "$lines" -eq "$n" ] || { note "inbox has $lines lines, not $n"; exit 1; }

# --- Publish.
t0=$(now)
mosquitto_pub -p "$port" -q 1 -t bwoc/bench/raw -l <envelopes.txt
t1=$(now)
raw_publish=$(rate "$n" "$t0" "$t1")
"$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >sub.ready2 2>>sub.log &
sub=$!
timeout 10 grep -q -m1 subscribed < <(tail -F sub.ready2 2>/dev/null)
bwoc_publish=$("$load" publish alpha agent-a beta agent-b "$n" | tail -1)
kill -TERM $sub && wait $sub

lower=$((raw_ingest < verify_bound ? raw_ingest : verify_bound))
cat <<EOT
{"envelopes":$n,
 "ingest":{"mosquitto_sub_raw_per_s":$raw_ingest,"ed25519_verify_bound_per_s":$verify_bound,
           "bwoc_verify_with_jcs_per_s":$verify_ours,"bwoc_subscribe_per_s":$bwoc_ingest,
           "ratio_to_lower":$(echo "$bwoc_ingest / $lower" | bc -l | xargs printf '%.2f'),"bwoc_subscribe_peak_rss_kb":$rss_kb},
 "publish":{"mosquitto_pub_raw_per_s":$raw_publish,"bwoc":$bwoc_publish}}
EOT
