#!/usr/bin/env python3
"""Medians of codec_ops_ab.sh's CSV per benchmark and build: CPU time (the machine is loaded)."""
import csv, statistics, sys
from collections import defaultdict
rows = defaultdict(lambda: defaultdict(list))
loads = []
for r in csv.DictReader(open(sys.argv[1])):
    rows[r["name"]][r["build"]].append(float(r["cpu_time"]))
    loads.append(float(r["load"]))
print(f"load average during the run: {min(loads):.1f}-{max(loads):.1f}")
print(f"{'benchmark':<72} {'n':>2} {'A cpu':>10} {'B cpu':>10} {'B/A-1':>7}")
for name, by in rows.items():
    a, b = statistics.median(by["A"]), statistics.median(by["B"])
    short = name.replace("/min_time:0.300/real_time", "")
    print(f"{short:<72} {len(by['A']):>2} {a:>10.2f} {b:>10.2f} {100 * (b / a - 1):>+6.1f}%")
