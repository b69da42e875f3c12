# Medians of an A/B directory written by registers_decode_ab.sh: real and CPU time per
# benchmark, B against A, and in how many rounds B was lower than A (same round, real time).
# With a third argument (C), C against A instead.
import collections, glob, json, statistics as st, sys

runs = collections.defaultdict(dict)  # name -> {(x, round): (real, cpu)}
for f in glob.glob(sys.argv[1] + '/*.json'):
    x, _, rnd, _ = f.split('/')[-1].split('.')
    try:
        benchmarks = json.load(open(f))['benchmarks']
    except Exception:
        continue
    for b in benchmarks:
        runs[b['name']][(x, int(rnd))] = (b['real_time'], b['cpu_time'])
for name in sorted(runs):
    r = runs[name]
    a = {k[1]: v for k, v in r.items() if k[0] == 'A'}
    other = sys.argv[2] if len(sys.argv) > 2 else 'B'
    b = {k[1]: v for k, v in r.items() if k[0] == other}
    if not a or not b:
        continue
    ra, rb = st.median(v[0] for v in a.values()), st.median(v[0] for v in b.values())
    ca, cb = st.median(v[1] for v in a.values()), st.median(v[1] for v in b.values())
    both = sorted(set(a) & set(b))
    lower = sum(b[i][0] < a[i][0] for i in both)
    print(f"{name.split('/min_time')[0]:58s} n={len(a)},{len(b)} real A {ra:7.1f} B {rb:7.1f} ({(rb / ra - 1) * 100:+5.1f}%)"
          f"  cpu A {ca:7.1f} B {cb:7.1f} ({(cb / ca - 1) * 100:+5.1f}%)  B lower {lower}/{len(both)}"
          f"  min cpu A {min(v[1] for v in a.values()):7.1f} B {min(v[1] for v in b.values()):7.1f}")
