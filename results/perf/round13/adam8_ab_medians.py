import csv, sys, statistics, collections
# usage: adam8_ab_medians.py OUT.csv BASE NEW [NAME_COLUMN]: CPU time (ms) per benchmark and binary: medians,
# minima, rounds NEW lower. Rows: round, binary, ..., the benchmark name in NAME_COLUMN (2 here; 3 in
# round 14's ab.sh, which records the load before it), CPU time in column 5.
rows = collections.defaultdict(lambda: collections.defaultdict(dict))
name_column = int(sys.argv[4]) if len(sys.argv) > 4 else 2
for r in csv.reader(open(sys.argv[1])):
    rows[r[name_column]][r[1]][int(r[0])] = float(r[5])
base, new = sys.argv[2], sys.argv[3]
print("| benchmark | n | median " + base + " | median " + new + " | " + new + " vs " + base + " | rounds " + new + " lower | min " + base + " | min " + new + " | min vs |")
print("|---|---|---|---|---|---|---|---|---|")
for name, b in rows.items():
    rounds = sorted(set(b[base]) & set(b[new]))
    cb = [b[base][k] for k in rounds]; cn = [b[new][k] for k in rounds]
    lower = sum(1 for k in rounds if b[new][k] < b[base][k])
    mb, mn = statistics.median(cb), statistics.median(cn)
    print(f"| {name.split('/min_time')[0].replace('step/adam/fp32/','')} | {len(rounds)} | {mb:.1f} | {mn:.1f} | {100*(mn/mb-1):+.1f}% | {lower}/{len(rounds)} | {min(cb):.1f} | {min(cn):.1f} | {100*(min(cn)/min(cb)-1):+.1f}% |")
