#!/bin/bash
# usage: ab.sh OUT ROUNDS FILTER BIN...  (step_bench binaries in $BIN_DIR); per benchmark the binaries
# interleaved, order alternating per round; writes OUT.csv (round,bin,benchmark csv row) and OUT.log (load)
out=$1; rounds=$2; filter=$3; shift 3; bins=("$@")
names=$($BIN_DIR/${bins[0]} --benchmark_list_tests --benchmark_filter="$filter")
for r in $(seq 1 $rounds); do
  if [ $((r % 2)) -eq 1 ]; then order=("${bins[@]}"); else order=(); for ((i=${#bins[@]}-1;i>=0;i--)); do order+=("${bins[$i]}"); done; fi
  for n in $names; do
    for b in "${order[@]}"; do
      echo "round $r $b $n $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out.log
      $BIN_DIR/$b --benchmark_filter="^$n\$" --benchmark_format=csv 2>/dev/null | grep '^"step' | sed "s/^/$r,$b,/" >> $out.csv
    done
  done
done
echo "end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $out.log
