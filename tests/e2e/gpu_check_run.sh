#!/usr/bin/env bash
# scripts/gpu-check.sh run without a GPU (CTest, label e2e; docs/gpu-check.md). Two cases:
#
#   no-device GPU_PROBE    the real tools/gpu_probe of this build in a one-file bundle: run stops at
#                          the first part with "no CUDA device" and exit 2, writes no file, also
#                          from the packed bundle (.tar.gz); bundles that are missing, damaged,
#                          not an archive or need a newer glibc are refused with 64.
#                          Skipped (77) on a machine that has a CUDA device.
#   dry-run BNB_BENCH      every part on a bundle of stand-ins: a probe that reports a device, a
#                          GoogleTest-like binary, bnb-bench of this build with `--device cuda`
#                          turned into cpu and small configs. Checks the summary (parts, entries,
#                          goals), the record under --results, that a tool refusing cuda (exit 64,
#                          what bnb-bench does until the CUDA run path lands) fails the first part
#                          that uses it with the tool's message, and that a GPU dump differing in
#                          one byte fails the identity part naming the tensor. The peers part
#                          runs the real bridge with the standard-library test peer under a
#                          stand-in interpreter (a torch that sees a device, no bitsandbytes), and
#                          is skipped, saying so, without an interpreter.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check=$root/scripts/gpu-check.sh
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect RC REGEX [ARGS...]: scripts/gpu-check.sh ARGS exits RC and its stdout+stderr match REGEX.
expect() {
  local want=$1 regex=$2 rc=0
  shift 2
  "$check" "$@" >"$scratch/out" 2>&1 || rc=$?
  ((rc == want)) || { cat "$scratch/out" >&2; fail "gpu-check.sh $* exited $rc, expected $want"; }
  grep -Eq -- "$regex" "$scratch/out" || { cat "$scratch/out" >&2; fail "gpu-check.sh $*: no match for /$regex/"; }
}

# seal DIR [GLIBC]: the INFO and MANIFEST that prepare writes.
seal() {
  printf 'revision=test\nbuilt=now\ncuda_architectures=90\nnvcc=13.0\nglibc_required=%s\n' "${2:-2.2.5}" >"$1/INFO"
  (cd "$1" && find . -type f ! -name MANIFEST | LC_ALL=C sort | xargs sha256sum >MANIFEST)
}

no_device() {
  local probe=$1 b=$scratch/bundle
  if "$probe" >/dev/null 2>&1; then
    echo "a CUDA device is present: the no-device case does not apply"
    exit 77
  fi
  mkdir -p "$b/bin"
  cp "$probe" "$b/bin/gpu_probe"
  seal "$b"
  expect 2 "FAILED at part 'device': no CUDA device" run "$b" --results "$scratch/results"
  grep -q '^| device | FAILED |' "$scratch/out" || fail "the summary does not show the device part failed"
  grep -q '^| 256m | not run |' "$scratch/out" || fail "the summary does not show the later parts as not run"
  [[ ! -e $scratch/results ]] || fail "a run without a device wrote $(ls "$scratch/results")"

  expect 64 "no such bundle" run "$scratch/absent"
  # The packed form prepare makes (gpu-bundle.tar.gz) runs like the folder; other files are refused.
  tar -C "$scratch" -czf "$scratch/packed.tar.gz" bundle
  expect 2 "FAILED at part 'device': no CUDA device" run "$scratch/packed.tar.gz"
  echo "not an archive" >"$scratch/packed.tar.gz"
  expect 64 "is not a packed gpu-check bundle" run "$scratch/packed.tar.gz"
  echo extra >>"$b/bin/gpu_probe"
  expect 64 "damaged or incomplete: .*gpu_probe: FAILED" run "$b"
  seal "$b" 99.0
  expect 64 "need glibc >= 99.0" run "$b"
  expect 64 "Usage|usage|prepare" compare-dumps only-one
}

