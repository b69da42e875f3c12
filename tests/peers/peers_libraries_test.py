"""One case per peer library: bnb-bench's peer entry replaying tests/data/example_trace.safetensors
ends with exactly the parameters the library gives when called directly (direct_replay.py).
Needs the environment of scripts/setup-peers.sh (BNB_BENCH_PEERS_VENV, else .venv-peers in the
repository); without it the test reports itself skipped (exit 77).

    python3 peers_libraries_test.py BNB_BENCH_BINARY"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "bnb_bench_peer"))
import tensor_file  # noqa: E402

VENV = os.environ.get("BNB_BENCH_PEERS_VENV") or os.path.join(ROOT, ".venv-peers")
PYTHON = os.path.join(VENV, "bin", "python")
TRACE = os.path.join(ROOT, "tests", "data", "example_trace.safetensors")
STEPS = 5
BIN = None

# (implementation, class, keyword arguments). The trace's weight has 5200 elements: torchao
# quantizes only tensors whose size its block size divides, hence block_size 80.
CASES = [
    ("torch", "AdamW", {"fused": True}),
    ("bitsandbytes", "AdamW8bit", {}),
    ("torchao", "AdamW8bit", {"block_size": 80}),
    ("torchao", "AdamW4bit", {"block_size": 80}),
    ("deepspeed", "DeepSpeedCPUAdam", {}),
]


class LibraryEqualsDirectCall(unittest.TestCase):
    pass


def make_case(implementation, class_name, kwargs):
    def test(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = {"schema": 1, "name": "peer-vs-direct", "threads": 1,
                      "workload": {"kind": "replay", "trace": TRACE, "steps": STEPS},
                      "optimizers": [{"implementation": implementation, "name": class_name, "label": "peer",
                                      **kwargs}]}
            path = os.path.join(tmp, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            dump = os.path.join(tmp, "dump")
            proc = subprocess.run([BIN, "run", path, "-q", "--no-timing", "--python", PYTHON, "--dump", dump,
                                   "--format", "json"], capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            entry = json.loads(proc.stdout)["entries"][0]
            self.assertIn(implementation, entry["implementation"]["versions"])
            self.assertGreater(entry["memory"]["state_bytes"], 0)
            direct = os.path.join(tmp, "direct.safetensors")
            subprocess.run([PYTHON, os.path.join(HERE, "direct_replay.py"), implementation, class_name,
                            json.dumps(kwargs), TRACE, str(STEPS), direct], check=True, capture_output=True)
            expected, _ = tensor_file.read(direct)
            got, _ = tensor_file.read(os.path.join(dump, "peer.safetensors"))
            for name, t in expected.items():
                self.assertEqual(bytes(got[name].data), bytes(t.data), f"{name} differs from the direct call")
    return test


for impl, cls, kw in CASES:
    setattr(LibraryEqualsDirectCall, f"test_{impl}_{cls}", make_case(impl, cls, kw))


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv.pop(1))
    if not os.access(PYTHON, os.X_OK):
        print(f"skipped: no peers environment at {VENV} (bash scripts/setup-peers.sh makes one)")
        sys.exit(77)
    unittest.main()
