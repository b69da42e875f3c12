#!/usr/bin/env python3
"""Round 10 (hzen): the all-ones idioms (vpternlogd $0xff, vpcmpeq* x,x,x, kxnor* k,k,k) in an
object file's loops, for zen4_false_dependencies.md.

  python3 zen4_idiom_scan.py build/release/kernels/CMakeFiles/bnb_cpu_avx512vbmi.dir/cpu/step_variant.cpp.o

A loop is [header, last back edge] per backward-jump target; "innermost" when no other loop lies
inside it (an idiom in some innermost loop is shown with that one). For each idiom in a loop: the nearest earlier writer of its register in that loop (in
address order, wrapping round the back edge: "carried" when it is in the previous iteration).
Static and approximate (address order, not control flow); read the disassembly for the hits."""
import re
import subprocess
import sys

IDIOM = re.compile(r'vpternlog[dq]\s+\$0xff,\s*%([xyz]mm\d+),\s*%\1,\s*%\1'
                   r'|vpcmpeq[bwdq]\s+%([xyz]mm\d+),\s*%\2,\s*%\2'
                   r'|kxnor[bwdq]\s+%(k\d),\s*%\3,\s*%\3')


def functions(obj):
    text = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-C', obj],
                          capture_output=True, text=True, check=True).stdout
    out, cur = [], None
    for line in text.splitlines():
        m = re.match(r'^([0-9a-f]+) <(.*)>:$', line)
        if m:
            cur = (m.group(2), [])
            out.append(cur)
            continue
        m = re.match(r'^\s+([0-9a-f]+):\s+(.*)$', line)
        if m and cur:
            cur[1].append((int(m.group(1), 16), m.group(2).strip()))
    return out


def writes(ins, reg):
    parts = ins.split(None, 1)
    if len(parts) < 2:
        return False
    last = re.split(r',(?![^()]*\))', parts[1])[-1].strip()
    if reg.startswith('k'):
        return last == '%' + reg or ('gather' in parts[0] and '{%' + reg + '}' in last)
    return re.match(r'^%[xyz]mm' + re.sub(r'^[xyz]mm', '', reg) + r'(\{|$)', last) is not None


def main(obj):
    for name, ins in functions(obj):
        heads = {}
        for a, t in ins:
            m = re.match(r'j\w+\s+([0-9a-f]+)', t)
            if m and ins[0][0] <= int(m.group(1), 16) <= a:
                heads[int(m.group(1), 16)] = max(heads.get(int(m.group(1), 16), 0), a)
        loops = list(heads.items())
        for a, t in ins:
            m = IDIOM.search(t)
            if not m:
                continue
            reg = next(g for g in m.groups() if g)
            around = sorted([(s, e) for s, e in loops if s <= a <= e], key=lambda x: x[1] - x[0])
            if not around:
                continue
            inner = [(s, e) for s, e in around if not any(s <= s2 and e2 <= e and (s2, e2) != (s, e) for s2, e2 in loops)]
            s, e = (inner or around)[0]
            innermost = bool(inner)
            body = [x for x in ins if s <= x[0] <= e]
            k = next(j for j, x in enumerate(body) if x[0] == a)
            prev = next((x for x in body[k - 1::-1] + body[:k:-1] if writes(x[1], reg)), None)
            where = 'none (only itself)' if prev is None else f'{prev[0]:x} {prev[1][:50]}' + (' [carried]' if prev[0] > a else '')
            print(f'{name[:400]} | {a:x} {t} | loop {s:x}-{e:x}{" innermost" if innermost else ""} | previous writer: {where}')


if __name__ == '__main__':
    main(sys.argv[1])
