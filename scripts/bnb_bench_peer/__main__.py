"""bnb-bench's peer bridge: runs another library's optimizer on bnb-bench's tensors.

    python3 scripts/bnb_bench_peer            # the protocol on stdin/stdout (docs/peers.md)
    python3 scripts/bnb_bench_peer --versions # the libraries this interpreter can import

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout, tensors in
safetensors files named in the messages. Every reply has "ok"; a failed request has "kind"
("config": class or argument not accepted; "missing": library not installed; "failed": the
library raised while working) and "error" (the Python message). bnb-bench owns the run order,
the timing rules and the reference; the bridge only steps, times optimizer.step() and reports.
"""
import json
import os
import platform
import sys

import tensor_file
from errors import ConfigProblem, MissingLibrary

PROTOCOL = 1
LIBRARIES = ("torch", "bitsandbytes", "torchao", "deepspeed")


def peer_class(implementation):
    if implementation == "python":
        from stdlib_peer import Peer
        return Peer
    if implementation in LIBRARIES:
        import torch_peers
        return torch_peers.peer_class(implementation)
    raise ConfigProblem(f'unknown implementation "{implementation}" (python, {", ".join(LIBRARIES)})')


def library_versions():
    import importlib.metadata as md
    found = {"python": platform.python_version()}
    for name in LIBRARIES + ("numpy",):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found


def peak_rss_bytes():
    """This process's peak resident memory. VmHWM rather than getrusage's ru_maxrss: bnb-bench
    starts the bridge with posix_spawn (vfork), and ru_maxrss keeps the parent's peak across it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Session:
    def __init__(self):
        self.peer = None
        self.names = []   # parameter names, in the run's order
        self.shapes = {}  # name -> shape

    def make_peer(self, req, tensors):
        params = req["params"]
        self.names = [p["name"] for p in params]
        self.shapes = {p["name"]: p["shape"] for p in params}
        # Libraries with their own OpenMP runtime (DeepSpeed's CPU ops) read this when loaded.
        os.environ["OMP_NUM_THREADS"] = str(req.get("threads", 1))
        cls = peer_class(req["implementation"])
        return cls(req["class"], req.get("kwargs", {}), tensors, req.get("threads", 1), req.get("device", "cpu"))

    def describe(self, peer):
        return {"versions": {"python": platform.python_version(), **peer.versions()},
                "kwargs": peer.effective_kwargs(), "reference": peer.reference()}

    def op_hello(self, req):
        return {"protocol": PROTOCOL, "python": platform.python_version(), "executable": sys.executable}

    def op_probe(self, req):
        # Small tensors of the run's dtypes and ranks: classes and arguments are checked without
        # allocating the run's memory.
        tiny = []
        for p in req["params"]:
            shape = [min(d, 4) for d in p["shape"]]
            n = 1
            for d in shape:
                n *= d
            tiny.append((p["name"], p["dtype"], shape, bytes(n * tensor_file.ITEM_SIZE[p["dtype"]])))
        peer = self.make_peer(req, tiny)
        peer.check_device()
        return self.describe(peer)

    def op_create(self, req):
        tensors, _ = tensor_file.read(req["init"])
        init = [(p["name"], p["dtype"], p["shape"], tensors["init/" + p["name"]].data) for p in req["params"]]
        self.peer = self.make_peer(req, init)
        return self.describe(self.peer)

    def op_step(self, req):
        tensors, _ = tensor_file.read(req["grads"])
        self.peer.set_grads([tensors["grad/" + n].data for n in self.names])
        seconds = self.peer.step()
        if req.get("out"):
            self.write_tensors(req["out"], req.get("states", False), dequantized=True, metadata=None)
        return {"seconds": seconds}

    def op_time(self, req):
        return {"seconds": self.peer.time_steps(int(req["steps"]))}

    def op_memory(self, req):
        buffers = self.peer.state_bytes()
        return {"state_bytes": sum(buffers.values()), "buffers": buffers, "peak_rss_bytes": peak_rss_bytes()}

    def op_dump(self, req):
        self.write_tensors(req["path"], True, dequantized=False, metadata=req.get("metadata"))
        return {}

    def write_tensors(self, path, with_states, dequantized, metadata):
        out = []
        for name, dtype, _, data in self.peer.params():
            # Flat, as bnb-bench's own dumps hold them.
            out.append(("param/" + name, dtype, [memoryview(data).nbytes // tensor_file.ITEM_SIZE[dtype]], data))
        if with_states:
            for k, entries in sorted(self.peer.states(dequantized).items()):
                name = self.names[k]
                for key, dtype, shape, data in entries:
                    out.append((f"state/{name}/{key}", dtype, self.shapes[name] if shape is None else shape, data))
        tensor_file.write(path, out, metadata)


def reply_for(session, req):
    op = req.get("op")
    handler = getattr(session, f"op_{op}", None)
    if handler is None:
        return {"ok": False, "kind": "failed", "error": f'unknown request "{op}"'}
    if op in ("step", "time", "memory", "dump") and session.peer is None:
        return {"ok": False, "kind": "failed", "error": f'"{op}" before "create"'}
    try:
        return {"ok": True, **handler(req)}
    except ConfigProblem as e:
        return {"ok": False, "kind": "config", "error": str(e)}
    except MissingLibrary as e:
        return {"ok": False, "kind": "missing", "error": str(e)}
    except Exception as e:  # a library failing on an input is a result, not a crash
        return {"ok": False, "kind": "failed", "error": f"{type(e).__name__}: {e}"}


def main():
    if sys.argv[1:] == ["--versions"]:
        print(json.dumps(library_versions()))
        return
    # The protocol owns the original stdout; anything a library prints goes to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    session = Session()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        protocol.write(json.dumps(reply_for(session, req)) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
