#!/bin/sh
# word-count: {"text": "..."} on stdin, {"words": N, "characters": N} on stdout.
# The input schema allows no quote or backslash in "text", so the compact JSON
# bwoc hands over is exactly {"text":"..."} and sed can take it apart.
text=$(sed -n 's/^{"text":"\(.*\)"}$/\1/p')
words=$(printf '%s' "$text" | wc -w)
characters=$(printf '%s' "$text" | wc -m)
printf '{"words":%d,"characters":%d}\n' "$words" "$characters"
