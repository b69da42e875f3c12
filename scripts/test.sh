#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what is missing, build, run every test.
#  1. The tensor-file readers (safetensors, traces, checkpoints) under AddressSanitizer, since
#     they parse untrusted input (asan preset, those targets only).
#  2. Everything else: an optimized build with assertions (ci preset; CUDA code compiled when
#     nvcc is present), then all of CTest. CTest's summary is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

asan_tests=(safetensors_test trace_test checkpoint_test)
cmake --preset asan >/dev/null
cmake --build --preset asan --target "${asan_tests[@]}" -j "$jobs"
for t in "${asan_tests[@]}"; do
  echo "== $t under AddressSanitizer"
  (cd build/asan/tests && "./$t" --gtest_brief=1)
done

cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci
