#!/usr/bin/env bash
# interleaved A/B: N rounds, every binary once per round on FILTER; medians of CPU time per (binary, benchmark)
set -euo pipefail
n=$1; filter=$2; shift 2
for ((i = 0; i < n; i++)); do
  for b in "$@"; do
    "$b" --benchmark_filter="$filter" --benchmark_format=csv 2>/dev/null | grep '^"' | awk -F, -v b="$b" '{gsub(/"/,"",$1); sub(/\/min_time.*/,"",$1); print b, $1, $4}'
  done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    b, k, v = line.split()
    d[(k, b)].append(float(v))
for (k, b), v in sorted(d.items()):
    print(k, b, "median", round(statistics.median(v), 1), "min", round(min(v), 1), "n", len(v))'
uptime
