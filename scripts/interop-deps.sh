#!/usr/bin/env bash
# Installs the npm packages the interop tests, the browser test and the
# benchmarks use, each from its committed lock file: tests/interop (the
# official A2A JS SDK in two generations, an RFC 8785 and an Ed25519
# package, `jose` for the agent card's JWS, and @noble/curves, hashes and
# ciphers for sealed payloads), tests/mcp-sdk (the official MCP TypeScript
# SDK) and tests/browser (playwright-core, which drives Debian's chromium:
# it downloads no browser). The A2A SDK 1.x needs Node.js 20 or newer;
# Debian 12's own nodejs package is 18, so Node comes from the machine
# (e.g. NodeSource's nodejs 20 package) and this script says so when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../tests"
if ! command -v node >/dev/null; then
  echo "interop: Node.js 20 or newer is needed for the A2A interop tests and is not installed." >&2
  echo "interop: Debian 12's nodejs package is too old (18); install Node.js 20 (e.g. from NodeSource)." >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "interop: Node.js $(node --version) is too old: the A2A JS SDK 1.x needs Node.js 20 or newer." >&2
  echo "interop: Debian 12's nodejs package is 18; install Node.js 20 (e.g. from NodeSource)." >&2
  exit 1
fi
for dir in interop mcp-sdk browser; do
  if [ -f "$dir/node_modules/.package-lock.json" ] && cmp -s "$dir/package-lock.json" "$dir/node_modules/.bwoc-lock" 2>/dev/null; then
    echo "$dir: npm packages are installed"
    continue
  fi
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.bwoc-lock)
done
