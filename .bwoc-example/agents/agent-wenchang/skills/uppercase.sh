#!/bin/sh
# uppercase: {"text": "..."} on stdin, {"text": "..."} in capitals on stdout.
# The input schema allows letters, digits, spaces and plain punctuation only.
text=$(sed -n 's/^{"text":"\(.*\)"}$/\1/p' | tr '[:lower:]' '[:upper:]')
printf '{"text":"%s"}\n' "$text"
