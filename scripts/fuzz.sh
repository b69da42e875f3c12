#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs every fuzz target of
# tests/fuzz for a bounded time, one after the other.
#   scripts/fuzz.sh                      20 s per target (the short run)
#   scripts/fuzz.sh --minutes 10         the long local run
#   scripts/fuzz.sh --seconds 60 config  some targets only (config safetensors trace checkpoint results)
# Seeds (read only): the project's own files of each kind (seeds_of below) and
# tests/fuzz/corpus/<target>; what the fuzzer finds goes to build/fuzz/corpus/<target> and is
# kept between runs. A crash, leak or sanitizer report fails
# the script and is saved as build/fuzz/crashes/<target>/crash-*: minimize it with
#   build/fuzz/tests/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 <file>
# then add it to tests/fuzz/corpus/<target> and an e2e bad-input case. One summary line per
# target (executions, coverage) is printed and appended to build/fuzz/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --minutes) seconds=$(($2 * 60)); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(config safetensors trace checkpoint results)

bash scripts/setup.sh clang-14 libclang-rt-14-dev  # clang and its libFuzzer/sanitizer runtimes
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

seeds_of() {
  case "$1" in
    config) echo configs tests/e2e/configs ;;
    safetensors|trace) echo tests/data tests/e2e/data ;;
    results) echo tests/e2e/compare ;;
  esac
  echo "tests/fuzz/corpus/$1"
}

status=0
for t in "${targets[@]}"; do
  bin=build/fuzz/tests/fuzz/fuzz_$t
  work=build/fuzz/corpus/$t
  crashes=build/fuzz/crashes/$t
  log=build/fuzz/$t.log
  mkdir -p "$work" "$crashes" "tests/fuzz/corpus/$t"
  # -rss_limit_mb: the readers hold at most a few copies of an input; -timeout: no input may
  # take a second (a hang is a bug too). Both report as crashes.
  if ! "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict=tests/fuzz/json.dict -artifact_prefix="$crashes/" "$work" $(seeds_of "$t") >"$log" 2>&1; then
    echo "fuzz_$t: FAILED; see $log and $crashes/"
    tail -n 30 "$log"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  line="fuzz_$t: ${runs:-?} executions in ${seconds} s, ${cov:-no coverage line}, corpus $(ls "$work" | wc -l) files"
  echo "$line"
  echo "$(date -u +%FT%TZ) $line" >>build/fuzz/summary.txt
done
exit "$status"
