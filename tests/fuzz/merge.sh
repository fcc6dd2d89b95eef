#!/usr/bin/env bash
# Merges new inputs into a committed corpus, keeping only inputs that add coverage
# (libFuzzer -merge=1 counting edges only, -use_counters=0, so that the corpus stays at a few
# hundred files), then renames every file to the SHA-256 of its content.
#
#   tests/fuzz/merge.sh BUILD_DIR TARGET DIR...
#
# BUILD_DIR is a BOSHMUX_FUZZ=ON build; each DIR holds inputs for TARGET (for example
# FUZZ_OUT/TARGET/corpus of smoke.sh). The committed corpus is minimized as a whole: an input
# already there that adds nothing is dropped too.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 BUILD_DIR TARGET DIR..." >&2
  exit 2
fi
build=$(cd "$1" && pwd)
target=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/corpus/$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/merged"
# Merge into an empty directory: the result is a minimal set covering the old corpus and DIRs.
"$build/tests/fuzz/fuzz_$target" -merge=1 -use_counters=0 -rss_limit_mb=2048 -timeout=20 \
  -artifact_prefix="$work/" "$work/merged" "$corpus" "$@" 2>"$work/log" || {
  tail -20 "$work/log" >&2
  exit 1
}
rm -f "$corpus"/*
for f in "$work/merged"/*; do
  [[ -e $f ]] || continue
  cp "$f" "$corpus/$(sha256sum "$f" | cut -d' ' -f1)"
done
echo "$target: $(ls "$corpus" | wc -l) inputs in $corpus"
