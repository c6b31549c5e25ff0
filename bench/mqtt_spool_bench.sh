#!/usr/bin/env bash
# Durable enqueue over MQTT from one process, beside `mosquitto_pub -l` on the
# same broker in the same run:
#
#   mosquitto_pub -l   N pre-signed envelopes, one a line, QoS 1 (raw: nothing
#                      written to disk)
#   bwoc publisher     the same number through bwoc's publisher, one thread
#                      (bench/mqtt_load publish): sign each, write it to the
#                      spool (group commit: one fdatasync a batch) and publish
#                      it; the clock stops once every one is durable and
#                      handed to the broker
#   receipts           then beta's subscriber starts (its persistent session
#                      held them), stores each and answers with a signed
#                      receipt, which the publisher verifies: from the start
#                      until the last receipt verified
#
# Like mosquitto_pub, the publisher runs with nothing else consuming the
# machine's two cores; the receiver's work comes after.
#
#   bench/mqtt_spool_bench.sh BUILD_DIR [N]
#
# Prints the rates, then one line:
#   ratio: bwoc spooled-and-published / mosquitto_pub -l = R
set -euo pipefail
build=$(cd "${1:?usage: bench/mqtt_spool_bench.sh BUILD_DIR [N]}" && pwd)
n=${2:-20000}
load="$build/bench/mqtt_load"
. "$(dirname "$0")/mqtt_pair.sh"

"$load" sign alpha agent-a beta agent-b "$n" >envelopes.txt
t0=$(date +%s%N)
mosquitto_pub -p "$port" -q 1 -t bwoc/bench/raw -l <envelopes.txt
t1=$(date +%s%N)
raw=$(( n * 1000000000 / (t1 - t0) ))

# The subscriber's persistent session exists before anything is published.
start_subscriber 1
kill -TERM "$subscriber" && wait "$subscriber" || true
coproc LOAD { "$load" publish alpha agent-a beta agent-b "$n"; }
read -r -u "${LOAD[0]}" enqueued
start_subscriber 2
read -r -u "${LOAD[0]}" result
published=$(jq .published_per_s <<<"$enqueued")
confirmed=$(jq .confirmed_per_s <<<"$result")
jq -e '.unconfirmed == 0' <<<"$result" >/dev/null || { note "receipts missing: $result"; exit 1; }

printf 'envelopes: %s (about 1.5 KiB each)\n' "$n"
printf 'mosquitto_pub -l, QoS 1, raw:                    %s /s\n' "$raw"
printf 'bwoc publisher, signed, spooled and published:    %s /s\n' "$published"
printf 'bwoc, every receipt verified (subscriber after):  %s /s\n' "$confirmed"
printf 'ratio: bwoc spooled-and-published / mosquitto_pub -l = %s\n' "$(echo "$published / $raw" | bc -l | xargs printf '%.3f')"
