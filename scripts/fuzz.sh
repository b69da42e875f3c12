#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs every fuzz target of
# tests/fuzz for a bounded time, as many at once as there are CPUs (each fuzzer is one process
# on one core, so each still gets its whole time).
#   scripts/fuzz.sh                      20 s per target (the short run)
#   scripts/fuzz.sh --minutes 10         the long local run
#   scripts/fuzz.sh --seconds 60 config  some targets only (config safetensors trace checkpoint results)
#   scripts/fuzz.sh --jobs 1             one target at a time (default: nproc at once)
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
jobs=$(nproc)
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --minutes) seconds=$(($2 * 60)); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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

# One target: the fuzzer, then its summary line into build/fuzz/$t.summary (printed in target
# order once all have run). Exit status 1 on a crash, leak, hang or sanitizer report.
fuzz_one() {
  local t=$1 bin=build/fuzz/tests/fuzz/fuzz_$1 work=build/fuzz/corpus/$1 crashes=build/fuzz/crashes/$1
  local log=build/fuzz/$1.log status=0 runs cov
  # -rss_limit_mb: the readers hold at most a few copies of an input; -timeout: no input may
  # take a second (a hang is a bug too). Both report as crashes.
  if ! "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict=tests/fuzz/json.dict -artifact_prefix="$crashes/" "$work" $(seeds_of "$t") >"$log" 2>&1; then
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  echo "fuzz_$t: ${runs:-?} executions in ${seconds} s, ${cov:-no coverage line}, corpus $(ls "$work" | wc -l) files" \
    >"build/fuzz/$t.summary"
  return "$status"
}

for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/crashes/$t" "tests/fuzz/corpus/$t"
done
pids=()
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  fuzz_one "$t" &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if ! wait "${pids[$i]}"; then
    echo "fuzz_$t: FAILED; see build/fuzz/$t.log and build/fuzz/crashes/$t/"
    tail -n 30 "build/fuzz/$t.log"
    status=1
  fi
  cat "build/fuzz/$t.summary"
  echo "$(date -u +%FT%TZ) $(cat "build/fuzz/$t.summary")" >>build/fuzz/summary.txt
done
exit "$status"
