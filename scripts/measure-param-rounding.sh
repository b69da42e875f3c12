#!/usr/bin/env bash
# Measures the 16-bit parameter rounding modes (docs/param_rounding.md) and writes
# results/formats/param_rounding.md:
#  - accuracy: configs/param_rounding.json (bf16 AdamW, nearest / stochastic / compensated, the
#    reference keeping fp32 parameters) for seeds 0..N-1, timing off: error.param.rel_travel of
#    each mode and its ratio to nearest's on the same seed, mean over the seeds;
#  - speed: the same config with timing on (entries interleaved round-robin, DESIGN.md §4), the
#    median ns per parameter-step of each mode and its ratio to nearest's.
#   scripts/measure-param-rounding.sh [N] [BIN]   (default 20 seeds, build/release/app/bnb-bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
bench=${2:-$root/build/release/app/bnb-bench}
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
"$bench" run "$config" --quiet --output "$work/timed.json" >/dev/null
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

summary=$(printf '%s' "$rows" | awk -F'\t' '
  { n++; sn += $2; ss += $3; sc += $4; rs += $3 / $2; rc += $4 / $2 }
  END { printf "| mean over %d seeds | %.4g | %.4g (%.3fx) | %.4g (%.3fx) |\n", n, sn / n, ss / n, rs / n, sc / n, rc / n }')
speed=$(jq -r '
  [.entries[] | {(.label): .time.ns_per_param_step.median}] | add as $t
  | ["nearest", "stochastic", "compensated"][] as $m
  | $t["adamw-bf16-" + $m] as $v
  | "| \($m) | \($v * 1000 | round / 1000) | \(($v / $t["adamw-bf16-nearest"]) * 1000 | round / 1000) |"' "$work/timed.json")
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
  echo "## Step time (seed 0, timing on: entries interleaved round-robin, median of >= 9 samples, 2 threads)"
  echo
  echo "| mode | ns per parameter-step (median) | ratio to nearest |"
  echo "|---|---|---|"
  echo "$speed"
  echo
  echo "Goal: each mode within 1.3x of the nearest step."
} >"$out"
cat "$out"
