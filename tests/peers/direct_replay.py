"""Replays a trace with a library's optimizer called directly (no bridge): the expected values
of peers_libraries_test.py. Run by the peers environment's interpreter.

    python direct_replay.py IMPLEMENTATION CLASS KWARGS_JSON TRACE STEPS OUT.safetensors"""
import importlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "bnb_bench_peer"))
import tensor_file  # noqa: E402  (the stdlib reader; the optimizer calls below are the library's own)

MODULES = {"torch": "torch.optim", "bitsandbytes": "bitsandbytes.optim", "torchao": "torchao.optim",
           "deepspeed": "deepspeed.ops.adam"}


def main():
    implementation, class_name, kwargs, trace, steps, out = sys.argv[1:]
    torch.set_num_threads(1)
    cls = getattr(importlib.import_module(MODULES[implementation]), class_name)
    tensors, _ = tensor_file.read(trace)
    names = [k[len("init/"):] for k in tensors if k.startswith("init/")]
    params = []
    for n in names:
        t = tensors["init/" + n]
        params.append(torch.nn.Parameter(torch.frombuffer(bytearray(t.data), dtype=torch.float32).reshape(t.shape)))
    opt = cls(params, **{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(kwargs).items()})
    for step in range(int(steps)):
        for n, p in zip(names, params):
            g = tensors["grad/" + n]
            p.grad = torch.frombuffer(bytearray(g.data), dtype=torch.float32).reshape(g.shape)[step].clone()
        opt.step()
    tensor_file.write(out, [("param/" + n, "F32", [p.numel()], p.detach().reshape(-1).numpy().tobytes())
                            for n, p in zip(names, params)])


if __name__ == "__main__":
    main()
