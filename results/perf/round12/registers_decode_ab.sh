#!/bin/bash
# Interleaved A/B per benchmark (rounds alternate A B / B A): $1 rounds, $2 out dir, then the
# benchmark filters. A and B: step_bench binaries at $BIN_A and $BIN_B; with $BIN_C set, three
# binaries in rotating order (A B C, B C A, C A B).
n=$1; out=$2; shift 2; mkdir -p "$out"
for F in "$@"; do
  for i in $(seq 1 "$n"); do
    if [ -n "$BIN_C" ]; then
      case $((i % 3)) in 1) order="A B C" ;; 2) order="B C A" ;; 0) order="C A B" ;; esac
    elif [ $((i % 2)) = 1 ]; then order="A B"; else order="B A"; fi
    for x in $order; do
      bin=BIN_$x
      "${!bin}" --benchmark_filter="$F" --benchmark_format=json \
        --benchmark_out="$out/$x.$(echo "$F" | md5sum | cut -c1-6).$i.json" --benchmark_out_format=json >/dev/null 2>&1
      echo "$x $i $F $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    done
  done
done
touch "$out/DONE"
