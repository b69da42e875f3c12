import csv, sys, statistics, collections
# usage: adam8_data_medians.py OUT.csv: per benchmark (one binary) real and CPU time medians and minima (ms), and 8-bit / 32-bit per data and thread count
rows = collections.defaultdict(lambda: ([], []))
for r in csv.reader(open(sys.argv[1])):
    n = r[2].split('/min_time')[0].replace('step/adam/fp32/', '')
    rows[n][0].append(float(r[4])); rows[n][1].append(float(r[5]))
print("| benchmark | n | real median | real min | CPU median | CPU min |")
print("|---|---|---|---|---|---|")
for n in sorted(rows):
    re_, cp = rows[n]
    print(f"| {n} | {len(re_)} | {statistics.median(re_):.1f} | {min(re_):.1f} | {statistics.median(cp):.1f} | {min(cp):.1f} |")
print()
print("| data | threads | 8-bit / 32-bit, real medians | real minima | CPU medians | CPU minima |")
print("|---|---|---|---|---|---|")
for data in ("", "/data:normal"):
    for t in (1, 2):
        a = rows[f"blockwise8/avx512vbmi/n:67108864/threads:{t}{data}"]; b = rows[f"state32/avx512vbmi/n:67108864/threads:{t}{data}"]
        if not a[0] or not b[0]: continue
        f = lambda i, g: g(a[i]) / g(b[i])
        print(f"| {'normal' if data else 'ramp'} | {t} | {f(0, statistics.median):.2f}x | {f(0, min):.2f}x | {f(1, statistics.median):.2f}x | {f(1, min):.2f}x |")
