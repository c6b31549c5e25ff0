#!/usr/bin/env bash
# The A2A benchmark of docs/PERFORMANCE.md, side by side in one run:
# `bwoc a2a serve` and the official A2A JS SDK's own server (express), each
# pinned to core 0 with the load generator (bench/a2a_load) on core 1.
#
#   bench/a2a_bench.sh BUILD_DIR [MILLION]
#
# BUILD_DIR holds a build made with -DBWOC_BUILD_BENCH=ON. MILLION is how
# many signed requests the memory run sends (default 1000000; 0 leaves out
# the memory figures: the long runs and the 1,000 idle connections). Needs
# the npm packages of tests/interop (scripts/interop-deps.sh) and two cores.
#
# A2A_BENCH_SECONDS (default 10) is how long each rate is measured (card
# and GetTask: 0.8 of it). With BWOC_BENCH_JSON=FILE the ratios are also
# written to FILE as one JSON object (for bench/all.sh).
set -euo pipefail
build=$(cd "${1:?usage: bench/a2a_bench.sh BUILD_DIR [MILLION]}" && pwd)
million=${2:-1000000}
seconds=${A2A_BENCH_SECONDS:-10}
short=$(echo "$seconds * 0.8" | bc)
here=$(cd "$(dirname "$0")" && pwd)
bwoc="$build/apps/bwoc/bwoc"
load="$build/bench/a2a_load"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-a2a-bench-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ln -sfn "$here/../tests/interop/node_modules" "$here/js/node_modules"
cd "$work"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
loadgen() { taskset -c 1 "$load" "$@"; }
note() { printf '%s\n' "$*" >&2; }

# Two workspaces: the load generator's, whose key the node pins, and the node's.
"$bwoc" init loadgen --keygen >/dev/null && "$bwoc" -w loadgen agent add agent-a >/dev/null
"$bwoc" init node --keygen >/dev/null && "$bwoc" -w node agent add agent-b >/dev/null
printf '[[peer]]\nkey = "loadgen"\npubkey = "%s"\npath = "../loadgen"\n' \
  "$("$bwoc" -w loadgen trust show --json | jq -r .public_key)" >node/.bwoc/routes.toml
node_key=$("$bwoc" -w node trust show --json | jq -r .public_key)

# --- The Ed25519 bound on this machine: bare libsodium on the same bytes.
note "measuring bare Ed25519..."
bound=$(taskset -c 0 "$build/bench/bench_envelope" --benchmark_filter='BM_Bare.*/1024' --benchmark_min_time=1 \
  --benchmark_format=json 2>/dev/null | jq '[.benchmarks[] | {(.name): .cpu_time}] | add')
verify_us=$(echo "$bound" | jq '."BM_BareEd25519Verify/1024" / 1000')
sign_us=$(echo "$bound" | jq '."BM_BareEd25519Sign/1024" / 1000')
bound_rps=$(echo "1000000 / ($verify_us + $sign_us)" | bc -l)

# --- bwoc
mkfifo ready
taskset -c 0 "$bwoc" -w node a2a serve --agent agent-b --port 0 --threads 1 \
  --rate-per-address 0 --rate-per-key 0 >ready 2>bwoc.log &
