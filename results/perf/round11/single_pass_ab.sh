#!/bin/bash
# per-benchmark interleaved A/B (A B, B A, ...): $1 rounds, $2 out dir, rest: benchmark filters
n=$1; out=$2; shift 2; mkdir -p $out
for F in "$@"; do
  for i in $(seq 1 $n); do
    if [ $((i % 2)) = 1 ]; then order="A B"; else order="B A"; fi
    for x in $order; do
      /tmp/hpass_$x --benchmark_filter="$F" --benchmark_format=json --benchmark_out=$out/$x.$(echo $F | md5sum | cut -c1-6).$i.json --benchmark_out_format=json >/dev/null 2>&1
      echo "$x $i $F $(cut -d' ' -f1-3 /proc/loadavg)" >> $out/load.txt
    done
  done
done
touch $out/DONE
