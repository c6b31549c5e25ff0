#!/usr/bin/env bash
# `bwoc demo` is the first thing a newcomer runs: it must work and say what it did.
source "$(dirname "$0")/lib.sh"

expect_ok bwoc demo
expect_contains "$OUT" "accepted 1"
expect_contains "$OUT" "refused: bad_signature"
expect_contains "$OUT" "refused: replayed"
expect_contains "$OUT" "verifies beta's signed receipt"
expect_contains "$OUT" "receipt"
expect_contains "$OUT" "2 of 2 lines verify"
expect_contains "$OUT" "Every step behaved as the spec says"
expect_contains "$OUT" " ms"
# Nothing is left behind unless asked.
DIR=$(echo "$OUT" | sed -n 's/.* in \(\/.*\)$/\1/p' | head -1)
[ -n "$DIR" ] && [ ! -e "$DIR" ] && pass || failed "demo left $DIR behind"

expect_ok bwoc demo --dir "$WORK/kept"
expect_ok bwoc -w "$WORK/kept/beta" inbox verify agent-wenchang
expect_ok bwoc -w "$WORK/kept/beta" inbox refusals
expect_contains "$OUT" "bad_signature"

finish
