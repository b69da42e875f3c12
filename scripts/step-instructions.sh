#!/usr/bin/env bash
# The deterministic speed gate (issue 24, docs/compare.md): instructions per parameter-step of
# every entry of configs/ci.json, counted by valgrind's callgrind over three steps of each entry
# (one thread, the AVX2 kernels: valgrind does not run AVX-512), compared with
# results/baseline-instructions.json at 2% either way. Exit 1 when a count is off.
#   scripts/step-instructions.sh [--update] [--bin PATH] [--baseline FILE] [--config FILE]
# --update rewrites the baseline (scripts/update-instruction-baseline.sh); --bin is the
# step_instructions binary (default build/ci/bench/step_instructions). BNB_CPU_VARIANT, when set,
# replaces avx2 (the test forces scalar to check that a lost SIMD path is caught).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/ci/bench/step_instructions
baseline=$root/results/baseline-instructions.json
config=$root/configs/ci.json
write=()
while (($#)); do
  case $1 in
    --update) write=(--write) ;;
    --bin) bin=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --config) config=$2; shift ;;
    *) echo "step-instructions.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "step-instructions.sh: valgrind not found (bash scripts/setup.sh installs it)" >&2; exit 64; }
dumps=$(mktemp -d)
trap 'rm -rf "$dumps"' EXIT
export BNB_CPU_VARIANT=${BNB_CPU_VARIANT:-avx2} OMP_NUM_THREADS=1
valgrind -q --tool=callgrind --collect-atstart=no --callgrind-out-file="$dumps/cg.out" "$bin" run "$config"
"$bin" check "$config" "$dumps" "$baseline" "${write[@]}"
