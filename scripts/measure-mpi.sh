#!/usr/bin/env bash
# Measures sharded runs over MPI (docs/distributed.md) on one machine and writes
# results/mpi/moderate.md: results/mpi/configs/moderate.json (16.8M fp32 parameters, five entries
# covering fp32, 8-bit, 4-bit and fp8 state and LAMB's reduction chain, reference off, timing on)
# run by one process, by one process with as many threads as the largest rank count, and under
# mpirun with 1, 2, ... N ranks of one thread each. Per run and entry: the step time (the slowest
# rank's median), and per rank its state, its own step and communication seconds per step and its
# peak RSS. Not part of CI: about a minute per run.
#   scripts/measure-mpi.sh [N] [BIN]   (default 2 ranks at most, build/release/app/bnb-bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ranks=${1:-2}
bench=${2:-$root/build/release/app/bnb-bench}
config=$root/results/mpi/configs/moderate.json
out=$root/results/mpi/moderate.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# One table row per entry of a results file; $1 names the run.
rows() {
  jq -r --arg run "$1" '
    def mib: . / 1048576 * 10 | round / 10;
    def ms: . * 1000000 | round / 1000;
    def per_rank(f): if .distributed then [.distributed | f[]] | map(tostring) | join(" / ") else "-" end;
    .entries[] | "| \($run) | \(.label) | \(.time.ns_per_param_step.median * 1000 | round / 1000) | "
      + "\(if .distributed then (.distributed.state_bytes | map(mib | tostring) | join(" / ")) else (.memory.state_bytes | mib | tostring) end) | "
      + "\(per_rank(.step_seconds | map(ms))) | \(per_rank(.communication_seconds_per_step | map(ms))) | "
      + "\(if .distributed then (.distributed.peak_rss_bytes | map(mib | tostring) | join(" / ")) else (.memory.peak_rss_bytes | mib | tostring) end) |"' "$2"
}

table=""
"$bench" run "$config" --quiet --threads 1 --output "$work/single.json" >/dev/null
table+=$(rows "1 process, 1 thread" "$work/single.json")$'\n'
"$bench" run "$config" --quiet --threads "$ranks" --output "$work/threads.json" >/dev/null
table+=$(rows "1 process, $ranks threads" "$work/threads.json")$'\n'
for ((n = 1; n <= ranks; ++n)); do
  mpirun --oversubscribe --allow-run-as-root -n "$n" "$bench" run "$config" --quiet --threads 1 \
    --output "$work/ranks$n.json" >/dev/null
  table+=$(rows "mpirun -n $n, 1 thread each" "$work/ranks$n.json")$'\n'
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
family=$(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
{
  echo "# Sharded runs over MPI on one machine: measurements"
  echo
  echo "Written by \`scripts/measure-mpi.sh $ranks\` on $(date -u +%Y-%m-%d) with $(basename "$bench")"
  echo "($(jq -r '.tool.build_type' "$work/single.json") build, git $(jq -r '.tool.git_revision' "$work/single.json")),"
  echo "$(mpirun --version 2>&1 | head -n 1), on $cpu (family $family, model $model),"
  echo "$(nproc) logical CPUs; load average (1/5/15 min) $load_before before, $load_after after."
  echo
  echo "Config: \`results/mpi/configs/moderate.json\` — 16.8M fp32 parameters in four tensors, gradient"
  echo "stream, reference off; every run steps the same parameters (the error fields of sharded runs"
  echo "are bit-identical to one process's: tests/e2e/distributed_case.cmake). Time: the median ns per"
  echo "parameter-step, each sample the slowest rank's. Per rank (rank 0 / rank 1 / ...): its state,"
  echo "its own ms per timed step, the part of it in MPI collectives (the all-gather of the"
  echo "parameters, the reduction chain, waiting for the other rank) and its peak RSS."
  echo
  echo "| run | entry | ns/param-step | state MiB | step ms | communication ms | peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$table"
} >"$out"
cat "$out"
