import csv, sys, statistics, collections
f = sys.argv[1]; base = sys.argv[2] if len(sys.argv) > 2 else None
real = collections.defaultdict(list); cpu = collections.defaultdict(list); bins = []
for row in csv.reader(open(f)):
    r, b, name = row[0], row[1], row[2]
    if b not in bins: bins.append(b)
    real[(name, b)].append(float(row[4])); cpu[(name, b)].append(float(row[5]))
base = base or bins[0]
names = sorted(set(n for n, _ in real), key=lambda n: (n.split('/')[3], n.split('/')[2], n))
for n in names:
    s = n.replace('step/','').replace('/min_time:0.300/real_time','').replace('/avx512vbmi/n:67108864','')
    out = f"{s:38s}"
    for b in bins:
        if (n, b) not in real: continue
        mr = statistics.median(real[(n, b)]); mc = statistics.median(cpu[(n, b)])
        rel = ''
        if b != base and (n, base) in real:
            rel = f"({100*(mr/statistics.median(real[(n, base)])-1):+.1f}%)"
        out += f" | {b}: real {mr:7.2f} cpu {mc:7.2f} {rel:9s} n={len(real[(n,b)])}"
    print(out)
