#!/usr/bin/env python3
"""Fast-path SASS instruction counts of the step kernels in a cuobjdump -sass listing.

usage: sass_counts.py LISTING search|bucket [ELEMENTS_PER_THREAD]

For each kernel of sass_probe.cu: the fewest instructions one thread executes from the entry to
EXIT (only forward edges: every element loop runs once, i.e. one element a thread) on a path that
passes the anchors in order: the update ran (Adam, AdEMAMix: MUFU.RSQ of the sqrt; Lion: the
sign's FSET.BF.GT), every row divided by a nonzero scale (MUFU.RCP) and encoded (search: the 8
FSETP.GTU of the binary search; bucket: the word's >> 24, never the search's NaN test) and stored
its code (STG.E.U8). A predicated branch may go either way, CALL (the IEEE division's slow path,
taken for operands near the range limits only) counts as one instruction. The same count over
each element loop's body (head to back edge) gives the per-element part; with E elements a
thread the rest (set-up, block reductions, epilogue) is shared: per element = body + rest / E.
Validated on the H200 (results/gpu/README.md's Nsight Compute): 8-bit Adam before this work
counted 490 here, 508 measured; 32-bit Adam 131 here, 129 measured.
"""
import heapq
import re
import sys

KERNELS = [  # name, mangled-name pattern, rows, update anchor, block-wise
    ("Adam blockwise8 fp32", r"4AdamEfLNS_11StateFormatE1E", 2, "MUFU.RSQ", True),
    ("Lion blockwise8 fp32", r"4LionEfLNS_11StateFormatE1E", 1, "FSET.BF.GT", True),
    ("AdEMAMix blockwise8 fp32", r"8AdEMAMixEfLNS_11StateFormatE1E", 3, "MUFU.RSQ", True),
    ("Adam tensorwise8 fp32", r"4AdamEfLNS_11StateFormatE2E", 2, "MUFU.RSQ", False),
    ("Adam fp32 state, fp32", r"4AdamEfLNS_11StateFormatE0E", 0, "MUFU.RSQ", False),
]


def parse(path):
    funcs, fn = {}, None
    for line in open(path):
        m = re.search(r"Function : (\S+)", line)
        if m:
            fn = m.group(1)
            funcs[fn] = {}
            continue
        m = re.match(r"\s+/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
        if m and fn:
            funcs[fn][int(m.group(1), 16)] = m.group(2).strip()
    return funcs


def opcode(text):
    return text.split()[1] if text.startswith("@") else text.split()[0]


class Cfg:
    def __init__(self, ins):
        self.ins = ins
        addrs = sorted(ins)
        self.nxt = {a: b for a, b in zip(addrs, addrs[1:])}
        self.first = addrs[0]

    def succ(self, a):
        t, op, pred = self.ins[a], opcode(self.ins[a]), self.ins[a].startswith("@")
        fall = [self.nxt[a]] if a in self.nxt else []
        if op.startswith("BRA"):
            return [int(re.search(r"0x([0-9a-f]+)\s*$", t).group(1), 16)] + (fall if pred else [])
        if op.startswith("EXIT") or op.startswith("RET"):
            return fall if pred else []
        return fall

    def loops(self):  # (head, back edge) of every backward branch
        out = []
        for a, t in self.ins.items():
            if opcode(t).startswith("BRA"):
                tgt = self.succ(a)[0]
                if tgt < a:
                    out.append((tgt, a))
        return sorted(out)

    def path(self, start, anchors, done, avoid, lo=0, hi=1 << 62):
        """Fewest instructions from start (inclusive) through the anchors in order to an address
        where done(a); forward edges inside [lo, hi] only."""
        total, cur, first = 0, start, True
        for rx in anchors + [None]:
            ok = done if rx is None else (lambda a, rx=rx: re.search(rx, self.ins[a]) is not None)
            dist, pq, found = {cur: 1}, [(1, cur)], None
            while pq:
                d, a = heapq.heappop(pq)
                if d > dist.get(a, 1 << 60):
                    continue
                if ok(a) and (a != cur or first):
                    found = (d, a)
                    break
                for b in self.succ(a):
                    if b <= a or not lo <= b <= hi or b not in self.ins:
                        continue
                    if avoid and re.search(avoid, self.ins[b]):
                        continue
                    if d + 1 < dist.get(b, 1 << 60):
                        dist[b] = d + 1
                        heapq.heappush(pq, (d + 1, b))
            if found is None:
                return None
            d, cur = found
            total += d if first else d - 1
            first = False
        return total


def main():
    listing, mode = sys.argv[1], sys.argv[2]
    per_thread = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    search = ["FSETP.GTU"] * 8
    encode = ["MUFU.RCP"] + (search if mode == "search" else [r"RZ, 0x18,"])
    avoid = None if mode == "search" else "FSETP.NAN"
    funcs = parse(listing)
    print(f"{'kernel':26} {'1 element/thread':>17} {'loop bodies':>12} {'rest':>5} {f'{per_thread} elements/thread':>18}")
    for name, pattern, rows, update, blockwise in KERNELS:
        fn = next((f for f in funcs if re.search(pattern, f)), None)
        if fn is None:
            continue
        cfg = Cfg(funcs[fn])
        anchors = [update] + encode * rows + ["STG.E.U8"] * rows
        is_exit = lambda a, cfg=cfg: opcode(cfg.ins[a]).startswith("EXIT")
        whole = cfg.path(cfg.first, anchors, is_exit, avoid)
        if not blockwise:
            print(f"{name:26} {whole:17}")
            continue
        big = [(h, b) for h, b in cfg.loops() if b - h > 0x300]  # the two element loops
        (h1, b1), (h2, b2) = big[0], big[-1]
        body1 = cfg.path(h1, [update], lambda a, b1=b1: a == b1, avoid, h1, b1)
        body2 = cfg.path(h2, encode * rows + ["STG.E.U8"] * rows, lambda a, b2=b2: a == b2, avoid, h2, b2)
        rest = whole - body1 - body2
        print(f"{name:26} {whole:17} {body1:5} +{body2:5} {rest:5} {body1 + body2 + rest / per_thread:18.1f}")


if __name__ == "__main__":
    main()