bwoc_pid=$!
read -r -t 15 line <ready
url=$(echo "$line" | sed -n 's/.* listening on \(http[^ ]*\) .*/\1/p')
port=${url##*:}
rss_start=$(rss_kb $bwoc_pid)
signed() { loadgen --url "$url" --mode signed --workspace loadgen --aud "$node_key" --to agent-b "$@"; }
note "bwoc: signed peak..."
b_peak=$(signed --connections 64 --duration "$seconds")
b_peak_rps=$(echo "$b_peak" | jq .rps)
note "bwoc: signed at 50% and 90% of peak..."
b_50=$(signed --connections 64 --duration "$seconds" --rate "$(echo "$b_peak_rps * 0.5" | bc)")
b_90=$(signed --connections 64 --duration "$seconds" --rate "$(echo "$b_peak_rps * 0.9" | bc)")
note "bwoc: card and GetTask..."
b_card=$(loadgen --url "$url" --mode card --connections 64 --duration "$short")
task=$(curl -s -X POST "$url/a2a" -H 'A2A-Version: 1.0' --data-binary \
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":{\"messageId\":\"x\",\"role\":\"ROLE_USER\",\"parts\":[{\"data\":{\"bwoc.envelope\":$("$bwoc" -w loadgen envelope sign --from agent-a --to agent-b --aud "$node_key")}}]}}}" \
  | jq -r .result.task.id)
b_task=$(loadgen --url "$url" --mode get-task --task "$task" --connections 64 --duration "$short")
b_idle='{"rss_during_kb":0}' b_million='{"requests":0,"rps":0}' rss_before_million=0 rss_after_million=0
if [ "$million" -gt 0 ]; then
  b_idle=$(node "$here/../tests/interop/abuse.mjs" idle 127.0.0.1 "$port" 1000 "$bwoc_pid")
  note "bwoc: $million signed requests for the memory figure..."
  rss_before_million=$(rss_kb $bwoc_pid)
  b_million=$(signed --connections 64 --sign-live --requests "$million")
  rss_after_million=$(rss_kb $bwoc_pid)
fi
kill -TERM $bwoc_pid
wait $bwoc_pid || true
b_stats=$(grep 'event=a2a.stats' bwoc.log | tail -1)

# --- The JS SDK's server, unsigned
note "JS SDK server..."
# On a port picked at random (a fixed one may be another run's): it says
# "listening on PORT" once it listens, and exits when the port is taken.
for attempt in 1 2 3 4 5; do
  js_port=$((20000 + RANDOM % 40000))
  taskset -c 0 node "$here/js/sdk_server.mjs" "$js_port" >js.log 2>&1 &
  js_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" js.log && break
    kill -0 $js_pid 2>/dev/null || break
    sleep 0.1
  done
  grep -q "listening on" js.log && kill -0 $js_pid 2>/dev/null && break
  [ $attempt = 5 ] && { note "the JS SDK server did not start: $(cat js.log)"; exit 1; }
done
js_rss_start=$(rss_kb $js_pid)
j_peak=$(loadgen --url "http://127.0.0.1:$js_port" --mode unsigned --connections 64 --duration "$seconds")
j_peak_rps=$(echo "$j_peak" | jq .rps)
j_50=$(loadgen --url "http://127.0.0.1:$js_port" --mode unsigned --connections 64 --duration "$seconds" --rate "$(echo "$j_peak_rps * 0.5" | bc)")
j_90=$(loadgen --url "http://127.0.0.1:$js_port" --mode unsigned --connections 64 --duration "$seconds" --rate "$(echo "$j_peak_rps * 0.9" | bc)")
j_card=$(loadgen --url "http://127.0.0.1:$js_port" --mode card --connections 64 --duration "$short")
jtask=$(curl -s -X POST "http://127.0.0.1:$js_port/a2a" -H 'A2A-Version: 1.0' -H 'Content-Type: application/json' --data-binary \
  '{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"x","role":"ROLE_USER","parts":[{"text":"hi"}]}}}' | jq -r .result.task.id)
j_task=$(loadgen --url "http://127.0.0.1:$js_port" --mode get-task --task "$jtask" --connections 64 --duration "$short")
j_idle='{"rss_during_kb":0}' js_tasks=0 js_rss_before=0 js_rss_after=0
if [ "$million" -gt 0 ]; then
  j_idle=$(node "$here/../tests/interop/abuse.mjs" idle 127.0.0.1 "$js_port" 1000 "$js_pid")
  js_tasks=100000
  js_rss_before=$(rss_kb $js_pid)
  j_many=$(loadgen --url "http://127.0.0.1:$js_port" --mode unsigned --connections 64 --requests "$js_tasks")
  js_rss_after=$(rss_kb $js_pid)
fi
kill $js_pid

# --- Report
r() { echo "$1" | jq -r "$2"; }
mib() { echo "scale=1; $1 / 1024" | bc; }
cat <<EOF
## A2A benchmark ($(date -u +%Y-%m-%d), $(nproc) cores: server on core 0, load generator on core 1)

Ed25519 here: verify ${verify_us} µs, sign ${sign_us} µs (libsodium, 1 KiB payload) → bound for a signed
message/send (verify the request, sign the receipt) on one core: $(printf '%.0f' "$bound_rps") requests/s.

| | bwoc a2a serve (signed, every check, inbox fsync, signed receipt) | JS SDK server (unsigned, minimal executor) | ratio |
| --- | --- | --- | --- |
| SendMessage peak, 64 connections | $(r "$b_peak" .rps) req/s (p99 $(r "$b_peak" .p99_ms) ms) | $(r "$j_peak" .rps) req/s (p99 $(r "$j_peak" .p99_ms) ms) | $(echo "scale=2; $(r "$b_peak" .rps) / $(r "$j_peak" .rps)" | bc)× |
| p50 / p99 at 50% of peak | $(r "$b_50" .p50_ms) / $(r "$b_50" .p99_ms) ms ($(r "$b_50" .rps) req/s) | $(r "$j_50" .p50_ms) / $(r "$j_50" .p99_ms) ms ($(r "$j_50" .rps) req/s) | |
| p50 / p99 at 90% of peak | $(r "$b_90" .p50_ms) / $(r "$b_90" .p99_ms) ms ($(r "$b_90" .rps) req/s) | $(r "$j_90" .p50_ms) / $(r "$j_90" .p99_ms) ms ($(r "$j_90" .rps) req/s) | |
| agent card | $(r "$b_card" .rps) req/s | $(r "$j_card" .rps) req/s | $(echo "scale=1; $(r "$b_card" .rps) / $(r "$j_card" .rps)" | bc)× |
| GetTask | $(r "$b_task" .rps) req/s | $(r "$j_task" .rps) req/s | $(echo "scale=1; $(r "$b_task" .rps) / $(r "$j_task" .rps)" | bc)× |
| resident memory at start | $(mib "$rss_start") MiB | $(mib "$js_rss_start") MiB | |
| with 1,000 idle connections | $(mib "$(r "$b_idle" .rss_during_kb)") MiB | $(mib "$(r "$j_idle" .rss_during_kb)") MiB | |
| after N more SendMessage | $(mib "$rss_before_million") → $(mib "$rss_after_million") MiB after $(r "$b_million" .requests) ($(r "$b_million" .rps) req/s) | $(mib "$js_rss_before") → $(mib "$js_rss_after") MiB after $js_tasks | |

Signed SendMessage against the Ed25519 bound: $(echo "scale=2; $(r "$b_peak" .rps) / $bound_rps" | bc) of it.
Every signed request was accepted: $(r "$b_peak" .accepted) of $(r "$b_peak" .requests) at peak; non-200 answers: $(r "$b_peak" .non_200).
bwoc's own counters at the end: ${b_stats#*event=a2a.stats }
EOF
if [ -n "${BWOC_BENCH_JSON:-}" ]; then
  jq -n --argjson signed "$(r "$b_peak" .rps)" --argjson bound "$bound_rps" --argjson js "$(r "$j_peak" .rps)" \
    --argjson card "$(r "$b_card" .rps)" --argjson js_card "$(r "$j_card" .rps)" \
    --argjson task "$(r "$b_task" .rps)" --argjson js_task "$(r "$j_task" .rps)" \
    '{signed_rps: $signed, bound_rps: $bound, signed_ratio: ($signed / $bound), js_unsigned_rps: $js,
      card_rps: $card, js_card_rps: $js_card, card_ratio: ($card / $js_card),
      get_task_rps: $task, js_get_task_rps: $js_task, get_task_ratio: ($task / $js_task)}' >"$BWOC_BENCH_JSON"
fi
