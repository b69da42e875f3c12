#!/bin/bash
# usage: decade_uops_ab.sh OUTDIR ROUNDS DIR_A DIR_B ; interleaved A/B of two Release builds'
# step_bench and codec_bench (the decade encoder forced; order alternating per round)
out=$1; rounds=$2; a=$3; b=$4
mkdir -p $out
for r in $(seq 1 $rounds); do
  order="A B"; [ $((r % 2)) -eq 0 ] && order="B A"
  for side in $order; do
    bin=$a; [ $side = B ] && bin=$b
    echo "round $r $side $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
    BNB_CPU_ENCODER=decades $bin/step_bench --benchmark_filter='step/(adam|ademamix)/fp32/blockwise8/avx512vbmi/n:67108864/threads:[12]/min' \
      --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$side,/" >> $out/step.csv
    BNB_CPU_ENCODER=decades $bin/codec_bench --benchmark_filter='encode/.*/avx512' \
      --benchmark_format=csv 2>/dev/null | grep -E '^"encode' | sed "s/^/$r,$side,/" >> $out/codec.csv
  done
done
echo "end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
