#!/bin/sh
# Render a deorbit HTML report with headless Chromium (Debian's `chromium`) to a PNG, and fail
# if Chromium reports a console error or cannot load the page.
#
#   benchmarks/screenshot_report.sh RUN_DIR_OR_HTML [OUT.png] [WIDTH] [HEIGHT]
#
# RUN_DIR_OR_HTML: a run directory (uses RUN_DIR/report/report.html; writes it first with
# deorbit.report.write_report if it is missing) or an HTML file. OUT.png defaults to
# report-screenshot.png beside the HTML. WIDTH x HEIGHT: the window, CSS pixels (default
# 1280 x 12000; the blank space below the page is cropped off afterwards with Pillow, which
# comes with matplotlib). Needs `chromium`
# (apt-get install -y chromium). Nothing is fetched from the network: the report is
# self-contained and Chromium runs with networking features off.
set -eu
src=${1:?usage: $0 RUN_DIR_OR_HTML [OUT.png] [WIDTH] [HEIGHT]}
if [ -d "$src" ]; then
    html="$src/report/report.html"
    [ -f "$html" ] || python -c "import sys; from deorbit.report import write_report; \
print(write_report(sys.argv[1]))" "$src"
else
    html=$src
fi
html=$(realpath "$html")
out=${2:-$(dirname "$html")/report-screenshot.png}
width=${3:-1280}
height=${4:-12000}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --disable-background-networking --disable-component-update --no-first-run \
    --enable-logging=stderr --v=0 \
    --window-size="$width,$height" --screenshot="$out" "file://$html" 2>"$log" || {
    cat "$log" >&2; echo "chromium failed" >&2; exit 1; }
# Console errors of the page (e.g. a broken data URI) are logged as CONSOLE(...) lines.
if grep -E 'CONSOLE.*(Error|error)|Failed to load|ERR_FILE_NOT_FOUND|net::ERR' "$log" >&2; then
    echo "the page logged errors (above)" >&2
    exit 1
fi
# Crop the blank window below the end of the page; warn if the page did not fit.
python - "$out" <<'PY'
import sys
from PIL import Image, ImageChops
path = sys.argv[1]
im = Image.open(path).convert("RGB")
box = ImageChops.difference(im, Image.new("RGB", im.size, (255, 255, 255))).getbbox()
if box is None:
    sys.exit(f"{path}: the screenshot is blank")
if box[3] >= im.size[1] - 2:
    print(f"warning: the page is longer than the window ({im.size[1]} px); pass a larger HEIGHT",
          file=sys.stderr)
im.crop((0, 0, im.size[0], min(im.size[1], box[3] + 24))).save(path)
PY
echo "$out"
