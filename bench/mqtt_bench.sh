#!/usr/bin/env bash
# The MQTT benchmark of docs/PERFORMANCE.md, side by side in one run on one
# mosquitto (loopback, in memory; bench/mqtt_pair.sh):
#
#   ingest   N signed envelopes queued in two persistent sessions, then drained
#            by `mosquitto_sub` (raw, writes nothing) and by `bwoc mqtt
#            subscribe` (every check, inbox on disk, a signed receipt each);
#            beside the Ed25519 bound of this machine: what two cores of bare
#            libsodium do for each envelope (verify it, sign its receipt).
#            The clock stops when every envelope is in the inbox and every
#            receipt has reached the sender's topic (a persistent session).
#            Also the subscriber's CPU time per envelope (user + system, all
#            its threads, until it has stopped: every receipt signed and
#            handed to the broker), which a busy machine does not change;
#            the broker's and the receipt drain's CPU time per envelope, and
#            the ceiling they leave on two shared cores: the ratio reached if
#            the subscriber cost nothing beyond its Ed25519.
#   publish  N envelopes by `mosquitto_pub -l` (pre-signed, raw) and by bwoc's
#            publisher (sign, spool with group-committed fdatasyncs, publish,
#            verify every receipt).
#
#   bench/mqtt_bench.sh BUILD_DIR [N] [ingest]
#
# With "ingest" the publish part is left out.
#
# BUILD_DIR holds a build made with -DBWOC_BUILD_BENCH=ON. N defaults to 20000.
set -euo pipefail
build=$(cd "${1:?usage: bench/mqtt_bench.sh BUILD_DIR [N]}" && pwd)
n=${2:-20000}
only=${3:-}
load="$build/bench/mqtt_load"
. "$(dirname "$0")/mqtt_pair.sh"
now() { date +%s.%N; }
# CPU time (user + system) of a running process, in ms.
cpu_ms_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
# Runs a command and writes its CPU time (user + system, ms) to file $1.
timed() {
  local out=$1 TIMEFORMAT='%U %S' status=0
  shift
  { time "$@" 2>&3 || status=$?; } 3>&2 2>"$out.t"
  awk '{ print ($1 + $2) * 1000 }' "$out.t" >"$out"
  return $status
}
per_envelope() { echo "$1 * 1000 / $n" | bc -l | xargs printf '%.1f'; }
rate() { echo "$1 / ($3 - $2)" | bc -l | xargs printf '%.0f'; }
topic=bwoc/beta/agent-b/inbox

note "signing $n envelopes (about 1 KiB each)..."
"$load" sign alpha agent-a beta agent-b "$n" >envelopes.txt
# CPU times, in ns: verification of these 1 KiB envelopes, and signing a
# receipt (its signed bytes are about 400: the 256 B case is the nearer).
bare=$("$build/bench/bench_envelope" --benchmark_filter='BM_BareEd25519(Verify/1024|Sign/256)' --benchmark_min_time=1 \
  --benchmark_format=json 2>/dev/null | jq '[.benchmarks[] | {(.name): .cpu_time}] | add')
verify_ns=$(echo "$bare" | jq '."BM_BareEd25519Verify/1024"')
sign_ns=$(echo "$bare" | jq '."BM_BareEd25519Sign/256"')
verify_bound=$(echo "1000000000 / $verify_ns" | bc -l | xargs printf '%.0f')
two_core_bound=$(echo "2 * 1000000000 / ($verify_ns + $sign_ns)" | bc -l | xargs printf '%.0f')
verify_ours=$("$load" verify-bound envelopes.txt | jq .verify_per_s)

# --- Ingest. Both sessions exist before the stream is published.
mosquitto_sub -p "$port" -c -i raw-sub -q 1 -t "$topic" -E
# The sender's side of ingest: its receipts, in a session of their own.
receipts_topic=bwoc/alpha/agent-a/receipts
mosquitto_sub -p "$port" -c -i receipts-sub -q 1 -t "$receipts_topic" -E
"$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >sub.ready 2>sub.log &
sub=$!
timeout 10 grep -q -m1 subscribed < <(tail -F sub.ready 2>/dev/null)
kill -TERM $sub && wait $sub
note "queueing $n envelopes in both sessions..."
mosquitto_pub -p "$port" -q 1 -t "$topic" -l <envelopes.txt

