#!/usr/bin/env python3
"""Emulates fp8 (e4m3) AdamW state formats on the gradient trace of four_bit_emulation.py and
prints each format's error relative to the distance travelled (rel_travel, the tool's
error.param.rel_travel) and its ratio to torchao AdamWFp8's format. Standard library only,
float64 arithmetic: it ranks block sizes and scale rules, it is not bit-exact.

torchao's format (facts from its source): 256-element blocks, scale = max(absmax, 1e-12) / 448
stored in fp32, codes = round-to-nearest-even e4m3fn of x / scale, for both moments (v stored as
it is, so a tiny v rounds to 0). Ours (docs/fp8.md) is compared with variants of block size,
scale rule and the underflow rule of unsigned rows.
Usage: scripts/fp8_emulation.py [--steps 60] [--rows 24] [--cols 256] [--seeds 4]
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from four_bit_emulation import compare, trace_arguments  # noqa: E402  (the same trace and AdamW loop)

E4M3_MAX = 448.0
MIN_NORMAL = 2.0 ** -6
SUBNORMAL_STEP = 2.0 ** -9


def e4m3(y, keep_nonzero=False):
    """Round-to-nearest-even e4m3 value of y (|y| <= 448); keep_nonzero: a positive y that would
    round to 0 takes the smallest subnormal instead (our unsigned rows)."""
    a = abs(y)
    if a < MIN_NORMAL:
        q = round(a / SUBNORMAL_STEP) * SUBNORMAL_STEP  # Python's round is half-to-even
    else:
        ulp = 2.0 ** (math.frexp(a)[1] - 1 - 3)
        q = min(round(a / ulp) * ulp, E4M3_MAX)
    if q == 0 and keep_nonzero and y > 0:
        q = SUBNORMAL_STEP
    return math.copysign(q, y)


class Fp8:
    def __init__(self, block, rule="max", keep_nonzero=False, scale_floor=0.0):
        self.block, self.rule, self.keep_nonzero, self.floor = block, rule, keep_nonzero, scale_floor

    def scale(self, m):
        if self.rule == "max":  # absmax maps to 448
            return max(m, self.floor) / E4M3_MAX
        # power of two: the smallest 2^k with absmax / 2^k <= 448 (exact scaling)
        return 2.0 ** math.ceil(math.log2(m / E4M3_MAX))

    def round_trip(self, x):
        out = [0.0] * len(x)
        for b in range(0, len(x), self.block):
            chunk = x[b:b + self.block]
            m = max(abs(v) for v in chunk)
            if m == 0 and self.floor == 0:
                continue
            s = self.scale(m)
            for i, v in enumerate(chunk):
                out[b + i] = e4m3(v / s, self.keep_nonzero) * s
        return out


def main():
    a = trace_arguments(__doc__.splitlines()[0], 24, 256, 4)
    torchao = "torchao AdamWFp8: 256, absmax/448, v to 0"
    formats = {
        torchao: (Fp8(256, "max", False, 1e-12), Fp8(256, "max", False, 1e-12)),
        "ours: 256, absmax/448, v kept nonzero": (Fp8(256), Fp8(256, "max", True)),
        "256, power-of-two scale, v kept nonzero": (Fp8(256, "pow2"), Fp8(256, "pow2", True)),
        "256, power-of-two scale, v to 0": (Fp8(256, "pow2"), Fp8(256, "pow2")),
        "128, absmax/448, v kept nonzero (2.06 B)": (Fp8(128), Fp8(128, "max", True)),
        "512, absmax/448, v kept nonzero (2.016 B)": (Fp8(512), Fp8(512, "max", True)),
    }
    compare(formats, torchao, a)


if __name__ == "__main__":
    main()
