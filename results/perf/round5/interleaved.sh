#!/usr/bin/env bash
# Interleaved A/B of benchmark binaries (round 5): N rounds, each runs every binary once on one
# Google Benchmark filter; prints the median and minimum of the CPU-time column (ms or ns per
# iteration, the benchmark's unit) per binary, then the load average.
#   interleaved.sh N FILTER BIN_A BIN_B ...
set -euo pipefail
n=$1; filter=$2; shift 2
for ((i = 0; i < n; i++)); do
  for b in "$@"; do
    v=$("$b" --benchmark_filter="$filter" --benchmark_format=csv 2>/dev/null | tail -1 | awk -F, '{print $4}')
    echo "$b $v"
  done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    k, v = line.split()
    d[k].append(float(v))
for k, v in d.items():
    print(k, "median", round(statistics.median(v), 1), "min", round(min(v), 1), "n", len(v))'
uptime
