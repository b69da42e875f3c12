#!/bin/bash
# Round 23: step_bench binaries /tmp/ab/step_bench_<name> (a name may be a script that sets
# BNB_HACK and runs the patched binary), each with its own filter, in rotating order per round:
# multi.sh ROUNDS "name:filter" ...; one CSV line per case: round,name,load,benchmark,real_ms,cpu_ms.
N=$1; shift
cd /tmp/ab
for r in $(seq 1 "$N"); do
  specs=("$@")
  if (( r % 2 == 0 )); then specs=($(printf '%s\n' "$@" | tac)); fi
  for s in "${specs[@]}"; do
    w=${s%%:*}; F=${s#*:}
    ./step_bench_$w --benchmark_filter="$F" --benchmark_format=csv 2>/dev/null | grep '^"step' |
      awk -F, -v r=$r -v w=$w -v l="$(cut -d' ' -f1 /proc/loadavg)" '{print r "," w "," l "," $1 "," $3 "," $4}'
  done
done
