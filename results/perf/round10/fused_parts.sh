#!/bin/bash
out=$1; rounds=$2
for r in $(seq 1 $rounds); do
  for cfg in base XP_NO_ENCODE XP_NO_UPDATE XP_NO_DECODE XP_NO_ABSMAX XP_NO_FALLBACK XP_ONE_ROW buckets; do
    envs="BNB_CPU_ENCODER=decades"; [ $cfg = buckets ] && envs="BNB_CPU_ENCODER=buckets"
    [ ${cfg:0:3} = XP_ ] && envs="$envs $cfg=1"
    echo "$r $cfg $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> $out.log
    env $envs /tmp/hdec_exp/step_bench_parts --benchmark_filter='step/adam/fp32/blockwise8/avx512vbmi/n:67108864/threads:1/min' --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$cfg,/" >> $out.csv
  done
done
