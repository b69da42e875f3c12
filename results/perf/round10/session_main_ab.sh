#!/bin/bash
out=$1; rounds=$2
for r in $(seq 1 $rounds); do
  order="old new"; [ $((r % 2)) -eq 0 ] && order="new old"
  for cfg in $order; do
    echo "$r $cfg $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> $out.log
    /tmp/hdec_final/step_bench_$cfg --benchmark_filter='step/(adam|ademamix)/fp32/(blockwise8|state32)/avx512vbmi/n:67108864/threads:[12]/min|step/adam/fp32/tensorwise8/avx512vbmi/n:67108864/threads:[12]/min' --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$cfg,/" >> $out.csv
  done
done
