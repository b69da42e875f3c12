#!/usr/bin/env bash
# Measures the speed verdicts' false-positive and detection rates (docs/compare.md, "Which speed
# verdict"), writing results/speed-gate/rates-<host>.md:
#  - the instruction-count gate: N runs of the same binary (machine as it is, then with one busy
#    loop per CPU alongside), the scalar kernels forced and the redundant-pass build (each
#    deterministic: once);
#  - the timed comparison: one baseline run of configs/ci.json, then N candidate runs of the same
#    binary (as is, and under the CPU hog) and N with BNB_CPU_VARIANT=scalar, each compared with
#    the baseline; a run is flagged when compare's exit code has the speed bit.
#   scripts/measure-speed-gate.sh [N]     (default 5; about 15 s per repetition)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-5}
bench=$root/build/ci/app/bnb-bench
instr=("$root/scripts/step-instructions.sh" --bin "$root/build/ci/bench/step_instructions")
hog=$root/tests/e2e/under_cpu_hog.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$root/results/speed-gate/rates-$(hostname -s).md
mkdir -p "$(dirname "$out")"

speed_bit() { (( $1 != 0 && $1 < 16 && ($1 & 1) )); }
count_instr() {  # count_instr PREFIX...: how many of n gate runs exit non-zero
  local flagged=0
  for ((i = 0; i < n; ++i)); do "$@" bash "${instr[@]}" >/dev/null 2>&1 || flagged=$((flagged + 1)); done
  echo "$flagged"
}
count_timed() {  # count_timed PREFIX...: how many of n candidate runs compare with the speed bit
  local flagged=0 rc
  for ((i = 0; i < n; ++i)); do
    "$@" "$bench" run "$root/configs/ci.json" --quiet --output "$work/cand.json" >/dev/null 2>&1
    "$bench" compare "$work/base.json" "$work/cand.json" >"$work/verdict.txt" 2>&1; rc=$?
    speed_bit "$rc" && flagged=$((flagged + 1))
  done
  echo "$flagged"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
i_same=$(count_instr env)
i_hog=$(count_instr "$hog")
BNB_CPU_VARIANT=scalar bash "${instr[@]}" >/dev/null 2>&1; i_scalar_rc=$?
bash "$root/scripts/step-instructions.sh" --bin "$root/build/ci/bench/step_instructions_redundant_pass" >/dev/null 2>&1
i_redundant_rc=$?
"$bench" run "$root/configs/ci.json" --quiet --output "$work/base.json" >/dev/null 2>&1
t_same=$(count_timed env)
t_hog=$(count_timed "$hog")
t_scalar=$(count_timed env BNB_CPU_VARIANT=scalar)
{
  echo "# Speed-gate rates, $(date -u +%F) on $(hostname -s)"
  echo
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) logical CPUs);"
  echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
  echo "Commit $(git -C "$root" rev-parse --short HEAD); $n repetitions each; \"flagged\" = exit with the speed bit."
  echo
  echo "| verdict | candidate | flagged |"
  echo "|---|---|---|"
  echo "| instruction counts | same binary | $i_same / $n |"
  echo "| instruction counts | same binary, one busy loop per CPU alongside | $i_hog / $n |"
  echo "| instruction counts | BNB_CPU_VARIANT=scalar | $( ((i_scalar_rc == 1)) && echo 1 || echo 0) / 1 (deterministic) |"
  echo "| instruction counts | BNB_TEST_REDUNDANT_PASS build | $( ((i_redundant_rc == 1)) && echo 1 || echo 0) / 1 (deterministic) |"
  echo "| timed compare, configs/ci.json | same binary | $t_same / $n |"
  echo "| timed compare, configs/ci.json | same binary, one busy loop per CPU alongside | $t_hog / $n |"
  echo "| timed compare, configs/ci.json | BNB_CPU_VARIANT=scalar | $t_scalar / $n |"
} >"$out"
cat "$out"
