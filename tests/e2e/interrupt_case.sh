#!/usr/bin/env bash
# An interrupted run (SIGINT or SIGTERM) exits 130 or 143 and leaves no partial output: no
# --output file, no temporary file, and only whole dump files. Usage: interrupt_case.sh BIN CONFIG WORKDIR
set -u
bin=$1 config=$2 work=$3
status=0
for case in INT:130 TERM:143; do
  sig=${case%%:*} expected=${case##*:}
  dir="$work/$sig"
  rm -rf "$dir" && mkdir -p "$dir"
  # Long enough to be interrupted mid-run on any machine (many steps of the accuracy pass).
  "$bin" run "$config" -q --steps 100000 --output "$dir/results.json" --dump "$dir/dump" >/dev/null 2>&1 &
  pid=$!
  sleep 1.5
  kill -s "$sig" "$pid"
  wait "$pid"
  rc=$?
  if [[ $rc -ne $expected ]]; then
    echo "SIG$sig: exit code $rc, expected $expected"; status=1
  fi
  if [[ -e "$dir/results.json" ]]; then
    echo "SIG$sig: the --output file exists after the interruption"; status=1
  fi
  leftovers=$(find "$dir" -name '*.tmp*' | head -n 3)
  if [[ -n $leftovers ]]; then
    echo "SIG$sig: temporary files left behind: $leftovers"; status=1
  fi
done
[[ $status -eq 0 ]] && echo "interrupted runs: exit 130/143, no partial output"
exit "$status"
