#!/usr/bin/env bash
# Workspaces, identity and keys, as a user meets them.
source "$(dirname "$0")/lib.sh"

# init lays out the workspace and keeps secrets out of git.
expect_ok bwoc init alpha --name alpha
for f in .bwoc/identity.toml .bwoc/routes.toml .bwoc/interconnect/shared.toml .gitignore; do
  [ -f "alpha/$f" ] && pass || failed "missing alpha/$f"
done
[ -d alpha/agents ] && pass || failed "missing agents/"
expect_contains "$(cat alpha/.gitignore)" ".bwoc/credentials/"
expect_contains "$(cat alpha/.bwoc/routes.toml)" "# [[peer]]"
expect_eq "$(stat -c %a alpha/.bwoc/credentials)" "700"
expect_exit 1 bwoc init alpha --name alpha   # already a workspace
expect_one_line_error
expect_exit 2 bwoc init bad --name "Not A Name"
expect_one_line_error

# Keys: made once, refused twice, replaced only with --force.
cd alpha
expect_exit 2 bwoc trust show                # no key yet
expect_contains "$ERR" "bwoc trust --keygen"
expect_ok bwoc trust --keygen
expect_eq "$(stat -c %a .bwoc/credentials/ed25519.secret)" "600"
KEY1=$(bwoc trust show --json | jq -r .public_key)
expect_contains "$(cat .bwoc/identity.toml)" "$KEY1"
[[ "$KEY1" =~ ^ed25519:[A-Za-z0-9+/]{43}=$ ]] && pass || failed "public key form: $KEY1"
expect_exit 1 bwoc trust --keygen
expect_contains "$ERR" "--force"
expect_eq "$(bwoc trust show --json | jq -r .public_key)" "$KEY1"
expect_ok bwoc trust --keygen --force
KEY2=$(bwoc trust show --json | jq -r .public_key)
[ "$KEY1" != "$KEY2" ] && pass || failed "--force kept the old key"
run bwoc trust show
expect_contains "$OUT" "fingerprint"
# The secret never appears in what bwoc prints.
SEED=$(grep '^ed25519-seed:' .bwoc/credentials/ed25519.secret | cut -d: -f2)
run bwoc trust show --json
expect_not_contains "$OUT$ERR" "$SEED"

# A secret key others can read is refused with what to do.
bwoc agent add agent-a >/dev/null
bwoc agent add agent-b >/dev/null
chmod 644 .bwoc/credentials/ed25519.secret
expect_exit 1 bwoc envelope sign --from agent-a --to agent-b --aud self
expect_one_line_error
expect_contains "$ERR" "chmod 600"
chmod 600 .bwoc/credentials/ed25519.secret
expect_ok bwoc envelope sign --from agent-a --to agent-b --aud self

# Agents.
expect_exit 1 bwoc agent add agent-a
expect_exit 2 bwoc agent add "../escape"
expect_one_line_error
[ -f agents/agent-a/config.manifest.json ] && [ -d agents/agent-a/memories ] && pass || failed "agent layout"
expect_eq "$(bwoc agent list --json | jq -r '.[].name' | tr '\n' ' ')" "agent-a agent-b "
expect_eq "$(jq -r .name agents/agent-a/config.manifest.json)" "agent-a"

# The workspace is found from a subfolder, from BWOC_WORKSPACE and from -w.
mkdir -p deep/er/still
(cd deep/er/still && "$BWOC" trust show --json | jq -r .name) >"$WORK/.name"
expect_eq "$(cat "$WORK/.name")" "alpha"
cd "$WORK"
expect_exit 2 bwoc trust show                       # not inside a workspace
expect_one_line_error
expect_contains "$ERR" "bwoc init"
expect_eq "$(BWOC_WORKSPACE="$WORK/alpha" "$BWOC" trust show --json | jq -r .name)" "alpha"
expect_eq "$(bwoc -w alpha trust show --json | jq -r .name)" "alpha"
expect_exit 2 bwoc -w "$WORK/nowhere" trust show
expect_one_line_error

# routes.toml: invalid files are refused with file, line and what is wrong.
KEY=$(bwoc -w alpha trust show --json | jq -r .public_key)
printf '[[peer]]\nkey = "beta"\npubkey = "%s"\npath = "/tmp"\nurll = "http://x"\n' "$KEY" >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_one_line_error
expect_contains "$ERR" "routes.toml:5: unknown field \"urll\""
printf '[[peer]]\nkey = "beta"\npubkey = "ed25519:AAAA"\npath = "/tmp"\n' >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_contains "$ERR" "routes.toml:3:"
printf '[[peer]]\nkey = "beta"\npubkey = "%s"\n' "$KEY" >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_contains "$ERR" "no way to reach it"
printf '[[peer]\nkey = "beta"\n' >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_contains "$ERR" "routes.toml:1:"
printf '[[peer]]\nkey = "beta"\npubkey = "%s"\npath = "/a"\n[[peer]]\nkey = "beta"\npubkey = "%s"\npath = "/b"\n' "$KEY" "$KEY" >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_contains "$ERR" "declared twice"
printf '[[peer]]\nkey = "beta"\npubkey = "%s"\nmqtt = { broker = "mqtt://h:1883", topic = "bwoc/+/x" }\ntier = 7\n' "$KEY" >alpha/.bwoc/routes.toml
expect_exit 2 bwoc -w alpha inbox ingest
expect_contains "$ERR" "mqtt.topic"

finish
