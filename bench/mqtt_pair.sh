# Sourced by the MQTT benchmarks: a scratch folder, one mosquitto on
# loopback (in memory, no queue limit), and two workspaces, alpha (agent-a)
# and beta (agent-b), that pin each other and reach each other over it.
# Needs $build; sets $work (the current folder), $port, $url and $bwoc, and
# stops everything it started on exit.
bwoc="$build/apps/bwoc/bwoc"
work=$(mktemp -d "${TMPDIR:-/tmp}/bwoc-mqtt-bench-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
note() { printf '%s\n' "$*" >&2; }

# A port another process holds makes mosquitto exit at once: try another.
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\npersistence false\nmax_queued_messages 0\nmax_queued_bytes 0\n' \
    "$port" "$(id -un)" >mosquitto.conf
  # Without it a packet that follows another within the client's delayed-ACK
  # time waits 40 ms for Nagle's algorithm (docs/MQTT.md).
  echo "set_tcp_nodelay true" >>mosquitto.conf
  mosquitto -c mosquitto.conf >mosquitto.log 2>&1 &
  broker=$!
  for _ in $(seq 1 100); do
    kill -0 $broker 2>/dev/null || break
    mosquitto_pub -p "$port" -t ready -n 2>/dev/null && break
    read -r -t 0.05 <> <(:) || true
  done
  kill -0 $broker 2>/dev/null && break
done
kill -0 $broker 2>/dev/null || { note "mosquitto did not start: $(cat mosquitto.log)"; exit 1; }
url="mqtt://127.0.0.1:$port"

"$bwoc" init alpha --keygen >/dev/null && "$bwoc" -w alpha agent add agent-a >/dev/null
"$bwoc" init beta --keygen >/dev/null && "$bwoc" -w beta agent add agent-b >/dev/null
for pair in "alpha beta" "beta alpha"; do
  set -- $pair
  printf '[[peer]]\nkey = "%s"\npubkey = "%s"\nmqtt = { broker = "%s", topic = "bwoc/%s" }\n' "$2" \
    "$("$bwoc" -w "$2" trust show --json | jq -r .public_key)" "$url" "$2" >"$1/.bwoc/routes.toml"
done

# Starts beta's subscriber for agent-b and returns once it is subscribed.
start_subscriber() {
  "$bwoc" -w beta mqtt subscribe --agent agent-b --broker "$url" >"sub.ready.$1" 2>>sub.log &
  subscriber=$!
  timeout 10 grep -q -m1 subscribed < <(tail -F "sub.ready.$1" 2>/dev/null)
}
