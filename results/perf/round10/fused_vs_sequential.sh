#!/bin/bash
out=$1; rounds=$2
for r in $(seq 1 $rounds); do
  for cfg in fused seq; do
    envs="BNB_CPU_ENCODER=decades"; [ $cfg = seq ] && envs="$envs XP_NO_FUSED=1"
    echo "$r $cfg $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> $out.log
    env $envs /tmp/hdec_exp/step_bench_nofused --benchmark_filter='step/(adam|ademamix)/fp32/blockwise8/avx512vbmi/n:67108864/threads:[12]/min' --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$cfg,/" >> $out.csv
  done
done
