#!/usr/bin/env bash
# Measures the 16-bit parameter rounding modes (docs/param_rounding.md) and writes
# results/formats/param_rounding.md:
#  - accuracy: configs/param_rounding.json (bf16 AdamW, nearest / stochastic / compensated, the
#    reference keeping fp32 parameters) for seeds 0..N-1, timing off: error.param.rel_travel of
#    each mode and its ratio to nearest's on the same seed, mean over the seeds;
#  - speed: the same three entries on a 1024x1024 bf16 gradient stream, one thread, reference off,
#    timing on (entries interleaved round-robin, DESIGN.md §4), R runs: the median ns per
#    parameter-step of each mode and its ratio to nearest's in each run.
#   scripts/measure-param-rounding.sh [N] [BIN] [R]   (default 20 seeds, build/release/app/bnb-bench, 3 timed runs;
#   N = 0 measures the speed only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
bench=${2:-$root/build/release/app/bnb-bench}
runs=${3:-3}
config=$root/configs/param_rounding.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$root/results/formats/param_rounding.md
mkdir -p "$(dirname "$out")"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

rows=""
for ((seed = 0; seed < n; ++seed)); do
  jq --argjson s "$seed" '.seed = $s' "$config" >"$work/seed.json"
  "$bench" run "$work/seed.json" --no-timing --quiet --output "$work/r$seed.json" >/dev/null
  rows+=$(jq -r --argjson s "$seed" '
    [.entries[] | {(.label): .error.param.rel_travel}] | add as $e
    | [$s, $e["adamw-bf16-nearest"], $e["adamw-bf16-stochastic"], $e["adamw-bf16-compensated"]] | @tsv' \
    "$work/r$seed.json")$'\n'
done
jq '.threads = 1 | .reference = {"mode": "off"} | .params[0].shape = [1024, 1024]
    | .workload = {"kind": "gradients", "steps": 3, "distribution": "normal", "scale": 0.01}
    | .timing = {"warmup_steps": 2, "min_time_s": 1.0, "min_samples": 15, "timeout_s": 20}' "$config" >"$work/speed.json"
speed=""
for ((k = 1; k <= runs; ++k)); do
  "$bench" run "$work/speed.json" --quiet --output "$work/timed.json" >/dev/null
  speed+=$(jq -r --argjson k "$k" '
    [.entries[] | {(.label): .time.ns_per_param_step.median}] | add as $t
    | ["nearest", "stochastic", "compensated"] | map($t["adamw-bf16-" + .]) as $v
    | "| \($k) | \($v[0] * 1000 | round / 1000) | \($v[1] * 1000 | round / 1000) (\($v[1] / $v[0] * 1000 | round / 1000)x) | \($v[2] * 1000 | round / 1000) (\($v[2] / $v[0] * 1000 | round / 1000)x) |"' "$work/timed.json")$'\n'
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

summary=$(printf '%s' "$rows" | awk -F'\t' '
  { n++; sn += $2; ss += $3; sc += $4; rs += $3 / $2; rc += $4 / $2 }
  END { if (n == 0) exit; printf "| mean over %d seeds | %.4g | %.4g (%.3fx) | %.4g (%.3fx) |\n", n, sn / n, ss / n, rs / n, sc / n, rc / n }')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
family=$(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
variant=$(jq -r '.machine.isa_variant // .machine.cpu_variant // "?"' "$work/timed.json")
{
  echo "# 16-bit parameter rounding: measurements"
  echo
  echo "Written by \`scripts/measure-param-rounding.sh $n\` on $(date -u +%Y-%m-%d) with $(basename "$bench")"
  echo "($(jq -r '.tool.build_type' "$work/timed.json") build, git $(jq -r '.tool.git_revision' "$work/timed.json")) on"
  echo "$cpu (family $family, model $model), $(nproc) logical CPUs, CPU variant $variant;"
  echo "load average (1/5/15 min) $load_before before, $load_after after: a shared machine, other builds running."
  echo
  echo "Config: \`configs/param_rounding.json\` — one 256×256 bf16 weight, AdamW lr 2e-4 on the"
  echo "ill-conditioned quadratic (condition 100), 100 steps; the reference keeps fp32 parameters"
  echo "(\`\"reference\": {\"params\": \"fp32\"}\`), so \`error.param.rel_travel\` is the error against the"
  echo "fp32-parameter trajectory relative to the distance it travelled."
  echo
  echo "## Error against the fp32-parameter trajectory (rel_travel; ratio to nearest on the same seed)"
  echo
  echo "| seed | nearest | stochastic | compensated |"
  echo "|---|---|---|---|"
  printf '%s' "$rows" | awk -F'\t' '{ printf "| %d | %.4g | %.4g (%.3fx) | %.4g (%.3fx) |\n", $1, $2, $3, $3 / $2, $4, $4 / $2 }'
  echo "$summary"
  echo
  echo "Goals (issue 20): compensated at most 0.25x nearest; stochastic at most 0.5x in expectation over 20 seeds."
  echo
  echo "## Step time (1024×1024 bf16, gradient stream, 1 thread, entries interleaved round-robin, medians of >= 15 samples)"
  echo
  echo "| run | nearest ns/param-step | stochastic (ratio) | compensated (ratio) |"
  echo "|---|---|---|---|"
  printf '%s' "$speed"
  echo
  echo "Goal: each mode within 1.3x of the nearest step."
} >"$out"
cat "$out"
