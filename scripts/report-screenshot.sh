#!/usr/bin/env bash
# Regenerates docs/images/report.png, the README's picture of `bnb-bench report`: runs the
# built-in suite, writes its report, and photographs the top of the page (the pairs, error vs
# step, memory x error x time) in headless Chromium. The numbers are those of this machine.
#   scripts/report-screenshot.sh [BUILD_DIR]   (default build/ci, configured with the ci preset)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build/ci}
if [[ $# -eq 0 ]]; then
  cmake --preset ci >/dev/null
fi
cmake --build "$build_dir" --target bnb-bench
bin="$(realpath "$build_dir/app/bnb-bench")"
if ! command -v chromium >/dev/null && ! command -v chromium-headless-shell >/dev/null; then
  bash scripts/setup.sh chromium-headless-shell
fi
browser=$(command -v chromium || command -v chromium-headless-shell)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$bin" run --quiet --output default-suite.json >/dev/null &&
  "$bin" report default-suite.json -o report.html >/dev/null)
# --no-sandbox: root in containers; 1000 px wide, tall enough for the first three sections.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1880 \
  --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
mkdir -p docs/images
cp "$work/report.png" docs/images/report.png
echo "docs/images/report.png updated ($(stat -c %s docs/images/report.png) bytes)"
