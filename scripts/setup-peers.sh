#!/usr/bin/env bash
# Opt-in: a Python virtual environment with the peer libraries `bnb-bench` can run beside its own
# optimizers ("implementation" on an optimizer entry, docs/peers.md). Never part of the README's
# two commands or of CI: the torch wheel from PyPI pulls several GB of CUDA libraries.
#
#   bash scripts/setup-peers.sh [VENV_DIR]     # default: .venv-peers in the repository root
#   bnb-bench run configs/peers.json --python .venv-peers/bin/python
#
# Versions are pinned to a set that works together (torchao 0.18 is built against torch 2.11;
# bitsandbytes 0.50 and DeepSpeed 0.19 accept it). Idempotent: a second run installs nothing.
# DeepSpeedCPUAdam compiles its C++ op on first use (a minute or two); the needed compiler,
# ninja and Python headers come from Debian and are installed here when missing, and the op is
# built once at the end so that the first benchmark run does not pay for it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv-peers}

torch_version=2.11.0
torchao_version=0.18.0
bitsandbytes_version=0.50.2
deepspeed_version=0.19.8
numpy_version=2.3.5

# The venv is made from Debian's interpreter: its headers (python3-dev) are the ones the
# DeepSpeed op build compiles against.
bash "$root/scripts/setup.sh" python3-venv python3-dev
[[ -x $venv/bin/python ]] || /usr/bin/python3 -m venv "$venv"
py=$venv/bin/python
pip=("$py" -m pip --disable-pip-version-check --no-input -q)
# The four libraries and numpy are pinned; their own dependencies are what pip resolves for them
# (scripts/measure-peers.sh records the resolved set). These first ones are DeepSpeed's build
# needs, which --no-build-isolation below does not fetch by itself.
"${pip[@]}" install "setuptools<81" wheel packaging psutil py-cpuinfo pydantic hjson msgpack tqdm \
  ninja "numpy==$numpy_version"
"${pip[@]}" install "torch==$torch_version"
"${pip[@]}" install "torchao==$torchao_version" "bitsandbytes==$bitsandbytes_version"
# DeepSpeed is a source distribution whose setup imports torch: build it against the torch above.
DS_BUILD_OPS=0 "${pip[@]}" install --no-build-isolation "deepspeed==$deepspeed_version"

echo "setup-peers: building DeepSpeed's CPU Adam op (once)" >&2
"$py" - <<'PY'
from deepspeed.ops.op_builder import CPUAdamBuilder
CPUAdamBuilder().load(verbose=False)
PY
"$py" "$root/scripts/bnb_bench_peer" --versions
echo "setup-peers: ready; pass --python $py (or set BNB_BENCH_PYTHON) to bnb-bench" >&2
