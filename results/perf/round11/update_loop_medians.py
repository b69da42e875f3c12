import csv, sys, statistics, collections
# usage: medians.py OUT.csv BASE NEW: median real and CPU time per benchmark and binary, NEW vs BASE
rows = collections.defaultdict(lambda: collections.defaultdict(lambda: ([], [])))
for r in csv.reader(open(sys.argv[1])):
    name, real, cpu = r[2], float(r[4]), float(r[5])
    rows[name][r[1]][0].append(real); rows[name][r[1]][1].append(cpu)
base, new = sys.argv[2], sys.argv[3]
for name, b in rows.items():
    rb, cb = (statistics.median(x) for x in b[base]); rn, cn = (statistics.median(x) for x in b[new])
    print(f"{name.split('/min_time')[0]:60s} n={len(b[new][0])} real {rb:9.1f} -> {rn:9.1f} ({100*(rn/rb-1):+5.1f}%)  cpu {cb:9.1f} -> {cn:9.1f} ({100*(cn/cb-1):+5.1f}%)")
