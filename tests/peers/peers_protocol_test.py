"""The peer bridge protocol end to end, with the standard-library test peer ("implementation":
"python", scripts/bnb_bench_peer/stdlib_peer.py): no torch needed, so it runs in CI.

    python3 peers_protocol_test.py BNB_BENCH_BINARY

Checks results (error against the fp64 reference, timing fields, state bytes, versions), dumps,
failures recorded as results, and configuration errors found before any work."""
import csv
import io
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

BIN = None
PYTHON = sys.executable
# The test peer computes Adam in double and stores fp32, like the fp64 reference's "fp32
# storage": after 5 steps they differ by a few fp32 roundings of the parameters (rel_l2 ~3e-7
# measured). A wrong bias correction or decay is off by 1e-3 or more.
MAX_PEER_REL_L2 = 1e-5
# Ours and the test peer run the same AdamW in fp32 with different rounding orders: parameters
# within a few ulps after 5 steps of lr 1e-3 (max_abs 1.0e-7 measured on values ~0.1).
MAX_OURS_VS_PEER_ABS = 1e-6

SMALL = {
    "schema": 1, "name": "peers-small", "seed": 3, "threads": 1,
    "params": [{"name": "w", "shape": [16, 24]}, {"name": "b", "shape": [24]}],
    "workload": {"kind": "gradients", "steps": 5},
    "timing": {"warmup_steps": 1, "min_time_s": 0.02, "min_samples": 3, "timeout_s": 5},
}


def run(config, *args, expect_rc=0):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        proc = subprocess.run([BIN, "run", path, "-q", "--python", PYTHON, *args],
                              capture_output=True, text=True, timeout=300)
    if proc.returncode != expect_rc:
        raise AssertionError(f"exit {proc.returncode}, expected {expect_rc}\n{proc.stdout}\n{proc.stderr}")
    return proc


def with_optimizers(*entries, **changes):
    return {**SMALL, "optimizers": list(entries), **changes}


class PeerResults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.results = os.path.join(cls.tmp.name, "results.json")
        cls.dump = os.path.join(cls.tmp.name, "dump")
        config = with_optimizers({"name": "AdamW"},
                                 {"implementation": "python", "name": "AdamW"},
                                 {"implementation": "python", "name": "SGD", "lr": 0.01, "momentum": 0.9},
                                 {"implementation": "python", "name": "Adam", "label": "failing", "fail_at_step": 3})
        cls.proc = run(config, "--output", cls.results, "--dump", cls.dump, expect_rc=2)
        with open(cls.results) as f:
            cls.doc = json.load(f)
        cls.entries = {e["label"]: e for e in cls.doc["entries"]}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_entries_in_config_order(self):
        self.assertEqual([e["label"] for e in self.doc["entries"]],
                         ["AdamW", "python.AdamW", "python.SGD", "failing"])

    def test_error_against_the_reference(self):
        for label in ("python.AdamW", "python.SGD"):
            e = self.entries[label]
            self.assertLess(e["error"]["param"]["rel_l2"], MAX_PEER_REL_L2, label)
            self.assertEqual(len(e["error"]["curve"]), 5, label)
            self.assertIn("state1", e["error"]["states"], label)
        self.assertIn("state2", self.entries["python.AdamW"]["error"]["states"])
        self.assertEqual(self.entries["python.AdamW"]["algorithm"], "adam")

    def test_timing_fields(self):
        for label in ("AdamW", "python.AdamW", "python.SGD"):
            t = self.entries[label]["time"]["ns_per_param_step"]
            self.assertGreaterEqual(len(t["samples"]), 3, label)
            self.assertGreater(t["median"], 0, label)
            self.assertLessEqual(t["min"], t["median"], label)
            self.assertLessEqual(t["median"], t["max"], label)
            self.assertGreaterEqual(t["steps_per_sample"], 1, label)

    def test_state_memory_and_versions(self):
        numel = 16 * 24 + 24
        adamw = self.entries["python.AdamW"]
        self.assertEqual(adamw["memory"]["state_bytes"], 2 * 4 * numel)
        self.assertEqual(adamw["memory"]["buffers"], {"exp_avg": 4 * numel, "exp_avg_sq": 4 * numel})
        self.assertEqual(adamw["state_bits"], 32)
        self.assertEqual(self.entries["python.SGD"]["memory"]["state_bytes"], 4 * numel)
        impl = adamw["implementation"]
        self.assertEqual((impl["name"], impl["class"]), ("python", "AdamW"))
        self.assertIn("python", impl["versions"])
        self.assertEqual(impl["reference"]["optimizer"], "AdamW")

    def test_failure_is_a_result(self):
        e = self.entries["failing"]
        self.assertIn("fail_at_step=3", e["failure"])
        self.assertIsNone(e["time"])
        self.assertIn("accuracy", e["gates_failed"])
        self.assertEqual(self.doc["exit_code"], 2)
        self.assertRegex(self.proc.stdout, r"failing failed: RuntimeError: step 3")
        self.assertNotIn("failing.safetensors", os.listdir(self.dump))

    def test_dump_layout(self):
        tensors, meta = tensor_file.read(os.path.join(self.dump, "python.AdamW.safetensors"))
        self.assertEqual(tensors["param/w"].shape, [16 * 24])
        self.assertEqual(tensors["state/w/exp_avg"].dtype, "F32")
        self.assertIn("state/b/exp_avg_sq", tensors)
        self.assertEqual((meta["implementation"], meta["class"], meta["label"]), ("python", "AdamW", "python.AdamW"))
        # Same workload, same algorithm: ours and the peer end within a few fp32 roundings.
        ours, _ = tensor_file.read(os.path.join(self.dump, "AdamW.safetensors"))
        from array import array
        a, b = array("f", bytes(ours["param/w"].data)), array("f", bytes(tensors["param/w"].data))
        self.assertEqual(len(a), len(b))
        self.assertLess(max(abs(x - y) for x, y in zip(a, b)), MAX_OURS_VS_PEER_ABS)


