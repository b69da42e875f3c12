import csv, sys, statistics, collections
for f in sys.argv[1:]:
    d = collections.defaultdict(list)
    for row in csv.reader(open(f)):
        r, e, name = row[0], row[1], row[2]
        unit = row[6]
        cpu = float(row[5])
        d[(name, e)].append((cpu, unit))
    names = sorted(set(n for n, _ in d))
    for n in names:
        b = d.get((n, 'buckets'), []); c = d.get((n, 'decades'), [])
        if not b or not c: continue
        mb = statistics.median(x for x, _ in b); mc = statistics.median(x for x, _ in c)
        print(f"{n:80s} buckets {mb:10.3f} decades {mc:10.3f} {b[0][1]}  {100*(mc/mb-1):+.1f}%  n={len(b)},{len(c)}")
