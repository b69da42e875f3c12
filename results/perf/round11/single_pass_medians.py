import json,glob,sys,statistics as st,collections
d=sys.argv[1]
r=collections.defaultdict(lambda: collections.defaultdict(list))
for f in glob.glob(d+'/*.json'):
    x=f.split('/')[-1].split('.')[0]
    try: bs=json.load(open(f))["benchmarks"]
    except Exception: continue
    for b in bs:
        r[b['name']][x].append((b['real_time'],b['cpu_time']))
for name in sorted(r):
    a=r[name]['A']; b=r[name]['B']
    if not a or not b: continue
    ra=st.median(t[0] for t in a); rb=st.median(t[0] for t in b)
    ca=st.median(t[1] for t in a); cb=st.median(t[1] for t in b)
    print(f"{name.split('/min_time')[0]:60s} n={len(a)},{len(b)} real A {ra:7.1f} B {rb:7.1f} ({(rb/ra-1)*100:+.1f}%)  cpu A {ca:7.1f} B {cb:7.1f} ({(cb/ca-1)*100:+.1f}%)")
