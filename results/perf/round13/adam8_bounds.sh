#!/bin/bash
# Bounds of the single pass's parts (probe build, BNB_PROBE_MODE bits: 1 no encode, 2 no decode, 4 no update).
BIN=$1; OUT=$2; ROUNDS=$3; shift 3
MODES="$*"
echo "round,mode,threads,real_ms,cpu_ms,load1" > $OUT
for r in $(seq 1 $ROUNDS); do
  for t in 2 1; do
    ms=$MODES; [ $((r % 2)) -eq 0 ] && ms=$(echo $MODES | tr ' ' '\n' | tac | tr '\n' ' ')
    for m in $ms; do
      l=$(cut -d' ' -f1 /proc/loadavg)
      BNB_PROBE_MODE=$m $BIN --benchmark_filter="step/adam/fp32/blockwise8/avx512vbmi/n:67108864/threads:$t/data:normal" --benchmark_format=csv 2>/dev/null | grep '^"step' | awk -F, -v r=$r -v m=$m -v t=$t -v l=$l '{print r","m","t","$3","$4","l}' >> $OUT
    done
  done
done
