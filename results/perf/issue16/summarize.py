import json, glob, statistics, sys, os
d=sys.argv[1]
res={}
for f in sorted(glob.glob(os.path.join(d,'*_*.json'))):
    side=os.path.basename(f).split('_')[0]
    for b in json.load(open(f))['benchmarks']:
        name=b['name'].split('/min_time')[0]
        res.setdefault(name,{}).setdefault(side,[]).append(b['ns_per_elem'])
print('| benchmark (ns/param, 64M elements, 2 threads) | before (median) | after (median) | after/before | samples before / after |')
print('|---|---|---|---|---|')
ratios=[]
for name in sorted(res):
    b=res[name].get('before',[]); a=res[name].get('after',[])
    if not b or not a: continue
    mb=statistics.median(b); ma=statistics.median(a); ratios.append(ma/mb)
    print(f'| {name.replace("step/","").replace("/n:67108864/threads:2","")} | {mb:.3f} | {ma:.3f} | {ma/mb:.3f} | {", ".join(f"{x:.2f}" for x in b)} / {", ".join(f"{x:.2f}" for x in a)} |')
print()
print(f'geometric mean of after/before: {statistics.geometric_mean(ratios):.3f} over {len(ratios)} benchmarks')