# The stand-in bundle of the dry run; $1: what its bnb-bench does with --device cuda
# (cpu: runs on the CPU; refuse: exit 64 as today's tool; corrupt: flips a byte of one dump).
stub_bundle() {
  local b=$scratch/stub bin=$2
  rm -rf "$b"
  mkdir -p "$b"/{bin,device-tests,configs,tests/data}
  cat >"$b/bin/gpu_probe" <<'EOF'
#!/usr/bin/env bash
printf 'name=Stand-in GPU 9000\ncompute_capability=9.0\nmultiprocessors=132\ntotal_bytes=%s\nfree_bytes=%s\n' $((80 << 30)) $((79 << 30))
printf 'driver=13.0\nruntime=13.0\nconcurrent_managed_access=1\n'
EOF
  cat >"$b/device-tests/stand_in_test" <<'EOF'
#!/usr/bin/env bash
printf '[==========] 3 tests from 1 test suite ran. (5 ms total)\n[  PASSED  ] 3 tests.\n'
EOF
  cat >"$b/bin/bnb-bench" <<EOF
#!/usr/bin/env bash
mode=$1 here=\$(dirname "\$0") cuda=0 dump= prev= args=()
for a in "\$@"; do
  [[ \$a == cuda ]] && { a=cpu; cuda=1; }
  [[ \$prev == --dump ]] && dump=\$a
  args+=("\$a") prev=\$a
done
if ((cuda)) && [[ \$mode == refuse ]]; then
  echo 'bnb-bench: error: device: "cuda": bnb-bench run steps host tensors only for now' >&2
  exit 64
fi
[[ \${args[1]} == -* ]] && args=(run "\$here/../configs/suite.json" "\${args[@]:1}")  # the built-in suite, small
"$bin" "\${args[@]}" || exit
if ((cuda)) && [[ \$mode == corrupt && -n \$dump ]]; then
  f=\$dump/adam-8.safetensors
  printf '\x5a' | dd of="\$f" bs=1 seek=\$((\$(stat -c %s "\$f") - 1)) conv=notrunc status=none
fi
EOF
  chmod +x "$b"/bin/* "$b"/device-tests/*
  cp "$root/tests/data/example_trace.safetensors" "$b/tests/data/"
  mkdir -p "$b/peers"
  cp -r "$root/scripts/bnb_bench_peer" "$b/peers/"
  find "$b/peers" -name __pycache__ -prune -exec rm -rf {} +
  local timing='"timing": {"warmup_steps": 1, "min_time_s": 0.01, "min_samples": 3, "timeout_s": 1}'
  local adam='{"name": "Adam32bit", "label": "adam-32"}, {"name": "Adam8bit", "label": "adam-8", "min_8bit_size": 0}'
  local params='"params": [{"name": "w", "shape": [64, 300], "dtype": "bf16"}, {"name": "b", "shape": [64], "dtype": "fp16"}]'
  local grads='"workload": {"kind": "gradients", "steps": 3}'
  cat >"$b/configs/gpu-identity-replay.json" <<EOF
{"schema": 1, "workload": {"kind": "replay", "trace": "../tests/data/example_trace.safetensors", "steps": 3},
 "optimizers": [$adam], "reference": {"mode": "off"}}
EOF
  echo "{\"schema\": 1, $params, $grads, \"optimizers\": [$adam], \"reference\": {\"mode\": \"off\"}}" >"$b/configs/gpu-identity-dtypes.json"
  echo "{\"schema\": 1, $params, $grads, \"optimizers\": [$adam], $timing}" >"$b/configs/suite.json"
  echo "{\"schema\": 1, $params, $grads, \"optimizers\": [$adam, {\"name\": \"AdamW32bit\", \"label\": \"adamw-32\"},
   {\"name\": \"AdamW8bit\", \"label\": \"adamw-8\", \"min_8bit_size\": 0}], \"reference\": {\"mode\": \"off\"}, $timing}" \
    >"$b/configs/gpu-256m.json"
  echo "{\"schema\": 1, $params, $grads, \"optimizers\": [$adam, {\"name\": \"Lion32bit\", \"label\": \"lion-32\"},
   {\"name\": \"Lion8bit\", \"label\": \"lion-8\", \"min_8bit_size\": 0}], \"reference\": {\"mode\": \"off\"}, $timing}" \
    >"$b/configs/gpu-algorithms.json"
  echo "{\"schema\": 1, \"params\": [{\"name\": \"w\", \"shape\": [16, 24]}], $grads, \"optimizers\": [
   {\"name\": \"AdamW32bit\", \"label\": \"adamw-32\"}, {\"implementation\": \"python\", \"name\": \"AdamW\"}], $timing}" \
    >"$b/configs/gpu-peers.json"
  seal "$b"
}

# The peers part's interpreter: python3 for the bridge, and for the part's own checks a torch
# that sees a CUDA device and no bitsandbytes.
stand_in_python() {
  cat >"$scratch/python" <<'EOF'
#!/usr/bin/env bash
if [[ ${1:-} == -c ]]; then
  case $2 in
    *bitsandbytes*) echo "ModuleNotFoundError: No module named 'bitsandbytes'" >&2; exit 1 ;;
    *torch*) echo "9.9.9 (CUDA 13.0)"; exit 0 ;;
  esac
fi
exec python3 "$@"
EOF
  chmod +x "$scratch/python"
}

dry_run() {
  local bin=$1 out=$scratch/results
  stub_bundle cpu "$bin"
  stand_in_python
  BNB_BENCH_PYTHON=$scratch/python expect 0 "result: PASS, all 7 parts" run "$scratch/stub" --results "$out"
  local summary
  summary=$(cat "$scratch/out")
  for re in '^\| device \| pass \| [0-9]+ \| 20 \| Stand-in GPU 9000, compute capability 9.0, 132 SMs, 79.0 GiB free of 80.0 GiB' \
            '^\| device-tests \| pass \| .*stand_in_test: 3 passed' \
            '^\| identity \| pass \| .*replay: 2 dumps, [0-9]+ tensors bit-identical; dtypes: 2 dumps' \
            '^\| suite \| pass \| .*2 entries' '^\| 256m \| pass \| .*4 entries' '^\| algorithms \| pass \| [0-9]+ \| 75 \| 4 entries' \
            '^\| algorithms \| lion-8 \| [0-9.e+-]+ \| [0-9.e+-]+ \|$' '^- lion-8: [0-9]+\.[0-9][0-9]x the 32-bit step$' \
            '^\| suite \| adam-8 \| [0-9.e+-]+ \| [0-9.e+-]+ \|$' '^\| 256m \| adamw-32 \| [0-9.e+-]+ \| [0-9.e+-]+ \|$' \
            '^- adamw-8 at [0-9.e+-]+ of the memory-traffic floor \(goal >= 0.8\): (not )?met' \
            '^- adam-8 faster than adam-32 \([0-9.e+-]+ vs [0-9.e+-]+ ns/param\): (not )?met$' \
            '^\| peers \| pass \| .*bitsandbytes not run \(cannot step CUDA tensors here: ModuleNotFoundError.*gpu-peers: adamw-32 rel_l2 [0-9.e+-]+; python.AdamW rel_l2 [0-9.e+-]+' \
            '^\| gpu-peers \| python.AdamW \| [0-9.e+-]+ \| [0-9.e+-]+ \|$'; do
    grep -Eq -- "$re" <<<"$summary" || { echo "$summary" >&2; fail "the summary has no line matching /$re/"; }
  done
  local records=("$out"/*-stand-in-gpu-9000.md)
  [[ -f ${records[0]} ]] || fail "no summary file in $out: $(ls "$out")"
  grep -q '^| 256m | pass |' "${records[0]}" || fail "${records[0]} is not the summary"
  [[ -f ${records[0]%.md}/256m.csv ]] || fail "the 256m results are not kept beside the summary"
  [[ -f ${records[0]%.md}/gpu-peers.csv ]] || fail "the peers results are not kept beside the summary"
  BNB_BENCH_PYTHON=/nonexistent/python3 expect 0 "result: PASS, 6 of 7 parts \(skipped: peers\)" \
    run "$scratch/stub" --results "$out"
  grep -Eq '^\| peers \| skipped \| [0-9]+ \| 180 \| no Python interpreter "/nonexistent/python3"' "$scratch/out" ||
    fail "the summary does not show the peers part skipped and why"

  stub_bundle refuse "$bin"
  expect 1 "FAILED at part 'identity': bnb-bench exit 64 \(identity-replay-cuda\): bnb-bench: error: device: \"cuda\"" \
    run "$scratch/stub" --results "$out"
  stub_bundle corrupt "$bin"
  expect 1 "FAILED at part 'identity': gpu-identity-replay: CPU and GPU differ: adam-8.safetensors: state/w/absmax2 \(F32 \[21\]\) differs" \
    run "$scratch/stub" --results "$out"
}

case ${1:-} in
  no-device) no_device "${2:?gpu_probe path}" ;;
  dry-run) dry_run "${2:?bnb-bench path}" ;;
  *) fail "usage: $0 no-device GPU_PROBE | dry-run BNB_BENCH" ;;
esac
echo "ok"
