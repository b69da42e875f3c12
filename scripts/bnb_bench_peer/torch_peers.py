"""Peers built on torch tensors: torch.optim, bitsandbytes.optim, torchao.optim and DeepSpeed's
CPU optimizers. Every library gets the same treatment: parameters are torch Parameters of the
run's dtypes, .grad is filled from the gradient file, optimizer.step() alone is timed."""
import difflib
import importlib
import inspect
import time

from errors import ConfigProblem, MissingLibrary

INSTALL_HINT = ("bash scripts/setup-peers.sh makes a virtual environment with pinned versions; pass its "
                "interpreter with --python .venv-peers/bin/python or BNB_BENCH_PYTHON")

# Where each implementation's optimizer classes live (first module that imports wins per name).
MODULES = {
    "torch": ["torch.optim"],
    "bitsandbytes": ["bitsandbytes.optim"],
    "torchao": ["torchao.optim", "torchao.prototype.low_bit_optim"],
    "deepspeed": ["deepspeed.ops.adam", "deepspeed.ops.adagrad", "deepspeed.ops.lion", "deepspeed.ops.lamb"],
}
DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
FILE_DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "uint8": "U8", "int8": "I8",
               "int32": "I32", "int64": "I64", "float64": "F64", "float8_e4m3fn": "F8_E4M3"}
# Library state keys in the order of the reference's state rows (SPEC.md §9).
STATE_ORDER = ["exp_avg", "exp_avg_sq", "momentum_buffer", "square_avg", "sum", "state1", "state2"]


def _import(module):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingLibrary(f"{module} cannot be imported by this interpreter ({e}); {INSTALL_HINT}") from e


