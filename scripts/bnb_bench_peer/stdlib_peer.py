"""The "python" implementation: SGD, Adam and AdamW written with the standard library only, for
testing the bridge protocol where torch is absent (CI). Slow (a Python loop per element): meant
for tensors of a few thousand elements. `fail_at_step=N` makes step N raise, the way a real
library failing on an input would; `exit_at_step=N` ends the process there, like a library
crashing the interpreter."""
import math
import os
import time
from array import array

from errors import ConfigProblem


class _Base:
    def __init__(self, params, lr, weight_decay=0.0, fail_at_step=None, exit_at_step=None):
        if not lr >= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not weight_decay >= 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self.params = params  # [(name, array('f'))]
        self.lr, self.weight_decay = lr, weight_decay
        self.fail_at_step, self.exit_at_step = fail_at_step, exit_at_step
        self.grads = [array("f", bytes(4 * len(p))) for _, p in params]
        self.state = [{} for _ in params]
        self.t = 0

    def defaults(self):
        return {k: v for k, v in vars(self).items() if k not in ("params", "grads", "state", "t")}

    def step(self):
        self.t += 1
        if self.fail_at_step is not None and self.t >= self.fail_at_step:
            raise RuntimeError(f"step {self.t}: failing as asked (fail_at_step={self.fail_at_step})")
        if self.exit_at_step is not None and self.t >= self.exit_at_step:
            os._exit(3)
        for k, (_, p) in enumerate(self.params):
            self.update(p, self.grads[k], self.state[k])


class SGD(_Base):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, **test_switches):
        super().__init__(params, lr, weight_decay, **test_switches)
        self.momentum = momentum

    def reference(self):
        return "SGD", {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}, \
            ["momentum_buffer"] if self.momentum else []

    def update(self, p, g, st):
        if self.momentum and "momentum_buffer" not in st:
            st["momentum_buffer"] = array("f", bytes(4 * len(p)))
        buf = st.get("momentum_buffer")
        for j in range(len(p)):
            d = g[j] + self.weight_decay * p[j]
            if buf is not None:
                d = buf[j] = d if self.t == 1 else self.momentum * buf[j] + d
            p[j] = p[j] - self.lr * d


class Adam(_Base):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, **test_switches):
        super().__init__(params, lr, weight_decay, **test_switches)
        self.betas, self.eps = tuple(betas), eps

    def reference(self):
        args = {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay}
        return type(self).__name__, args, ["exp_avg", "exp_avg_sq"]

    def update(self, p, g, st):
        if not st:
            st["exp_avg"] = array("f", bytes(4 * len(p)))
            st["exp_avg_sq"] = array("f", bytes(4 * len(p)))
        m, v = st["exp_avg"], st["exp_avg_sq"]
        b1, b2 = self.betas
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for j in range(len(p)):
            x, d = p[j], g[j]
            if self.decoupled:
                x *= 1 - self.lr * self.weight_decay
            else:
                d += self.weight_decay * x
            m[j] = b1 * m[j] + (1 - b1) * d
            v[j] = b2 * v[j] + (1 - b2) * d * d
            p[j] = x - self.lr / bc1 * m[j] / (math.sqrt(v[j]) / math.sqrt(bc2) + self.eps)


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, **test_switches):
        super().__init__(params, lr, betas, eps, weight_decay, **test_switches)


CLASSES = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}


class Peer:
    """The bridge's view of one optimizer of this implementation (see __main__.py)."""

    implementation = "python"

    def __init__(self, class_name, kwargs, params, threads, device):
        if device != "cpu":
            raise ConfigProblem(f'the python test peer runs on the CPU only, not "{device}"')
        cls = CLASSES.get(class_name)
        if cls is None:
            raise ConfigProblem(f'the python test peer has no class "{class_name}" ({", ".join(CLASSES)})')
        arrays = []
        for name, dtype, shape, data in params:
            if dtype != "F32":
                raise ConfigProblem(f"the python test peer steps F32 tensors only; {name} is {dtype}")
            a = array("f")
            a.frombytes(bytes(data))
            arrays.append((name, a))
        try:
            self.opt = cls(arrays, **kwargs)
        except (TypeError, ValueError) as e:
            raise ConfigProblem(f"{class_name}: {e}") from e

    @staticmethod
    def versions():
        return {}

    def effective_kwargs(self):
        return self.opt.defaults()

    def reference(self):
        name, args, states = self.opt.reference()
        return {"optimizer": name, "args": args, "states": states}

    def set_grads(self, grads):
        for k, data in enumerate(grads):
            self.opt.grads[k] = array("f", bytes(data))

    def step(self):
        return self.time_steps(1)

    def time_steps(self, n):
        t0 = time.perf_counter()
        for _ in range(n):
            self.opt.step()
        return time.perf_counter() - t0

    def check_device(self):
        pass  # the CPU only (refused in __init__ otherwise)

    def params(self):
        return [(name, "F32", None, a.tobytes()) for name, a in self.opt.params]

    def states(self, dequantized):
        """{param index: [(key, dtype, shape or None for the parameter's, bytes)]}"""
        return {k: [(key, "F32", None, a.tobytes()) for key, a in st.items()] for k, st in enumerate(self.opt.state)}

    def state_bytes(self):
        buffers = {}
        for st in self.opt.state:
            for key, a in st.items():
                buffers[key] = buffers.get(key, 0) + 4 * len(a)
        return buffers

