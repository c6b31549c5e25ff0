#!/usr/bin/env bash
# `bwoc send` over MQTT, receipt verified, as a person runs it (a whole
# process, from exec to exit), beside `mosquitto_pub` publishing one QoS 1
# message as a process, on one mosquitto on loopback, in the same run.
#
#   bench/mqtt_send_bench.sh BUILD_DIR [RUNS]
#
# Prints each side's p50 and p90 in ms, then one line:
#   ratio: bwoc send p50 / mosquitto_pub p50 = R
set -euo pipefail
build=$(cd "${1:?usage: bench/mqtt_send_bench.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-50}
. "$(dirname "$0")/mqtt_pair.sh"
start_subscriber 1

# Microseconds a command takes, from exec to exit.
elapsed_us() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
percentile() {  # P, then microsecond figures on stdin
  sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; printf "%.1f", a[i]/1000}'
}

payload='{"text":"hello from alpha"}'
# One of each first, so that neither side pays for a cold cache.
"$bwoc" -w alpha send beta/agent-b --from agent-a --via mqtt --payload "$payload" >/dev/null
mosquitto_pub -p "$port" -q 1 -t bench/raw -m "$payload"
: >bwoc.us
: >raw.us
for _ in $(seq 1 "$runs"); do
  elapsed_us "$bwoc" -w alpha send beta/agent-b --from agent-a --via mqtt --payload "$payload" --json >>bwoc.us
  elapsed_us mosquitto_pub -p "$port" -q 1 -t bench/raw -m "$payload" >>raw.us
done
# Every send was confirmed: the spool holds nothing.
"$bwoc" -w alpha mqtt spool --json | jq -e 'length == 0' >/dev/null || { note "unconfirmed envelopes in the spool"; exit 1; }

bwoc_p50=$(percentile 50 <bwoc.us)
raw_p50=$(percentile 50 <raw.us)
printf 'runs: %s\n' "$runs"
printf 'mosquitto_pub -q 1 (one message, a process):     p50 %s ms, p90 %s ms\n' "$raw_p50" "$(percentile 90 <raw.us)"
printf 'bwoc send --via mqtt (receipt verified, a process): p50 %s ms, p90 %s ms\n' "$bwoc_p50" "$(percentile 90 <bwoc.us)"
printf 'ratio: bwoc send p50 / mosquitto_pub p50 = %s\n' "$(echo "$bwoc_p50 / $raw_p50" | bc -l | xargs printf '%.2f')"
