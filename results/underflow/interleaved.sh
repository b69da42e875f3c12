#!/usr/bin/env bash
# interleaved A/B of step_bench binaries (results/perf/round6/interleaved.sh, with both clocks):
# N rounds, every binary once per round on FILTER; medians of real and main-thread CPU time
#   interleaved.sh N FILTER BINARY...
set -euo pipefail
n=$1; filter=$2; shift 2
for ((i = 0; i < n; i++)); do
  for b in "$@"; do
    "$b" --benchmark_filter="$filter" --benchmark_format=csv 2>/dev/null | grep '^"' | awk -F, -v b="$b" '{gsub(/"/,"",$1); sub(/\/min_time.*/,"",$1); print b, $1, $3, $4}'
  done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    b, k, real, cpu = line.split()
    d[(k, b)].append((float(real), float(cpu)))
for (k, b), v in sorted(d.items()):
    print(k, b, "real median", round(statistics.median(x for x, _ in v), 1), "cpu median", round(statistics.median(y for _, y in v), 1), "n", len(v))'
uptime