class PeerWorkloads(unittest.TestCase):
    def test_resync(self):
        proc = run(with_optimizers({"implementation": "python", "name": "AdamW"}, reference={"mode": "resync"}),
                   "--no-timing", "--format", "json")
        e = json.loads(proc.stdout)["entries"][0]
        self.assertLess(e["error"]["param"]["rel_l2"], MAX_PEER_REL_L2)
        self.assertLess(e["error"]["states"]["state2"]["rel_l2"], MAX_PEER_REL_L2)

    def test_objective(self):
        config = with_optimizers({"implementation": "python", "name": "Adam", "lr": 0.01})
        config["workload"] = {"kind": "quadratic", "steps": 5, "condition": 10}
        e = json.loads(run(config, "--no-timing", "--format", "json").stdout)["entries"][0]
        self.assertEqual(len(e["objective"]["loss_curve"]), 5)
        self.assertLess(e["objective"]["loss"], e["objective"]["initial_loss"])
        self.assertLess(abs(e["error"]["loss_gap"]), 1e-6 * e["objective"]["initial_loss"])

    def test_replay(self):
        config = {**SMALL, "workload": {"kind": "replay", "steps": 5,
                                        "trace": os.path.join(ROOT, "tests", "data", "example_trace.safetensors")},
                  "optimizers": [{"implementation": "python", "name": "SGD", "lr": 0.01, "momentum": 0.5}]}
        del config["params"]
        e = json.loads(run(config, "--no-timing", "--format", "json").stdout)["entries"][0]
        self.assertLess(e["error"]["param"]["rel_l2"], MAX_PEER_REL_L2)
        self.assertEqual(e["memory"]["state_bytes"], 4 * (40 * 130 + 130))

    def test_no_equivalent_no_reference(self):
        # The catalogue has no SGD without momentum (as bitsandbytes): the peer runs, unmeasured.
        proc = run(with_optimizers({"implementation": "python", "name": "SGD", "lr": 0.01}), "--no-timing",
                   "--format", "json")
        e = json.loads(proc.stdout)["entries"][0]
        self.assertIsNone(e["error"])
        self.assertIn("no fp64 reference", proc.stderr)
        self.assertEqual(e["memory"]["state_bytes"], 0)

    def test_csv_leaves_the_model_cells_empty_for_a_peer(self):
        # A peer's step has no bytes-moved model: CSV cells empty (the table shows "-"), ours filled.
        proc = run(with_optimizers({"name": "AdamW"}, {"implementation": "python", "name": "AdamW"}),
                   "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        self.assertEqual([r["label"] for r in rows], ["AdamW", "python.AdamW"])
        self.assertGreater(float(rows[0]["roofline_fraction"]), 0)
        self.assertGreater(float(rows[0]["bytes_per_s"]), 0)
        self.assertEqual((rows[1]["roofline_fraction"], rows[1]["bytes_per_s"]), ("", ""))
        self.assertGreater(float(rows[1]["params_per_s"]), 0)

    def test_bridge_crash_is_a_result(self):
        proc = run(with_optimizers({"name": "AdamW"}, {"implementation": "python", "name": "SGD", "lr": 0.1,
                                                       "exit_at_step": 2}),
                   "--no-timing", "--format", "json", expect_rc=2)
        doc = json.loads(proc.stdout)
        self.assertIn("exited without answering", doc["entries"][1]["failure"])
        self.assertIsNotNone(doc["entries"][0]["error"])


class ConfigErrors(unittest.TestCase):
    def check(self, entry, pattern, *args):
        proc = run(with_optimizers({"name": "AdamW"}, entry), *args, expect_rc=64)
        self.assertRegex(proc.stderr, pattern)
        self.assertEqual(proc.stdout, "")  # found before any work

    def test_unknown_argument(self):
        self.check({"implementation": "python", "name": "AdamW", "lrr": 1},
                   r"optimizers\[1\]: AdamW: .*unexpected keyword argument 'lrr'")

    def test_bad_value(self):
        self.check({"implementation": "python", "name": "SGD", "lr": -1}, r"optimizers\[1\]: SGD: Invalid learning rate")

    def test_unknown_class(self):
        self.check({"implementation": "python", "name": "Adamw"}, r"optimizers\[1\]: .*no class \"Adamw\"")

    def test_unknown_implementation(self):
        self.check({"implementation": "pytorch", "name": "AdamW"},
                   r"optimizers\[1\]\.implementation: unknown value \"pytorch\"")

    def test_overrides_rejected(self):
        self.check({"implementation": "python", "name": "AdamW", "overrides": []}, r"optimizers\[1\]\.overrides")

    def test_missing_interpreter(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "c.json")
            with open(path, "w") as f:
                json.dump(with_optimizers({"implementation": "python", "name": "AdamW"}), f)
            proc = subprocess.run([BIN, "run", path, "-q", "--python", "/nonexistent/python3"],
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 64)
            self.assertRegex(proc.stderr, r"cannot start the Python interpreter \"/nonexistent/python3\".*install python3")
            env = {**os.environ, "BNB_BENCH_PYTHON": "/nonexistent/from-env"}
            proc = subprocess.run([BIN, "validate", path], capture_output=True, text=True, env=env)
            self.assertEqual(proc.returncode, 64)
            self.assertIn("/nonexistent/from-env", proc.stderr)

    def test_missing_library(self):
        try:
            import torch  # noqa: F401
            self.skipTest("this interpreter has torch")
        except ImportError:
            pass
        self.check({"implementation": "torch", "name": "AdamW"},
                   r"optimizers\[1\]\.implementation: torch cannot be imported .*setup-peers\.sh")

    def test_device_cuda_refused_before_work(self):
        # Without a GPU the tool refuses the device; with one, the CPU-only test peer refuses it.
        self.check({"implementation": "python", "name": "AdamW"},
                   r'device: "cuda"|optimizers\[1\]: the python test peer runs on the CPU only, not "cuda"',
                   "--device", "cuda")

    def test_resume_rejected(self):
        self.check({"implementation": "python", "name": "AdamW"}, r"--resume: optimizers\[1\]", "--resume", os.devnull)

    def test_validate_probes_and_passes(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "c.json")
            with open(path, "w") as f:
                json.dump(with_optimizers({"implementation": "python", "name": "AdamW", "lr": 0.01}), f)
            proc = subprocess.run([BIN, "validate", path, "--python", PYTHON], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("valid", proc.stdout)

    def test_no_python_needed_without_peers(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "c.json")
            with open(path, "w") as f:
                json.dump(with_optimizers({"name": "AdamW"}), f)
            proc = subprocess.run([BIN, "validate", path, "--python", "/nonexistent/python3"],
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)


class BridgeDevice(unittest.TestCase):
    """The device of probe and create, straight through the bridge (no GPU needed): a peer that
    cannot step CUDA tensors refuses "cuda" before any work."""

    def ask(self, *requests):
        lines = "".join(json.dumps(r) + "\n" for r in requests) + '{"op": "quit"}\n'
        proc = subprocess.run([PYTHON, "-u", os.path.join(ROOT, "scripts", "bnb_bench_peer")], input=lines,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [json.loads(line) for line in proc.stdout.splitlines()]

    @staticmethod
    def probe(implementation, device):
        return {"op": "probe", "implementation": implementation, "class": "AdamW", "kwargs": {}, "threads": 1,
                "params": [{"name": "w", "shape": [4, 8], "dtype": "F32"}], "device": device}

    def test_cpu_only_peer_refuses_cuda(self):
        cpu, cuda = self.ask(self.probe("python", "cpu"), self.probe("python", "cuda"))
        self.assertTrue(cpu["ok"], cpu)
        self.assertEqual((cuda["ok"], cuda["kind"]), (False, "config"))
        self.assertIn('runs on the CPU only, not "cuda"', cuda["error"])

    def test_torch_without_a_cuda_device_refuses_cuda(self):
        try:
            import torch
        except ImportError:
            self.skipTest("this interpreter has no torch")
        if torch.cuda.is_available():
            self.skipTest("this machine has a CUDA device (gpu-check's peers part runs the torch peer on it)")
        (reply,) = self.ask(self.probe("torch", "cuda"))
        self.assertEqual((reply["ok"], reply["kind"]), (False, "missing"))
        self.assertIn("cannot use a CUDA device", reply["error"])


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv.pop(1))
    unittest.main()