broker_t0=$(cpu_ms_of "$broker")
t0=$(now)
timed raw.cpu mosquitto_sub -p "$port" -c -i raw-sub -q 1 -t "$topic" -C "$n" >/dev/null
t1=$(now)
raw_ingest=$(rate "$n" "$t0" "$t1")
broker_raw_ms=$(echo "$(cpu_ms_of "$broker") - $broker_t0" | bc -l)

inbox=beta/agents/agent-b/memories/inbox.jsonl
# Each inbox line is the envelope and 64 bytes of framing: the size says when
# all N are in, without reading the file while it is written.
inbox_bytes=$(( $(stat -c %s envelopes.txt) + 64 * n ))
broker_t0=$(cpu_ms_of "$broker")
t0=$(now)
"$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >/dev/null 2>ingest.log &
sub=$!
timed receipts.cpu mosquitto_sub -p "$port" -c -i receipts-sub -q 1 -t "$receipts_topic" -C "$n" -W 300 >receipts.txt &
receipts_sub=$!
# Done when every envelope is in the inbox and every receipt at the sender's.
"$load" wait-size "$inbox" "$inbox_bytes" 300
wait $receipts_sub || note "not every receipt came back within 300 s"
t1=$(now)
receipts_back=$(grep -c '' receipts.txt)
bwoc_ingest=$(rate "$n" "$t0" "$t1")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$sub/status")
kill -TERM $sub && wait $sub
broker_ms=$(echo "$(cpu_ms_of "$broker") - $broker_t0" | bc -l)
# Its last stats line comes once it has stopped: every receipt signed and sent.
stats=$(grep 'event=mqtt.stats' ingest.log | tail -1)
receipts=$(echo "$stats" | sed -n 's/.* receipts=\([0-9]*\).*/\1/p')
cpu_ms=$(echo "$stats" | sed -n 's/.* cpu_ms=\([0-9]*\).*/\1/p')
cpu_us=$(echo "${cpu_ms:-0} * 1000 / $n" | bc -l | xargs printf '%.1f')
lines=$(grep -c '' "$inbox")
[ "$lines" -eq "$n" ] || { note "inbox has $lines lines, not $n"; exit 1; }

# The ceiling on these two shared cores: the ratio a subscriber that cost
# nothing beyond its two Ed25519 operations would reach, the broker and the
# receipt drain costing what they cost here.
ed_us=$(echo "($verify_ns + $sign_ns) / 1000" | bc -l)
ceiling=$(echo "$ed_us / ($ed_us + ($broker_ms + $(cat receipts.cpu)) * 1000 / $n)" | bc -l | xargs printf '%.2f')
ingest_json="{\"mosquitto_sub_raw_per_s\":$raw_ingest,\"ed25519_verify_bound_per_s\":$verify_bound,
           \"two_core_bound_per_s\":$two_core_bound,\"bwoc_verify_with_jcs_per_s\":$verify_ours,
           \"bwoc_subscribe_per_s\":$bwoc_ingest,
           \"ratio_to_bound\":$(echo "$bwoc_ingest / $two_core_bound" | bc -l | xargs printf '%.2f'),
           \"bwoc_cpu_us_per_envelope\":$cpu_us,\"ed25519_us_per_envelope\":$(echo "($verify_ns + $sign_ns) / 1000" | bc -l | xargs printf '%.1f'),
           \"broker_cpu_us_per_envelope\":$(per_envelope "$broker_ms"),
           \"ceiling_ratio_on_shared_cores\":$ceiling,
           \"receipts_drain_cpu_us_per_envelope\":$(per_envelope "$(cat receipts.cpu)"),
           \"raw_drain\":{\"mosquitto_sub_cpu_us_per_envelope\":$(per_envelope "$(cat raw.cpu)"),
                        \"broker_cpu_us_per_envelope\":$(per_envelope "$broker_raw_ms")},
           \"receipts_sent\":${receipts:-0},\"receipts_back\":$receipts_back,\"bwoc_subscribe_peak_rss_kb\":$rss_kb}"
if [ "$only" = ingest ]; then
  printf '{"envelopes":%d,\n "ingest":%s}\n' "$n" "$ingest_json"
  exit 0
fi

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

cat <<EOT
{"envelopes":$n,
 "ingest":$ingest_json,
 "publish":{"mosquitto_pub_raw_per_s":$raw_publish,"bwoc":$bwoc_publish}}
EOT
