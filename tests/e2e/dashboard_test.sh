#!/usr/bin/env bash
# `bwoc dashboard` at the HTTP level (curl): 127.0.0.1 only, the token and
# its cookie, the Host check, no CORS, a strict CSP, changes only as POSTs
# with the token in a header and a JSON body from this origin, and request
# targets that cannot leave the page set however they are spelled. The
# same in a browser: dashboard_browser_test.sh.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
start_ready "$WORK/dashboard.log" "$BWOC" -w "$WORK/alpha" dashboard --port 0 || finish
PID=$READY_PID
URL=$(echo "$READY_LINE" | grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*')
TOKEN=${URL##*token=}
BASE=${URL%%\?*}
PORT=$(echo "$BASE" | sed 's|http://127.0.0.1:\([0-9]*\)/|\1|')
expect_eq "${#TOKEN}" "64"

# Listening on the loopback address alone.
expect_eq "$(ss -ltnH "sport = :$PORT" | awk '{print $4}')" "127.0.0.1:$PORT"

# status NAME [curl options] URL: the HTTP status of one request.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

# Without the token, nothing: pages, assets, the API.
for path in "" activity assets/app.js favicon.svg api/status api/events; do
  expect_eq "$(status "$BASE$path")" "401"
done
expect_eq "$(status "${BASE}?token=$(printf '0%.0s' $(seq 64))")" "401"
expect_eq "$(status "${BASE}?token=${TOKEN:0:63}")" "401"

# The token is traded for a cookie, and the address drops it.
run curl -s -i --max-time 10 "$URL"
expect_contains "$OUT" "HTTP/1.1 303"
expect_contains "$OUT" "Location: /"
expect_contains "$OUT" "Set-Cookie: bwoc_dashboard_$PORT=$TOKEN; Path=/; HttpOnly; SameSite=Strict"
COOKIE="Cookie: bwoc_dashboard_$PORT=$TOKEN"
run curl -s -i --max-time 10 "${BASE}inbox?agent=agent-a&token=$TOKEN"
expect_contains "$OUT" "Location: /inbox?agent=agent-a"$'\r'

# Every answer: a strict CSP, nosniff, no framing, no referrer, no CORS.
for path in "" assets/app.js assets/app.css api/status; do
  run curl -s -i --max-time 10 -H "$COOKIE" "$BASE$path"
  expect_contains "$OUT" "HTTP/1.1 200"
  expect_contains "$OUT" "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'"
  expect_contains "$OUT" "X-Content-Type-Options: nosniff"
  expect_contains "$OUT" "X-Frame-Options: DENY"
  expect_contains "$OUT" "Referrer-Policy: no-referrer"
  expect_not_contains "$(echo "$OUT" | tr 'A-Z' 'a-z')" "access-control-"
done
# Even when asked from another origin, and for a preflight.
run curl -s -i --max-time 10 -H "$COOKIE" -H "Origin: http://evil.example" "${BASE}api/status"
expect_not_contains "$(echo "$OUT" | tr 'A-Z' 'a-z')" "access-control-"
run curl -s -i --max-time 10 -X OPTIONS -H "$COOKIE" -H "Origin: http://evil.example" \
  -H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: x-bwoc-token" "${BASE}api/trust/set"
expect_contains "$OUT" "HTTP/1.1 405"
expect_not_contains "$(echo "$OUT" | tr 'A-Z' 'a-z')" "access-control-"

# The page is built in: no file of this machine is read for it.
run curl -s --max-time 10 -H "$COOKIE" "$BASE"
expect_contains "$OUT" '<meta name="bwoc-token" content="'"$TOKEN"'">'
expect_contains "$OUT" '<script src="/assets/app.js" defer></script>'
expect_not_contains "$OUT" "http://"
expect_not_contains "$OUT" "https://"
expect_not_contains "$(curl -s --max-time 10 -H "$COOKIE" "${BASE}assets/app.js")" "https://"

# Host: only 127.0.0.1 or localhost at this port (no DNS rebinding), even with the token.
for host in "evil.example:$PORT" "127.0.0.1" "127.0.0.1:1" "localhost.evil.example:$PORT" "[::1]:$PORT" ""; do
  expect_eq "$(status -H "Host: $host" -H "$COOKIE" "${BASE}api/status")" "421"
done
expect_eq "$(status -H "Host: evil.example:$PORT" "$URL")" "421"
expect_eq "$(status -H "Host: localhost:$PORT" -H "$COOKIE" "${BASE}api/status")" "200"

# Changes: a POST with the token in X-Bwoc-Token and a JSON body, from this origin.
post() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "$COOKIE" "$@"; }
body='{"peer":"beta","tier":2}'
expect_eq "$(post -H 'Content-Type: application/json' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: ${TOKEN:1}0" -H 'Content-Type: application/json' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: text/plain' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/x-www-form-urlencoded' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' -H 'Origin: http://evil.example' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' -H 'Origin: null' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' -H 'Sec-Fetch-Site: same-site' --data "$body" "${BASE}api/trust/set")" "403"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' --data "$body" "${BASE}api/trust/set")" "401"
expect_eq "$(bwoc -w alpha trust list --json | jq '.[0].tier')" "1"
# A GET changes nothing, whatever it names.
expect_eq "$(status -H "$COOKIE" "${BASE}api/trust/set?peer=beta&tier=2")" "404"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$PORT" \
  -H 'Sec-Fetch-Site: same-origin' --data "$body" "${BASE}api/trust/set")" "200"
expect_eq "$(bwoc -w alpha trust list --json | jq '.[0].tier')" "2"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' --data '{"peer":"nobody","tier":1}' "${BASE}api/trust/set")" "404"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' --data '{"peer":"beta","tier":7}' "${BASE}api/trust/set")" "400"
expect_eq "$(post -H "X-Bwoc-Token: $TOKEN" -H 'Content-Type: application/json' --data '{"peer":' "${BASE}api/trust/set")" "400"
expect_eq "$(status -X PUT -H "$COOKIE" "${BASE}api/trust/set")" "405"
expect_eq "$(status -X DELETE -H "$COOKIE" "$BASE")" "405"

