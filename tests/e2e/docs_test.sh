#!/usr/bin/env bash
# Runs the examples in docs/*.md: every ```sh block, in order, one fresh
# folder per document, with bwoc on the PATH. A block that fails fails the test.
# Then checks that every command the docs and the README name, in code or
# in a code span, is a command bwoc has (no dead end in the documentation).
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

# The subcommands of `bwoc WORDS...`, one a line (none for a command that takes arguments).
subcommands() { "$BWOC" "$@" --help 2>/dev/null | sed -n '/^Subcommands:$/,/^$/p' | awk 'NR > 1 && NF { print $1 }'; }
# Code blocks and code spans of a Markdown file, one a line.
code_of() {
  awk '/^```/ { inside = !inside; next }
       inside { print; next }
       { line = $0
         while (match(line, /`[^`]+`/)) { print substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, RSTART + RLENGTH) } }' "$1"
}
checked=0
for doc in "$DOCS"/*.md "$DOCS/../README.md"; do
  while read -r command; do
    # Drop the workspace option, then walk the subcommands word by word.
    read -r -a words <<<"$(echo "$command" | sed -E 's/^bwoc( (-w|--workspace) [^ ]+)?//')"
    path=()
    for word in "${words[@]}"; do
      known=$(subcommands "${path[@]}")
      [ -z "$known" ] && break
      [[ "$word" == -* ]] && break
      missing=""
      for alternative in ${word//\// }; do
        grep -qx -- "$alternative" <<<"$known" || missing=$alternative
      done
      if [ -n "$missing" ]; then
        failed "$(basename "$doc") names \`$command\`: \`bwoc ${path[*]}\` has no subcommand \"$missing\""
        break
      fi
      [[ "$word" == */* ]] && break
      path+=("$word")
    done
    checked=$((checked + 1))
  done < <(code_of "$doc" | grep -oE '(^|[^a-zA-Z./_-])bwoc( (-w|--workspace) [^ ]+)?( [a-z][a-z0-9/-]*){1,3}' |
             sed -E 's/^[^b]*bwoc/bwoc/' | sort -u)
done
echo "the docs name $checked commands"
[ "$checked" -gt 50 ] && pass || failed "only $checked commands found in the docs"

finish
