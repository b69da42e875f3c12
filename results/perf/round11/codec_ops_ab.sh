#!/bin/bash
# A/B of two builds' codec_bench and step_bench rows, interleaved (A B A B ...), n rounds.
# usage: codec_ops_ab.sh DIR_A DIR_B N OUT.csv  (DIR_*: folders holding codec_bench, step_bench)
set -eu
A=$1 B=$2 N=$3 OUT=$4
STEP='step/(adam|ademamix)/fp32/(blockwise8|tensorwise8)/avx512vbmi/n:67108864/threads:[12]/min'
CODEC='^(encode|decode)/.*avx512vbmi'
echo "round,build,bench,name,real_time,cpu_time,load" > "$OUT"
for r in $(seq 1 "$N"); do
  for side in A B; do
    d=$A; [ "$side" = B ] && d=$B
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$d/codec_bench" --benchmark_filter="$CODEC" --benchmark_format=csv 2>/dev/null | grep '^"' | grep -v '^"name' |
      awk -F, -v r="$r" -v s="$side" -v l="$load" '{print r","s",codec,"$1","$3","$4","l}' >> "$OUT"
    "$d/step_bench" --benchmark_filter="$STEP" --benchmark_format=csv 2>/dev/null | grep '^"' | grep -v '^"name' |
      awk -F, -v r="$r" -v s="$side" -v l="$load" '{print r","s",step,"$1","$3","$4","l}' >> "$OUT"
  done
done
