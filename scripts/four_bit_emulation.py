#!/usr/bin/env python3
"""Emulates 4-bit AdamW state formats on one gradient trace and prints each format's error
relative to the distance travelled (rel_travel = ||p - p_fp32|| / ||p_fp32 - p0||, the tool's
error.param.rel_travel) and its ratio to torchao AdamW4bit's format. Standard library only
(numpy is not a dependency); float64 arithmetic, so it ranks maps, it is not bit-exact.

The trace: a rows x cols weight whose rows have gradient scales spread log-uniformly over
`decades` decades (the hard case for block scales: cols is not a multiple of the block, so
blocks straddle rows of different scales), Gaussian noise around a persistent per-element mean.
Usage: scripts/four_bit_emulation.py [--steps 60] [--rows 48] [--cols 100] [--seeds 3]
"""
import argparse
import bisect
import math
import random
import statistics
import struct


def dynamic_map(bits=4, exponent_bits=3):
    """bitsandbytes' signed dynamic-exponent construction at `bits` (torchao's 4-bit map for m)."""
    data = []
    non_sign = bits - 1
    for i in range(exponent_bits):
        items = 2 ** (i + non_sign - exponent_bits) + 1
        bounds = [0.1 + 0.9 * k / (items - 1) for k in range(items)]
        means = [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
        scale = 10 ** (-(exponent_bits - 1) + i)
        data += [scale * m for m in means] + [-scale * m for m in means]
    data += [0.0, 1.0]
    return sorted(data)


def normal_map(tail=0.95):
    """Normal quantiles: 8 positive and 7 negative levels plus zero, scaled to [-1, 1]: the
    positive levels at probabilities 0.5 + (tail - 0.5) k / 8, k = 1..8, the negative ones at
    0.5 + (tail - 0.5) k / 7, k = 1..7 (tail 0.95 measured best of 0.85..0.99, docs/four_bit.md)."""
    nd = statistics.NormalDist()
    pos = [nd.inv_cdf(0.5 + (tail - 0.5) * k / 8) for k in range(1, 9)]
    neg = [-nd.inv_cdf(0.5 + (tail - 0.5) * k / 7) for k in range(1, 8)]
    top = pos[-1]
    return sorted([v / top for v in pos] + [v / top for v in neg] + [0.0])


def symmetric_normal_map(tail=0.9677):
    """Normal quantiles without a zero level: 8 per sign, scaled to [-1, 1]."""
    nd = statistics.NormalDist()
    pos = [nd.inv_cdf(0.5 + (tail - 0.5) * (k - 0.5) / 8) for k in range(1, 9)]
    return sorted([v / pos[-1] for v in pos] + [-v / pos[-1] for v in pos])


def linear_zero_free(power=1.0):
    """Zero-free v map: (j/16)^power for j = 1..16 (power 1: torchao's linear map)."""
    return [(j / 16) ** power for j in range(1, 17)]


def bf16_at_least(x):
    """The smallest bf16 value >= x >= 0 (x first rounded to fp32, as the product stores it)."""
    u = struct.unpack("<I", struct.pack("<f", x))[0]
    if u & 0xFFFF:
        u += 0x10000
    return struct.unpack("<f", struct.pack("<I", u & 0xFFFF0000))[0]


class Quantizer:
    def __init__(self, values, block, bf16_scale=False):
        self.values = values
        self.mids = [(a + b) / 2 for a, b in zip(values, values[1:])]
        self.block = block
        self.bf16_scale = bf16_scale

    def round_trip(self, x):
        out = [0.0] * len(x)
        for b in range(0, len(x), self.block):
            chunk = x[b:b + self.block]
            m = max(abs(v) for v in chunk)
            if self.bf16_scale:
                m = bf16_at_least(m)
            if m == 0:
                continue
            for i, v in enumerate(chunk):
                out[b + i] = self.values[bisect.bisect_left(self.mids, v / m)] * m
        return out


def run(fmt, grads, p0, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=1e-2):
    n = len(p0)
    p, m, v = list(p0), [0.0] * n, [0.0] * n
    for t, g in enumerate(grads, 1):
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        for i in range(n):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            p[i] = p[i] * (1 - lr * wd) - lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
        if fmt is not None:
            m, v = fmt[0].round_trip(m), fmt[1].round_trip(v)
    return p


def trace(seed, rows, cols, steps, decades):
    rng = random.Random(seed)
    scales = [10 ** (-decades * rng.random()) for _ in range(rows)]
    mean = [rng.gauss(0, 1) for _ in range(rows * cols)]
    p0 = [rng.gauss(0, 0.1) for _ in range(rows * cols)]
    grads = [[scales[i // cols] * (0.5 * mean[i] + rng.gauss(0, 1)) for i in range(rows * cols)] for _ in range(steps)]
    return p0, grads


def trace_arguments(description, rows, cols, seeds):
    """The trace's command-line arguments (shared with fp8_emulation.py)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rows", type=int, default=rows)
    ap.add_argument("--cols", type=int, default=cols)
    ap.add_argument("--decades", type=float, default=4)
    ap.add_argument("--seeds", type=int, default=seeds)
    return ap.parse_args()


def compare(formats, base_name, a):
    """Runs every format (name -> (m quantizer, v quantizer)) on the trace's seeds and prints
    each one's mean rel_travel and its ratio to `base_name`'s."""
    totals = {k: 0.0 for k in formats}
    for seed in range(a.seeds):
        p0, grads = trace(seed, a.rows, a.cols, a.steps, a.decades)
        ref = run(None, grads, p0)
        travel = math.sqrt(sum((r - q) ** 2 for r, q in zip(ref, p0)))
        for name, fmt in formats.items():
            p = run(fmt, grads, p0)
            totals[name] += math.sqrt(sum((x - r) ** 2 for x, r in zip(p, ref))) / travel / a.seeds
    base = totals[base_name]
    print(f"trace: {a.rows}x{a.cols}, {a.steps} steps, row scales over {a.decades} decades, {a.seeds} seeds; "
          f"ratios to {base_name}")
    for name, err in totals.items():
        print(f"{name:44s} rel_travel {err:.6f}  ratio {err / base:.3f}")


def main():
    a = trace_arguments(__doc__.splitlines()[0], 48, 100, 3)
    torchao = "torchao4 (dynamic m, linear v, 128)"
    formats = {
        torchao: (Quantizer(dynamic_map(), 128), Quantizer(linear_zero_free(), 128)),
        "ours: normal m, linear v, 64, bf16 scale": (Quantizer(normal_map(), 64, True), Quantizer(linear_zero_free(), 64, True)),
        "normal m, v (j/16)^1.25, 64, bf16 scale": (Quantizer(normal_map(), 64, True), Quantizer(linear_zero_free(1.25), 64, True)),
        "normal m (tail 0.94), linear v, 64, bf16": (Quantizer(normal_map(0.94), 64, True), Quantizer(linear_zero_free(), 64, True)),
        "normal m (tail 0.96), linear v, 64, bf16": (Quantizer(normal_map(0.96), 64, True), Quantizer(linear_zero_free(), 64, True)),
        "normal m, linear v, 32, bf16 (1.125 B/param)": (Quantizer(normal_map(), 32, True), Quantizer(linear_zero_free(), 32, True)),
        "previous: normal m (tail 0.95), linear v, 128": (Quantizer(normal_map(), 128), Quantizer(linear_zero_free(), 128)),
        "normal m (tail 0.9677, NF4's), linear v, 128": (Quantizer(normal_map(0.9677), 128), Quantizer(linear_zero_free(), 128)),
        "normal m (tail 0.90), linear v, 128": (Quantizer(normal_map(0.90), 128), Quantizer(linear_zero_free(), 128)),
        "symmetric normal m (no 0 level), linear v": (Quantizer(symmetric_normal_map(), 128), Quantizer(linear_zero_free(), 128)),
        "normal m, linear v, 64, fp32 scale (1.125 B/param)": (Quantizer(normal_map(), 64), Quantizer(linear_zero_free(), 64)),
    }
    compare(formats, torchao, a)
    print("m maps:", [round(x, 6) for x in normal_map()])


if __name__ == "__main__":
    main()
