#!/usr/bin/env bash
# Runs a command while one busy-looping process per logical CPU competes with it (issue 24: a
# speed gate must not flag the same binary on a loaded machine), and exits with its exit code.
#   under_cpu_hog.sh COMMAND [ARGS...]
set -uo pipefail
hogs=()
for ((i = 0; i < $(nproc); ++i)); do
  (while :; do :; done) &
  hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
"$@"
