#!/usr/bin/env bash
# Runs the examples in docs/*.md: every ```sh block, in order, one fresh
# folder per document, with bwoc on the PATH. A block that fails fails the test.
source "$(dirname "$0")/lib.sh"
DOCS="$TESTS_DIR/../docs"
mkdir -p "$WORK/bin"
ln -s "$BWOC" "$WORK/bin/bwoc"

for doc in "$DOCS"/*.md; do
  name=$(basename "$doc" .md)
  dir="$WORK/$name"
  mkdir -p "$dir"
  # The blocks of one document, joined into a script that stops at the first failure.
  awk -v doc="$name" '
    /^```sh$/ { inside = 1; n++; printf "echo \"--- %s, example %d\"\n", doc, n; next }
    /^```/ && inside { inside = 0; next }
    inside { print }
  ' "$doc" >"$dir/examples.sh"
  [ -s "$dir/examples.sh" ] || continue
  if (cd "$dir" && BWOC_REPO="$TESTS_DIR/.." PATH="$WORK/bin:$PATH" bash -e examples.sh >"$dir/out.txt" 2>&1); then
    pass
  else
    OUT=$(tail -15 "$dir/out.txt")
    ERR=""
    failed "an example in docs/$name.md failed"
  fi
done

finish
