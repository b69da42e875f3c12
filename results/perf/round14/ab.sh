#!/bin/bash
# Interleaved A/B of step_bench, normal-data Adam 32- and 8-bit at 1 and 2 threads, 64M fp32:
# ab.sh A B ROUNDS [FILTER]; binaries /tmp/ab/step_bench_<name>; one CSV line per case and
# binary: round name load benchmark real_ms cpu_ms.
A=$1 B=$2 N=${3:-6}
F=${4:-'^step/adam/fp32/(state32|blockwise8)/avx512vbmi/n:67108864/threads:[12]/data:normal'}
cd /tmp/ab
for r in $(seq 1 "$N"); do
  if (( r % 2 )); then order="$A $B"; else order="$B $A"; fi
  for w in $order; do
    ./step_bench_$w --benchmark_filter="$F" --benchmark_format=csv 2>/dev/null | grep '^"step' |
      awk -F, -v r=$r -v w=$w -v l="$(cut -d' ' -f1 /proc/loadavg)" '{print r "," w "," l "," $1 "," $3 "," $4}'
  done
done
