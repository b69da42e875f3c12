#!/usr/bin/env bash
# Regenerates results/baseline.json, the reference of the CI gate (docs/compare.md): builds
# bnb-bench, runs configs/ci.json, shows what changed against the old baseline, and replaces it.
# Run it only after an intended change of accuracy or memory, and say why in the commit message.
#   scripts/update-baseline.sh [BUILD_DIR]   (default build/ci, configured with the ci preset)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build/ci}
if [[ $# -eq 0 ]]; then
  cmake --preset ci >/dev/null
fi
cmake --build "$build_dir" --target bnb-bench
bin="$build_dir/app/bnb-bench"
new=$(mktemp --suffix=.json results/.baseline.XXXXXX)
trap 'rm -f "$new"' EXIT
rc=0
"$bin" run configs/ci.json --quiet --output "$new" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "update-baseline: the run exited $rc (its own gates failed or it could not run); baseline not changed" >&2
  exit "$rc"
fi
if [[ -f results/baseline.json ]]; then
  echo "--- changes against the current baseline ---"
  "$bin" compare results/baseline.json "$new" --mode report --metrics accuracy,memory,nonfinite || true
fi
chmod 644 "$new"
mv "$new" results/baseline.json
trap - EXIT
echo "results/baseline.json updated; commit it with the reason for the change."