def find_class(implementation, class_name):
    import torch
    found = {}
    errors = []
    for module in MODULES[implementation]:
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            errors.append(f"{module}: {e}")
            continue
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer) and not name.startswith("_"):
                found.setdefault(name, obj)
    if not found:
        raise MissingLibrary(f"{implementation} cannot be imported by this interpreter ({'; '.join(errors)}); "
                             f"{INSTALL_HINT}")
    if class_name not in found:
        close = difflib.get_close_matches(class_name, found, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise ConfigProblem(f'{implementation} has no optimizer class "{class_name}"{hint}; it has '
                            f'{", ".join(sorted(n for n in found if n != "Optimizer"))}')
    return found[class_name]


def peer_class(implementation):
    _import("torch")
    if implementation != "torch":
        _import(MODULES[implementation][0].split(".")[0])
    return type(f"{implementation}Peer", (TorchPeer,), {"implementation": implementation})


def tensor_bytes(t):
    """Bytes held by a tensor; quantized tensor subclasses (torchao) count their inner tensors."""
    if hasattr(t, "__tensor_flatten__"):
        inner, _ = t.__tensor_flatten__()
        return sum(tensor_bytes(getattr(t, a)) for a in inner)
    return t.numel() * t.element_size()


class TorchPeer:
    implementation = "torch"

    def __init__(self, class_name, kwargs, params, threads, device):
        import torch
        self.torch = torch
        torch.set_num_threads(int(threads))
        cls = find_class(self.implementation, class_name)
        self.class_name = class_name
        if device not in ("cpu", "cuda"):
            raise ConfigProblem(f'device "{device}": expected "cpu" or "cuda"')
        if device == "cuda" and not torch.cuda.is_available():
            raise MissingLibrary(f"torch {torch.__version__} cannot use a CUDA device in this interpreter (built with "
                                 f"CUDA {torch.version.cuda or 'none'}, torch.cuda.is_available() is false): run on "
                                 f'a machine with a GPU and a CUDA build of torch, or with device "cpu"')
        self.device = torch.device(device)
        self.tensors = []
        self.names = [name for name, _, _, _ in params]
        for name, dtype, shape, data in params:
            if dtype not in DTYPES:
                raise ConfigProblem(f"{name}: dtype {dtype} is not a parameter dtype")
            t = torch.frombuffer(bytearray(data), dtype=getattr(torch, DTYPES[dtype])) if len(data) else \
                torch.zeros(0, dtype=getattr(torch, DTYPES[dtype]))
            p = torch.nn.Parameter(t.reshape(shape).to(self.device))
            p.grad = torch.zeros_like(p)
            self.tensors.append(p)
        args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        try:
            self.opt = cls(self.tensors, **args)
        except (TypeError, ValueError) as e:
            raise ConfigProblem(f"{self.implementation} {class_name}: {type(e).__name__}: {e}") from e

    def versions(self):
        import importlib.metadata as md
        out = {"torch": self.torch.__version__}
        if self.implementation != "torch":
            out[self.implementation] = md.version(self.implementation)
        if self.device.type == "cuda":
            out["torch_cuda"] = self.torch.version.cuda
            out["cuda_device"] = self.torch.cuda.get_device_name(self.device)
        return out

    def check_device(self):
        """On CUDA, one step of the probe's small tensors (zero gradients): a library whose build
        has no CUDA kernels (or a CPU-only optimizer) fails here, before any work, not mid-run."""
        if self.device.type != "cuda":
            return
        try:
            self.opt.step()
            self.torch.cuda.synchronize()
        except Exception as e:
            raise MissingLibrary(f"{self.implementation} {self.class_name} cannot step CUDA tensors in this "
                                 f"interpreter: {type(e).__name__}: {e}") from e

    def effective_kwargs(self):
        def plain(v):
            if isinstance(v, (bool, int, float, str)) or v is None:
                return v
            if isinstance(v, (tuple, list)):
                return [plain(x) for x in v]
            return str(v)
        return {k: plain(v) for k, v in self.opt.defaults.items()}

    def reference(self):
        """The bnb-bench catalogue entry computing the same update (the fp64 reference follows it),
        or None when the configuration has no equivalent there."""
        d = self.opt.defaults
        if self.implementation == "bitsandbytes":
            # bitsandbytes' classes and arguments are the catalogue's (bnb-bench drops the rest).
            args = {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()
                    if isinstance(v, (bool, int, float, tuple, list))}
            keys = ["state1", "state2"] if any(f in self.class_name for f in ("Adam", "LAMB")) else ["state1"]
            return {"optimizer": self.class_name, "args": args, "states": keys}
        if d.get("amsgrad") or d.get("maximize") or d.get("bias_correction") is False:
            return None
        name = self.class_name
        family = None
        for base in ("AdamW", "Adam", "Lion", "SGD", "RMSprop", "Adagrad", "LAMB", "LARS", "AdEMAMix"):
            if base.lower() in name.lower():
                family = base
                break
        if self.implementation == "deepspeed" and family == "Adam":
            family = "AdamW" if d.get("adamw_mode", True) else "Adam"
        if family in ("Adam", "AdamW"):
            args = {"lr": d["lr"], "betas": list(d["betas"]), "eps": d["eps"], "weight_decay": d["weight_decay"]}
            return {"optimizer": family, "args": args, "states": ["exp_avg", "exp_avg_sq"]}
        if family == "SGD" and self.implementation == "torch":
            if d.get("nesterov") or d.get("dampening"):
                return None
            args = {"lr": d["lr"], "momentum": d["momentum"], "weight_decay": d["weight_decay"]}
            return {"optimizer": "SGD", "args": args, "states": ["momentum_buffer"] if d["momentum"] else []}
        if family == "Lion":
            args = {"lr": d["lr"], "betas": list(d["betas"]), "weight_decay": d["weight_decay"]}
            return {"optimizer": "Lion", "args": args, "states": ["exp_avg"]}
        return None

    def set_grads(self, grads):
        torch = self.torch
        for p, data in zip(self.tensors, grads):
            p.grad.copy_(torch.frombuffer(data, dtype=p.dtype).reshape(p.shape))

    def step(self):
        return self.time_steps(1)

    def time_steps(self, n):
        """Seconds inside n optimizer.step() calls. On CUDA, between two events recorded on the
        current stream around the calls (after the gradient copies have finished), read once the
        last step's kernels are done: the device time of the steps, the host's launch gaps
        included, as bnb-bench's own CUDA timing (docs/gpu.md)."""
        if self.device.type != "cuda":
            t0 = time.perf_counter()
            for _ in range(n):
                self.opt.step()
            return time.perf_counter() - t0
        cuda = self.torch.cuda
        cuda.synchronize()
        start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
        start.record()
        for _ in range(n):
            self.opt.step()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3

    def raw(self, t):
        """(file dtype, shape, bytes) of a plain tensor; None for a dtype files cannot hold."""
        t = t.detach().to("cpu").contiguous()
        dtype = FILE_DTYPES.get(str(t.dtype).replace("torch.", ""))
        if dtype is None:
            return None
        return dtype, list(t.shape), t.reshape(-1).view(self.torch.uint8).numpy().tobytes()

    def params(self):
        return [(name, *self.raw(p)) for name, p in zip(self.names, self.tensors)]

    def dequantize(self, p, key, value, st):
        """The fp32 values of a state the size of its parameter, or None."""
        torch = self.torch
        if hasattr(value, "dequantize") and hasattr(value, "__tensor_flatten__"):
            value = value.dequantize()
        elif self.implementation == "bitsandbytes" and value.dtype == torch.uint8 and key in ("state1", "state2"):
            import bitsandbytes.functional as F
            n = key[-1]
            absmax, code = st.get("absmax" + n), st.get("qmap" + n)
            if absmax is None or code is None:
                return None
            blocksize = -(-value.numel() // absmax.numel())
            blocksize = 1 << (blocksize - 1).bit_length()
            value = F.dequantize_blockwise(value, absmax=absmax, code=code, blocksize=blocksize)
        if not torch.is_tensor(value) or value.numel() != p.numel() or not value.is_floating_point():
            return None
        return value.float().reshape(p.shape)

    def states(self, dequantized):
        out = {}
        for k, p in enumerate(self.tensors):
            st = self.opt.state.get(p, {})
            entries = []
            for key, value in st.items():
                if not self.torch.is_tensor(value):
                    continue
                if dequantized:
                    v = self.dequantize(p, key, value, st)
                    if v is not None:
                        entries.append((key, *self.raw(v)))
                    continue
                if hasattr(value, "__tensor_flatten__"):
                    inner, _ = value.__tensor_flatten__()
                    pieces = [(f"{key}.{a}", getattr(value, a)) for a in inner]
                else:
                    pieces = [(key, value)]
                for name, t in pieces:
                    r = self.raw(t)
                    if r is not None:
                        entries.append((name, *r))
            out[k] = entries
        return out

    def state_bytes(self):
        buffers = {}
        for p in self.tensors:
            for key, value in self.opt.state.get(p, {}).items():
                if self.torch.is_tensor(value):
                    buffers[key] = buffers.get(key, 0) + tensor_bytes(value)
        return buffers

