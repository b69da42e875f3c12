#!/bin/bash
# Compiles sass_probe.cu against a source tree with the CUDA preset's flags for sm_90 and prints
# ptxas's registers and spills and sass_counts.py's fast-path counts.
# usage: sass_counts.sh SOURCE_TREE search|bucket [ELEMENTS_PER_THREAD]
# Needs nvcc, and cuobjdump + nvdisasm on PATH (the CUDA toolkit's, or PyPI's
# nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
out=$(mktemp -d)
nvcc -I"$tree/kernels/cuda" -I"$tree/kernels/include" -O3 -DNDEBUG -arch=sm_90 -cubin --fmad=false \
  -Xcompiler=-fno-math-errno,-ffp-contract=off -std=c++20 -Xptxas -v "$here/sass_probe.cu" -o "$out/probe.cubin" 2> "$out/ptxas.txt"
grep -E "Compiling entry|registers|spill" "$out/ptxas.txt" | sed -E 's/.*_ZN3bnb7kernels4cuda6device11step_kernelINS0_[0-9]+([A-Za-z]+)E([a-z]+)LNS_11StateFormatE([0-9])E.*/\1<\2, format \3>/; s/ptxas info *: *//'
cuobjdump -sass "$out/probe.cubin" > "$out/probe.sass"
python3 "$here/sass_counts.py" "$out/probe.sass" "$2" "${3:-4}"
rm -r "$out"
