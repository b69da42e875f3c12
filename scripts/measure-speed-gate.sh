#!/usr/bin/env bash
# Measures each speed verdict's false-positive and detection rates (docs/compare.md, "Which speed
# verdict is used when") from repeated pairs of runs, writing results/speed-gate/rates-<host>[-tN].md
# and the per-entry data of every pair next to it (.tsv).
#   scripts/measure-speed-gate.sh [--pairs N] [--threads T] [--config FILE] [--build DIR]
# (defaults: 10 pairs, the config's threads, configs/ci.json, build/ci; about 12 s a pair on 2 CPUs).
#
# A pair is a baseline run of the normal binary followed by a candidate run of the config:
#   same       the same binary;                     hog  the same binary, one busy loop per CPU
#   scalar     BNB_CPU_VARIANT=scalar (SIMD lost);  redundant  the BNB_TEST_REDUNDANT_PASS build
# and each pair is compared three ways: `compare` as it is (raw time, the roofline fraction where raw
# times are not comparable); raw time forced (--force-time); the roofline fraction forced (the
# candidate's machine.cpu_model rewritten, as if from another machine). A pair is "flagged" when the
# exit code has the speed bit. The instruction-count gate is measured on the same four candidates.
# Needs a build (ci preset) with bnb-bench, step_instructions(_redundant_pass) and bnb_bench_redundant_pass.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pairs=10 threads= config=$root/configs/ci.json build=$root/build/ci
while (($#)); do
  case $1 in
    --pairs) pairs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --config) config=$2; shift ;;
    --build) build=$2; shift ;;
    *) echo "measure-speed-gate.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
  shift
done
bench=$build/app/bnb-bench
redundant=$build/bench/bnb_bench_redundant_pass
hog=$root/tests/e2e/under_cpu_hog.sh
for f in "$bench" "$redundant" "$build/bench/step_instructions" "$build/bench/step_instructions_redundant_pass"; do
  [[ -x $f ]] || { echo "measure-speed-gate.sh: $f not built (cmake --build --preset ci --target bnb-bench \
step_instructions step_instructions_redundant_pass bnb_bench_redundant_pass)" >&2; exit 64; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suffix=$(hostname -s)${threads:+-t$threads}
out=$root/results/speed-gate/rates-$suffix.md
tsv=$root/results/speed-gate/pairs-$suffix.tsv
mkdir -p "$(dirname "$out")"
run_args=(run "$config" --quiet)
[[ -n $threads ]] && run_args+=(-t "$threads")

speed_bit() { (( $1 != 0 && $1 < 16 && ($1 & 1) )); }
candidate() {  # candidate CASE OUTPUT: one candidate run
  case $1 in
    same) "$bench" "${run_args[@]}" --output "$2" ;;
    hog) bash "$hog" "$bench" "${run_args[@]}" --output "$2" ;;
    scalar) BNB_CPU_VARIANT=scalar "$bench" "${run_args[@]}" --output "$2" ;;
    redundant) "$redundant" "${run_args[@]}" --output "$2" ;;
  esac >/dev/null 2>&1
}
# Per entry of a compare --format json verdict: case, pair, mode, label, speed verdict, status.
entries_tsv() {
  python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for e in v["entries"]:
    t = e["time"]
    print("\t".join(sys.argv[2:] + [e["label"], t.get("verdict", "?"), t["status"], str(t.get("ratio", ""))]))
' "$@"
}

declare -A flagged
cases=(same hog scalar redundant)
modes=(auto raw roofline)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'case\tpair\tmode\tlabel\tverdict\tstatus\tratio\n' >"$tsv"
for c in "${cases[@]}"; do
  for m in "${modes[@]}"; do flagged[$c.$m]=0; done
  for ((i = 1; i <= pairs; ++i)); do
    "$bench" "${run_args[@]}" --output "$work/base.json" >/dev/null 2>&1
    candidate "$c" "$work/cand.json"
    sed 's/"cpu_model": "[^"]*"/"cpu_model": "another machine"/' "$work/cand.json" >"$work/other.json"
    for m in "${modes[@]}"; do
      case $m in
        auto) args=("$work/base.json" "$work/cand.json") ;;
        raw) args=("$work/base.json" "$work/cand.json" --force-time) ;;
        roofline) args=("$work/base.json" "$work/other.json") ;;
      esac
      "$bench" compare "${args[@]}" --metrics time --format json >"$work/verdict.json" 2>/dev/null
      rc=$?
      speed_bit "$rc" && flagged[$c.$m]=$((flagged[$c.$m] + 1))
      entries_tsv "$work/verdict.json" "$c" "$i" "$m" >>"$tsv"
    done
  done
