#!/usr/bin/env bash
# The comparison of the 8-bit underflow remedies (docs/eight_bit.md, issue 23): Adam with
# block-wise 8-bit state under each remedy against Adam with fp32 state, on the workloads of
# results/underflow/configs/, as rel_travel, then what limits the guarded error (--floor: an
# emulation that keeps m in fp32, rounds v for 1/sqrt(v) or rounds m stochastically). Writes
# results/underflow/remedies.md (both tables, the machine, the date). Not part of CI: about five
# minutes on 2 cores.
#   scripts/underflow-remedies.sh [--bin PATH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/ci/bench/underflow_remedies
if [[ ${1:-} == --bin ]]; then bin=$2; else cmake --build --preset ci --target underflow_remedies >/dev/null; fi
out=$root/results/underflow/remedies.md
configs=("$root"/results/underflow/configs/{quadratic-c100,quadratic-c1e3,quadratic-c1e4,least-squares,rosenbrock,stream-normal,stream-heavy-tailed,stream-sparse}.json)
table=$("$bin" "${configs[@]}")
floor=$("$bin" --floor "${configs[@]}")
{
  echo "# 8-bit Adam underflow remedies: rel_travel against fp32 Adam (lower is better)"
  echo
  echo "Made by \`scripts/underflow-remedies.sh\` (bench/underflow_remedies.cpp) on $(date -u +%Y-%m-%d),"
  echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each cell: rel_travel = ||p8 - p32|| / ||p32 - p0|| after the config's steps, and (uf) the"
  echo "values of either state row stored as a code that decodes to 0 over the run (counted before"
  echo "the remedy acts). Same memory in every column: 2 bytes per parameter plus one fp32 absmax per"
  echo "256 elements and row. Configs: results/underflow/configs/."
  echo
  echo "$table"
  echo
  echo "## What limits the guarded error"
  echo
  echo "Drop momentum through the kernels, the share of its squared error that lies in elements whose"
  echo "v was ever stored as 0, and a scalar emulation of the same 8-bit Adam with drop momentum"
  echo "(bench/underflow_floor.hpp; its first column reproduces the kernels') in which one ingredient"
  echo "changes: m kept in fp32 (v still 8-bit), v rounded to the code nearest in 1/sqrt(v), or m"
  echo "rounded stochastically (unbiased) between its two neighbouring codes."
  echo
  echo "$floor"
} >"$out"
cat "$out"
