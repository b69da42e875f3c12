#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what is missing, build, run every test.
#  1. The tensor-file readers (safetensors, traces, checkpoints) under AddressSanitizer, since
#     they parse untrusted input (asan-readers preset, those targets only: the asan preset with
#     only the scalar CPU kernels, ~70 CPU-seconds less; the steps those tests take run on the
#     scalar kernels there and on every variant in the ci build).
#  2. Everything else: an optimized build with assertions (ci preset; CUDA code compiled when
#     nvcc is present), then all of CTest (the report test needs headless Chromium, installed
#     when missing; the ci preset compiles the CUDA code for sm_90 only: a compile-and-link check
#     with no GPU to run it, ~45 CPU-seconds less than the cuda preset's sm_80 + sm_90 + PTX).
#     The GPU suite reports itself skipped on machines
#     without a GPU, and CTest lists skipped tests after its summary, so the script closes with
#     one plain line of counts: "ctest: N passed, N failed, N skipped", then one of the seconds each
#     stage took (the whole suite aims at 10 minutes on 2 cores).
#  Between the two: every libFuzzer target of tests/fuzz (config, safetensors, trace, checkpoint,
#  results readers; clang 14 with ASan + UBSan, the fuzz preset) for 10 s each, as many at once as there are cores
#  (scripts/fuzz.sh; the long local run is `bash scripts/fuzz.sh --minutes 10`).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
stages="" last=0
stage_done() { stages+="$1 $((SECONDS - last)) s, "; last=$SECONDS; }
bash scripts/setup.sh
# The report test (tests/e2e/report_chromium.sh) renders a page in headless Chromium. Without a
# chromium, install the headless build of Debian's (chromium-headless-shell: a 64 MB download,
# no GTK or display stack; about half a minute on a fresh machine).
if ! command -v chromium >/dev/null && ! command -v chromium-headless-shell >/dev/null; then
  bash scripts/setup.sh chromium-headless-shell
fi
jobs=$(nproc)
stage_done setup

asan_tests=(safetensors_test trace_test checkpoint_test)
cmake --preset asan-readers >/dev/null
cmake --build --preset asan-readers --target "${asan_tests[@]}" -j "$jobs"
for t in "${asan_tests[@]}"; do
  echo "== $t under AddressSanitizer"
  (cd build/asan-readers/tests && "./$t" --gtest_brief=1)
done
stage_done asan

echo "== fuzz targets, 10 s each, $jobs at once"
bash scripts/fuzz.sh --seconds 10
stage_done fuzz

cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
stage_done "ci build"
log=build/ci/ctest.log
status=0
ctest --preset ci 2>&1 | tee "$log" || status=$?
stage_done ctest
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
skipped=$(grep -c '(Skipped)' "$log" || true)
if [[ -n "$total" && -n "$failed" ]]; then
  echo "ctest: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
echo "time: ${stages%, }; total $SECONDS s"
exit "$status"
