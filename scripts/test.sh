#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what is missing, build (Release with
# assertions kept, CUDA code compiled when nvcc is present), run every CTest test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
