import subprocess, re, sys
def sizes(obj):
    out=subprocess.run(['nm','-S','-C','--defined-only',obj],capture_output=True,text=True).stdout
    d={}
    for line in out.splitlines():
        parts=line.split(' ',3)
        if len(parts)<4 or parts[2] not in 'tTwW': continue
        name=parts[3]
        name=re.sub(r'bnb::kernels::Registered<bnb::kernels::([A-Za-z]+), \(bnb::Algorithm\)\d+>', r'bnb::kernels::\1', name)
        for i,f in enumerate(['fp32','blockwise8','tensorwise8']):
            name=name.replace(f'(bnb::StateFormat){i}', f'F{i}').replace(f'bnb::StateFormat::{f}', f'F{i}')
        d[name]=d.get(name,0)+int(parts[1],16)
    return d
b=sizes(sys.argv[1]); a=sizes(sys.argv[2])
common=set(a)&set(b)
same=sum(1 for k in common if a[k]==b[k])
print(len(b), len(a), 'functions;', len(common), 'matched;', same, 'identical size')
diffs=sorted(((a[k]-b[k]),k) for k in common if a[k]!=b[k])
for d,k in diffs[:8]+diffs[-8:]: print(d, b[k], a[k], k[:160])
print('only before:', [k[:120] for k in set(b)-set(a)][:8])
print('only after:', [k[:120] for k in set(a)-set(b)][:8])
