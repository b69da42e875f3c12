import re, subprocess, sys
# fused_loop_mca.py OBJ ['false, false']: llvm-mca-14 (-mcpu=sapphirerapids) of fused_block_step.hpp's
# inner loop (the smallest backward branch spanning vsqrtps and vpermb) of fused_blocks<Adam, T, ...>
# [clone ._omp_fn.0] for T = float, half_t, bf16_t in OBJ (a step_variant.cpp.o of the avx512vbmi
# variant, or any object instantiating tensor_step<Adam, T, blockwise8>); branches dropped.
obj = sys.argv[1]; flags = sys.argv[2] if len(sys.argv) > 2 else 'false, false'
syms = subprocess.run(['nm', obj], capture_output=True, text=True).stdout.split()
syms = [s for s in syms if 'fused_blocks' in s and 'omp_fn' in s]
dem = subprocess.run(['c++filt'] + syms, capture_output=True, text=True).stdout.splitlines()
for T in ['float', 'bnb::half_t', 'bnb::bf16_t']:
    sym = [s for s, d in zip(syms, dem) if f'(bnb::Algorithm)0>, {T}, bnb::Blockwise8Codec, {flags}>' in d][0]
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-M', 'intel', f'--disassemble={sym}', obj], capture_output=True, text=True).stdout
    ins = []
    for l in dis.splitlines():
        m = re.match(r'^\s*([0-9a-f]+):\t(.*)$', l)
        if m: ins.append((int(m.group(1), 16), re.sub(r'\s*#.*', '', m.group(2)).strip()))
    best = None
    for a, i in ins:
        m = re.match(r'j\w+\s+([0-9a-f]+)', i)
        if not m: continue
        t = int(m.group(1), 16)
        if t < a:
            body = [x for b, x in ins if t <= b <= a]
            if any('vsqrtps' in x for x in body) and any('vpermb' in x for x in body):
                if best is None or a - t < best[1] - best[0]: best = (t, a)
    t, a = best
    body = []
    for b, x in ins:
        if t <= b <= a and not re.match(r'^(j\w+|nop|cs nop|data16|xchg)', x):
            body.append(re.sub(r'(DWORD|QWORD) BCST (\[[^\]]*\])', r'\1 PTR \2{1to16}', x))
    open(f'body_{T.split(":")[-1]}.s', 'w').write('.intel_syntax noprefix\n' + '\n'.join(body) + '\n')
    r = subprocess.run(['llvm-mca-14', '-mcpu=sapphirerapids', '-iterations=200', f'body_{T.split(":")[-1]}.s'], capture_output=True, text=True).stdout
    cyc = re.search(r'Total Cycles:\s+(\d+)', r).group(1); rt = re.search(r'Block RThroughput:\s+([\d.]+)', r).group(1)
    pr = r.split('Resource pressure per iteration:')[1].splitlines()[2]
    nb = sum(1 for x in body if 'vbroadcastss' in x or 'vpbroadcastd' in x)
    print(f'{T:12s} insns {len(body):4d} broadcasts {nb:2d} mca cycles/iter {int(cyc)/200:.1f} rthroughput {rt} ports {pr}')
