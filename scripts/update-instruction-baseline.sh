#!/usr/bin/env bash
# Rewrites results/baseline-instructions.json (the instruction-count gate of scripts/test.sh)
# from the current build: after a change that intends to change the step's work, or a new
# compiler. Say why in the commit message. Builds step_instructions first.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset ci >/dev/null
cmake --build --preset ci --target step_instructions
bash scripts/step-instructions.sh --update
