import csv,sys,statistics,collections
rows=list(csv.DictReader(open(sys.argv[1])))
d=collections.defaultdict(list); c=collections.defaultdict(list); loads=[float(r['load1']) for r in rows]
for r in rows: d[(r['threads'],r['mode'])].append(float(r['real_ms'])); c[(r['threads'],r['mode'])].append(float(r['cpu_ms']))
print("load", min(loads), max(loads))
for k in sorted(d):
    base=statistics.median(c[(k[0],'0')]); bmin=min(c[(k[0],'0')])
    print(f"threads {k[0]} mode {k[1]}: n={len(d[k])} real med {statistics.median(d[k]):6.1f} | cpu med {statistics.median(c[k]):6.1f} ({statistics.median(c[k])/base-1:+.1%}) min {min(c[k]):6.1f} ({min(c[k])/bmin-1:+.1%})")