done
load_mid=$(cut -d' ' -f1-3 /proc/loadavg)

instr() {  # instr CASE: exit code of the instruction-count gate for that candidate
  local bin=$build/bench/step_instructions
  case $1 in
    same) bash "$root/scripts/step-instructions.sh" --bin "$bin" ;;
    hog) bash "$hog" bash "$root/scripts/step-instructions.sh" --bin "$bin" ;;
    scalar) BNB_CPU_VARIANT=scalar bash "$root/scripts/step-instructions.sh" --bin "$bin" ;;
    redundant) bash "$root/scripts/step-instructions.sh" --bin "$build/bench/step_instructions_redundant_pass" ;;
  esac >/dev/null 2>&1
}
declare -A instr_flagged instr_runs
for c in "${cases[@]}"; do
  # Deterministic counts: the regressions once each, the same binary a few times.
  runs=$([[ $c == same || $c == hog ]] && echo $((pairs < 3 ? pairs : 3)) || echo 1)
  instr_runs[$c]=$runs instr_flagged[$c]=0
  for ((i = 0; i < runs; ++i)); do
    instr "$c"; rc=$?
    speed_bit "$rc" && instr_flagged[$c]=$((instr_flagged[$c] + 1))
  done
done

# Entry-level figures from the TSV: how many entries each verdict judged and flagged slower.
entry_counts() {  # entry_counts CASE MODE -> "slower / judged (by raw time r, roofline f, none n)"
  awk -F'\t' -v c="$1" -v m="$2" '$1 == c && $3 == m {
      if ($5 == "none") none++; else judged++; if ($5 == "raw time") raw++; if ($5 == "roofline fraction") roof++
      if ($6 == "slower") slower++ }
    END { printf "%d / %d (raw time %d, roofline %d, none %d)", slower, judged, raw, roof, none }' "$tsv"
}
describe() {
  case $1 in
    same) echo "same binary" ;; hog) echo "same binary, one busy loop per CPU during the candidate" ;;
    scalar) echo "BNB_CPU_VARIANT=scalar" ;; redundant) echo "BNB_TEST_REDUNDANT_PASS build" ;;
  esac
}
threads_used=${threads:-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("threads", "default"))' "$config")}
{
  echo "# Speed-gate rates, $(date -u +%F) on $(hostname -s)"
  echo
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), family $(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')" \
       "model $(grep -m1 '^model\s*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') ($(nproc) logical CPUs); the machine is shared."
  echo "Load average (1, 5, 15 min) before: $load_before; after the timed pairs: $load_mid; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Every command ran under nice -n $(nice) (the machine is shared)."
  echo "Config $(basename "$config"), threads $threads_used; commit $(git -C "$root" rev-parse --short HEAD); $pairs pairs per candidate."
  echo "\"flagged\" = compare exits with the speed bit (any entry slower); the same binary flagged is a false"
  echo "positive, a deliberate regression flagged is a detection. Per-entry data: $(basename "$tsv")."
  echo
  echo "| verdict | candidate | pairs flagged | entries slower / judged |"
  echo "|---|---|---|---|"
  for c in "${cases[@]}"; do
    echo "| compare as is (raw time, roofline where raw is not comparable) | $(describe "$c") | ${flagged[$c.auto]} / $pairs | $(entry_counts "$c" auto) |"
  done
  for c in "${cases[@]}"; do
    echo "| raw time (--force-time) | $(describe "$c") | ${flagged[$c.raw]} / $pairs | $(entry_counts "$c" raw) |"
  done
  for c in "${cases[@]}"; do
    echo "| roofline fraction (candidate on \"another machine\") | $(describe "$c") | ${flagged[$c.roofline]} / $pairs | $(entry_counts "$c" roofline) |"
  done
  for c in "${cases[@]}"; do
    echo "| instruction counts (callgrind, AVX2) | $(describe "$c") | ${instr_flagged[$c]} / ${instr_runs[$c]} | deterministic |"
  done
} >"$out"
cat "$out"
