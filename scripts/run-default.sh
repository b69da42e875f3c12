#!/usr/bin/env bash
# The main job from a fresh clone: install what is missing, build Release, run the built-in
# default suite. Extra arguments go to `bnb-bench run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target bnb-bench
exec build/release/app/bnb-bench run "$@"
