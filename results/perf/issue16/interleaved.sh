#!/usr/bin/env bash
# Interleaved before/after step_bench runs (issue 16): same filter, alternating binaries, medians.
set -euo pipefail
before=${BEFORE:?path of the step_bench built from the commit before}
after=${AFTER:?path of the step_bench built from the commit after}
out=${1:?output directory}
rounds=${2:-4}
mkdir -p "$out"
variant=$("$before" --benchmark_list_tests | sed -n 's|^step/adam/fp32/state32/\([a-z0-9]*\)/.*|\1|p' | tail -n 1)
filter="^step/(adam|lamb|lion|ademamix)/fp32/(state32|blockwise8|tensorwise8)/$variant/n:67108864/threads:2/|^step/adam/bf16/(state32|blockwise8)/$variant/n:67108864/threads:2/"
uptime > "$out/load.txt"
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    "$bin" --benchmark_filter="$filter" --benchmark_repetitions=1 \
      --benchmark_out="$out/${side}_$r.json" --benchmark_out_format=json > /dev/null
    uptime >> "$out/load.txt"
  done
done
echo done
