#!/usr/bin/env bash
# The provider's side of requests that outlive the call (docs/ENVELOPE.md,
# "Requests that outlive the call"): what was asked of a workspace is listed
# beside what it asked (`bwoc requests`, direction inbound), and work queued
# by a peer that is then lowered to UNTRUSTED or removed is refused, with a
# log line and a final state, never run.
source "$(dirname "$0")/lib.sh"

new_workspace alpha agent-a
new_workspace beta agent-b
declare_peer alpha beta
declare_peer beta alpha

skills=beta/agents/agent-b/skills
mkdir -p "$skills"
cat >"$skills/count.sh" <<'EOF'
#!/bin/sh
input=$(cat)
echo "executed $input" >&2
printf '%s' "$input"
EOF
chmod +x "$skills/count.sh"
jq '.skills = [{name:"count", version:"1.0.0", description:"Echoes its input and counts the runs",
  when_to_use:"tests", input_schema:{type:"object"}, output_schema:{type:"object"}, min_tier:1,
  visibility:"exposed", run:["skills/count.sh"], timeout:"10s"}]' \
  beta/agents/agent-b/config.manifest.json >m.json && mv m.json beta/agents/agent-b/config.manifest.json

inbound_of() { bwoc -w beta requests --json | jq -c --arg idem "$1" '.[] | select(.direction == "inbound" and .idem == $idem)'; }
state_of() { bwoc -w alpha requests --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .state'; }

# --- Work done for a peer is listed as inbound, with its caller and times;
# what beta asked itself is outbound.
id=$(bwoc -w alpha request beta count --input '{"n":1}')
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta inbox ingest
expect_contains "$ERR" 'executed {\"n\":1}'
expect_eq "$(inbound_of "$id" | jq -r '"\(.peer) \(.skill) \(.state)"')" "alpha count done"
expect_eq "$(inbound_of "$id" | jq -r '.created | test("^20[0-9-]+T[0-9:.]+Z$")')" true
expect_eq "$(bwoc -w alpha requests --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .direction')" outbound
run bwoc -w beta requests
expect_contains "$OUT" "DIR"
expect_contains "$(echo "$OUT" | grep "$id")" "in"
expect_contains "$(echo "$OUT" | grep "$id")" "done"
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" done

# --- Work queued by alpha (in beta's folder, no node running), then alpha
# lowered to UNTRUSTED: refused when it is taken in, logged, final, never run.
id=$(bwoc -w alpha request beta count --input '{"n":2}')
run bwoc -w alpha requests --deliver --via path
expect_eq "$(ls beta/.bwoc/drop/new | wc -l)" 1
run bwoc -w beta trust set alpha UNTRUSTED
run bwoc -w beta inbox ingest
expect_contains "$ERR" "event=request.refused"
expect_contains "$ERR" "UNTRUSTED"
expect_not_contains "$ERR" 'executed {\"n\":2}'
expect_eq "$(inbound_of "$id" | jq -r '"\(.peer) \(.state)"')" "alpha refused"
expect_contains "$(inbound_of "$id" | jq -r .reason)" "UNTRUSTED"
# alpha is told: its request failed, not permitted.
run bwoc -w alpha inbox ingest
expect_eq "$(state_of "$id")" failed
# Trusted again, the same request stays refused: it was refused for good.
run bwoc -w beta trust set alpha KNOWN
run bwoc -w alpha requests --deliver --via path
run bwoc -w beta inbox ingest
expect_not_contains "$ERR" 'executed {\"n\":2}'
expect_eq "$(inbound_of "$id" | jq -r .state)" refused

finish
