#!/usr/bin/env bash
# Runs every libFuzzer target of a BOSHMUX_FUZZ=ON build for a while (default 60 s each), two
# at a time, starting from the committed seeds. Fails when any target crashes, leaks, times
# out, runs out of memory or breaks an invariant; the input that did it is kept in the output
# directory (crash-*, leak-*, timeout-*, oom-*), with the target's log.
#
#   tests/fuzz/smoke.sh BUILD_DIR [SECONDS] [TARGET...]
#
# Environment: FUZZ_JOBS (targets run at once, default 2), FUZZ_OUT (output directory, default
# BUILD_DIR/fuzz-smoke). New inputs found go to FUZZ_OUT/<target>/corpus, never into the
# committed corpus (merge them with -merge=1 by hand; see tests/fuzz/README.md).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS] [TARGET...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
jobs=${FUZZ_JOBS:-2}
out=${FUZZ_OUT:-$build/fuzz-smoke}

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for dir in "$here"/corpus/*/; do
    targets+=("$(basename "$dir")")
  done
fi

run_one() {
  local t=$1 bin="$build/tests/fuzz/fuzz_$1" dir="$out/$1"
  if [[ ! -x $bin ]]; then
    echo "$t: no binary $bin (configure with CC=clang-14 CXX=clang++-14 -DBOSHMUX_FUZZ=ON and" \
      "build the target boshmux_fuzz)" >"$dir/log"
    return 1
  fi
  local dict=()
  case $t in
  bosh_body | stream_framer) dict=(-dict="$here/dict/xml.dict") ;;
  http_request) dict=(-dict="$here/dict/http.dict") ;;
  sasl) dict=(-dict="$here/dict/sasl.dict") ;;
  jwt) dict=(-dict="$here/dict/jwt.dict") ;;
  esac
  # Leaks count as failures (libFuzzer's -detect_leaks=1 is the default under ASan).
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$dir/" "$dir/corpus" "$here/corpus/$t" >"$dir/log" 2>&1
}

rm -rf "$out"
declare -A pid_of
failed=()
start=$SECONDS
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus"
  # Keep at most $jobs targets running.
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
    wait -n || true
  done
  run_one "$t" &
  pid_of[$t]=$!
done
for t in "${targets[@]}"; do
  if ! wait "${pid_of[$t]}"; then
    failed+=("$t")
  fi
done

for t in "${targets[@]}"; do
  stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
    "$out/$t/log" 2>/dev/null | sed 's/^stat:://' | tr -s ' \n' ' ' || true)
  cov=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$out/$t/log" 2>/dev/null | tail -1 |
    grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
  echo "fuzz $t: $cov $stats"
done
echo "fuzz smoke: ${#targets[@]} targets x ${seconds}s in $((SECONDS - start))s"
if [[ ${#failed[@]} -gt 0 ]]; then
  for t in "${failed[@]}"; do
    echo "FAILED: $t (log and reproducer in $out/$t/)" >&2
    grep -E 'ERROR|invariant|SUMMARY|Test unit written' "$out/$t/log" | head -5 >&2 || true
  done
  exit 1
fi
