#!/usr/bin/env bash
# Renders `bnb-bench report` in headless Chromium and checks what a reader would see: the page
# loads without a console message (a Content-Security-Policy violation, i.e. anything fetched, or
# a script, would log one), and each figure holds exactly the data points of the results.
#   report_chromium.sh BNB_BENCH CONFIG WORKDIR
# Exit 77 (CTest: skipped) when neither `chromium` nor `chromium-headless-shell` is installed;
# scripts/test.sh installs chromium-headless-shell when both are missing.
set -euo pipefail
bin=$1 config=$2 work=$3
browser=$(command -v chromium || command -v chromium-headless-shell || true)
if [[ -z "$browser" ]]; then
  echo "SKIPPED: no chromium or chromium-headless-shell (apt-get install chromium-headless-shell)"
  exit 77
fi
mkdir -p "$work"
cd "$work"
rm -f base.json cand.json report.html dom.html chromium.log

# Two runs of one config, the candidate shorter: 3 entries x 6 steps and 3 entries x 4 steps.
# The config's max_rel_travel gate fails adam-8 in the 6-step run (exit 2), which the page shows.
rc=0
"$bin" run "$config" --quiet --output base.json >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || { echo "FAIL: the 6-step run exited $rc, expected 2 (the accuracy gate)"; exit 1; }
"$bin" run "$config" --quiet --steps 4 --output cand.json >/dev/null
"$bin" report base.json cand.json -o report.html

# --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
"$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
  --dump-dom "file://$work/report.html" >dom.html 2>chromium.log
fail() { echo "FAIL: $*"; exit 1; }
grep -q '</html>' dom.html || fail "Chromium did not render the page (see $work/chromium.log)"
if grep -q ':CONSOLE' chromium.log; then
  grep ':CONSOLE' chromium.log
  fail "the page logged console messages"
fi

# Per figure (an <svg data-figure=...>): data points (class "point...") and line series.
counts=$(awk 'BEGIN { RS = "<svg " }
  NR > 1 && match($0, /data-figure="[^"]*"/) {
    figure = substr($0, RSTART + 13, RLENGTH - 14)
    points = gsub(/class="point/, "&"); series = gsub(/class="series"/, "&")
    print figure, points, series
  }' dom.html)
echo "$counts"
expect() {
  local line
  line=$(grep "^$1 " <<<"$counts" || true)
  [[ "$line" == "$1 $2 $3" ]] || fail "figure $1: expected $2 points and $3 series, got '${line#"$1 "}'"
}
expect error 30 6     # one point per entry and step: 3 x 6 + 3 x 4
expect loss 30 6      # the quadratic's loss after every step
expect tradeoff 6 0   # one marker per entry and file
expect time 6 0       # one bar per entry and file
# Every entry is carried by every figure, in both files.
for label in adam-32 adam-8 lion-8; do
  for run in 0 1; do
    n=$(grep -o "data-entry=\"$label\" data-run=\"$run\"" dom.html | wc -l)
    # error and loss: steps points + 1 series each; tradeoff and time: 1 each.
    steps=$((run == 0 ? 6 : 4))
    [[ "$n" -eq $((2 * (steps + 1) + 2)) ]] || fail "$label in file $run has $n marks, expected $((2 * (steps + 1) + 2))"
  done
done
for section in compare pairs results gates machine; do
  grep -q "id=\"$section\"" dom.html || fail "section #$section missing"
done
grep -q 'adam-8 vs adam-32: 8-bit state' dom.html || fail "pair sentence missing"
grep -q '<tr class="failed"><td class="text">adam-8</td><td class="text">failed: accuracy</td>' dom.html ||
  fail "the gates section does not show adam-8's failed accuracy gate"
echo "report renders: every figure carries every entry of both files"
