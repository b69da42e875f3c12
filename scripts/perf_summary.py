#!/usr/bin/env python3
"""Issue 7's targets against the figures in results/perf/ (written by scripts/measure-perf.sh).

Writes results/perf/summary.md and the README's performance section (between the perf-summary
markers) from step_bench.json, codec_bench.json and bnb_bench_perf.json, so that the numbers
quoted are always the recorded ones. Standard library only.
"""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
PERF = ROOT / "results" / "perf"
M64 = "n:67108864"


def medians(path):
    """name without the aggregate suffix -> median record of a Google Benchmark JSON file."""
    data = json.loads(path.read_text())
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = re.sub(r"/min_time:[0-9.]+", "", b["run_name"]).replace("/real_time", "")
            out.setdefault(name, b)
    return data["context"], out


def main():
    context, step = medians(PERF / "step_bench.json")
    _, codec = medians(PERF / "codec_bench.json")
    run = json.loads((PERF / "bnb_bench_perf.json").read_text())
    ns = {k: v["ns_per_elem"] for k, v in step.items()}
    variant = next(k.split("/")[4] for k in ns if k.startswith("step/adam/fp32/state32/"))

    def s(algo, fmt, dtype="fp32", n=M64, threads=2):
        return ns[f"step/{algo}/{dtype}/{fmt}/{variant}/{n}/threads:{threads}"]

    def floor(p, st, rows, threads=2):
        return ns[f"floor/p{p}_s{st}/rows:{rows}/{M64}/threads:{threads}"]

    # Every algorithm step_bench measured but Adam (the reference, left out by name), in its order.
    algos = [a for a in dict.fromkeys(k.split("/")[1] for k in ns if k.startswith("step/") and "/fp32/state32/" in k)
             if a != "adam"]
    adam32, adam8 = s("adam", "state32"), s("adam", "blockwise8")
    rows = []
    rows.append(("32-bit Adam roofline_fraction >= 0.8 (2 threads)",
                 f"{floor(32, 32, 2) / adam32:.2f} ({adam32:.3f} ns/param; floor {floor(32, 32, 2):.3f})"))
    rows.append(("8-bit block-wise Adam time <= 32-bit Adam time",
                 f"{adam8 / adam32:.2f}x ({adam8:.3f} vs {adam32:.3f} ns/param)"))
    # step_bench's ramp data (above, every round's figure) next to what a run steps: normal
    # gradients, states settled from zero (results/perf/round13/adam8.md); absent in older files.
    normal = [ns.get(f"step/adam/fp32/{fmt}/{variant}/{M64}/threads:2/data:normal") for fmt in ("state32", "blockwise8")]
    if all(normal):
        rows.append(("8-bit block-wise Adam time <= 32-bit Adam time (normal gradients, settled states)",
                     f"{normal[1] / normal[0]:.2f}x ({normal[1]:.3f} vs {normal[0]:.3f} ns/param)"))
    rows.append(("8-bit roofline_fraction >= 0.8 on its own traffic (stretch)",
                 f"{floor(32, 8, 2) / adam8:.2f} (floor {floor(32, 8, 2):.3f} ns/param)"))
    for fmt in ("state32", "blockwise8", "tensorwise8"):
        ratios = ", ".join(f"{a} {s(a, fmt) / s('adam', fmt):.2f}" for a in algos)
        rows.append((f"other algorithms within 1.3x of Adam ({fmt})", ratios))
    for fmt in ("state32", "blockwise8"):
        rows.append((f"bf16 params at least as fast as fp32 ({fmt})",
                     f"bf16/fp32 {s('adam', fmt, 'bf16') / s('adam', fmt):.2f}, "
                     f"fp16/fp32 {s('adam', fmt, 'fp16') / s('adam', fmt):.2f}"))
        # The same on normal data without the ramp's weight decay (its second rounding per
        # element): what a run's default Adam steps; absent in files before round 16.
        normal16 = [ns.get(f"step/adam/{d}/{fmt}/{variant}/{M64}/threads:2/data:normal") for d in ("fp32", "bf16", "fp16")]
        if all(normal16):
            rows.append((f"bf16 params at least as fast as fp32 ({fmt}, normal gradients, no weight decay)",
                         f"bf16/fp32 {normal16[1] / normal16[0]:.2f}, fp16/fp32 {normal16[2] / normal16[0]:.2f}"))
    for fmt in ("state32", "blockwise8"):
        sizes = [1048576, 16777216, 67108864, 268435456]
        vals = [s("adam", fmt, n=f"n:{n}") for n in sizes]
        big = vals[1:]
        rows.append((f"flat within +-15% from 1M to 256M ({fmt})",
                     " / ".join(f"{v:.3f}" for v in vals) + f" ns at 1M/16M/64M/256M; 16M-256M spread "
                     f"{max(big) / min(big):.2f}x"))
    for fmt in ("state32", "blockwise8"):
        rows.append((f"2 threads >= 1.6x 1 thread ({fmt})",
                     f"{s('adam', fmt, threads=1) / s('adam', fmt):.2f}x (the floor itself: "
                     f"{floor(32, 32 if fmt == 'state32' else 8, 2, 1) / floor(32, 32 if fmt == 'state32' else 8, 2):.2f}x)"))
    q1 = codec[f"quantize_blockwise/{variant}/threads:1"]["bytes_per_second"] / 1e9
    q2 = codec[f"quantize_blockwise/{variant}/threads:2"]["bytes_per_second"] / 1e9
    rows.append(("quantizer >= 4 GB/s of fp32 input per core", f"{q1:.2f} GB/s (1 thread), {q2:.2f} GB/s (2 threads)"))

    entries = {e["label"]: e for e in run["entries"]}
    tool = ", ".join(f"{label} {e['time']['ns_per_param_step']['median']:.3f} ns "
                     f"(roofline {e['throughput']['roofline_fraction']:.2f})" for label, e in entries.items())
    rows.append(("`bnb-bench run configs/perf.json` (64M fp32, 2 threads)", tool))

    table = ["| target | measured |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    cpu = run.get("machine", {})
    kind = (f"{cpu.get('cpu_model', 'unknown CPU')} ({cpu.get('cpu_vendor', '?')}, family {cpu.get('cpu_family', '?')} "
            f"model {cpu.get('cpu_model_number', '?')}), ")
    machine = (kind + f"{context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz (as Google Benchmark reads it), "
               f"variant `{variant}`, load average {', '.join(f'{x:.1f}' for x in context.get('load_avg', []))}, "
               f"{context.get('date', '')[:10]}")
    text = "\n".join(table) + f"\n\nMachine: {machine}; medians of 3. Source: `results/perf/*.json`.\n"
    (PERF / "summary.md").write_text("# Issue 7 targets vs measured (generated by scripts/perf_summary.py)\n\n" + text)

    readme = ROOT / "README.md"
    begin, end = "<!-- perf-summary:begin -->", "<!-- perf-summary:end -->"
    body = readme.read_text()
    if begin in body and end in body:
        head, rest = body.split(begin, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(f"{head}{begin}\n{text}{end}{tail}")


if __name__ == "__main__":
    main()