# Request targets cannot leave the page set, however spelled: nothing is
# looked up on disk, and a target is matched whole, never decoded.
for target in /../../../../etc/passwd /..%2f..%2fetc%2fpasswd /%2e%2e/%2e%2e/etc/passwd /assets/../../etc/passwd \
  /assets/%2e%2e/app.js /assets/..%2fapp.js /assets/app.js/.. /assets/./app.js /ASSETS/app.js /assets/app.js%00 \
  /assets/app.js%2500 "/assets/app.js;.css" /assets/ /assets /etc/passwd /api/../assets/app.js /api/status/ \
  /.bwoc/credentials/ed25519.secret /..; do
  code=$(status --path-as-is -H "$COOKIE" "http://127.0.0.1:$PORT$target")
  [[ "$code" == 400 || "$code" == 404 ]] && pass || failed "$target answered $code"
done
# Raw request lines curl would not send: the absolute and authority forms,
# a target without its slash, a backslash.
raw() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf '%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n%s\r\nConnection: close\r\n\r\n' "$1" "$PORT" "$COOKIE" >&3
  timeout 10 head -1 <&3 | tr -d '\r'
  exec 3<&-
}
for line in "GET http://127.0.0.1:$PORT/assets/app.js" "GET http://127.0.0.1:$PORT/../../etc/passwd" \
  "GET //etc/passwd" "GET assets/app.js" "GET \\..\\..\\etc\\passwd" "GET /assets\\..\\..\\etc\\passwd" "GET *"; do
  got=$(raw "$line")
  [[ "$got" == "HTTP/1.1 400"* || "$got" == "HTTP/1.1 404"* ]] && pass || failed "$line answered: $got"
done
expect_eq "$(raw "GET /assets/app.js")" "HTTP/1.1 200 OK"

# A routes.toml with a mistake: the activity is still there, and the overview names the mistake.
cp alpha/.bwoc/routes.toml "$WORK/routes.toml"
echo "[[peer]]" >>alpha/.bwoc/routes.toml
expect_eq "$(status -H "$COOKIE" "${BASE}api/activity")" "200"
expect_contains "$(curl -s --max-time 10 -H "$COOKIE" "${BASE}api/status" | jq -r '.problems[0]')" "peers: "
cp "$WORK/routes.toml" alpha/.bwoc/routes.toml

# It keeps its state like the other services, without its token, and stops cleanly.
STATE=alpha/.bwoc/state/services/dashboard-all.json
expect_eq "$(jq -r .endpoint $STATE)" "$BASE"
expect_eq "$(stat -c %a $STATE)" "600"
expect_not_contains "$(cat $STATE)" "$TOKEN"
run bwoc -w alpha status --json
expect_eq "$(echo "$OUT" | jq -r '.services[] | select(.kind == "dashboard") | .running')" "true"
stop_pid "$PID" "bwoc dashboard"
[ ! -e $STATE ] && pass || failed "the state file outlived the dashboard"
expect_contains "$(cat "$WORK/dashboard.log")" "event=dashboard.stopped"
expect_not_contains "$(cat "$WORK/dashboard.log")" "$TOKEN"
finish
