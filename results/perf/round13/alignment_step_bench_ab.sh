#!/bin/bash
# interleaved A/B of step_bench normal-data Adam (32-bit and 8-bit, 1 and 2 threads)
cd /tmp/ab
F='^step/adam/fp32/(state32|blockwise8)/avx512vbmi/n:67108864/threads:[12]/data:normal'
for r in 1 2 3 4 5 6; do
  if (( r % 2 )); then order="A B"; else order="B A"; fi
  for w in $order; do
    ./step_bench-$w --benchmark_filter="$F" --benchmark_format=csv 2>/dev/null | grep '^"step' | awk -F, -v r=$r -v w=$w -v l="$(cut -d' ' -f1 /proc/loadavg)" '{print r, w, l, $1, $3, $4}'
  done
done
