#!/bin/bash
# usage: ab.sh OUTDIR ROUNDS BIN_DIR ; interleaved A/B by BNB_CPU_ENCODER, same binary
out=$1; rounds=$2; bin=$3
mkdir -p $out
for r in $(seq 1 $rounds); do
  order="buckets decades"; [ $((r % 2)) -eq 0 ] && order="decades buckets"
  for e in $order; do
    echo "round $r $e $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
    BNB_CPU_ENCODER=$e $bin/step_bench --benchmark_filter='step/(adam|ademamix)/fp32/(state32|blockwise8|tensorwise8)/avx512vbmi/n:67108864/threads:[12]/min' \
      --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$e,/" >> $out/step.csv
    BNB_CPU_ENCODER=$e $bin/codec_bench --benchmark_filter='(encode/.*/avx512|quantize_blockwise/avx512vbmi)' \
      --benchmark_format=csv 2>/dev/null | grep -E '^"(encode|quantize)' | sed "s/^/$r,$e,/" >> $out/codec.csv
  done
done
echo "end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/log.txt
