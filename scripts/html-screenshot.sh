#!/usr/bin/env bash
# Renders an HTML report in headless Chromium to a PNG and checks that the
# hop timeline is in the rendered DOM and the PNG is not empty.
#
#   scripts/html-screenshot.sh [REPORT.html] [OUT.png]
#
# Without REPORT.html it builds mailtrace and renders testdata/examples and
# testdata/hostile with --format html. OUT.png defaults to $TMPDIR/mailtrace-report.png.
# Installs Debian's chromium with apt-get when it is missing. Chromium loads
# only the file:// page; the report's CSP forbids any other load.
set -euo pipefail
cd "$(dirname "$0")/.."

report=${1:-}
out=${2:-${TMPDIR:-/tmp}/mailtrace-report.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium not found: installing Debian's chromium" >&2
  apt-get update && apt-get install -y chromium
  browser=$(command -v chromium)
fi

if [ -z "$report" ]; then
  go build -o "$work/mailtrace" ./cmd/mailtrace
  report="$work/report.html"
  # Exit status 3 means a message met --fail-on: expected for these inputs.
  "$work/mailtrace" analyze --offline --format html -o "$report" testdata/examples testdata/hostile || [ $? -eq 3 ]
fi
[ -s "$report" ] || { echo "no report at $report" >&2; exit 1; }
url="file://$(realpath "$report")"

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
  --disable-sync --no-first-run --disable-dev-shm-usage --user-data-dir="$(mktemp -d -p "$work")")

"$browser" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/chromium.log"
if ! grep -q 'class="timeline"' "$work/dom.html"; then
  echo "FAIL: no timeline element in the rendered DOM of $report" >&2
  exit 1
fi
if grep -qi '<script' "$work/dom.html"; then
  echo "FAIL: a script element is in the rendered DOM of $report" >&2
  exit 1
fi

"$browser" "${flags[@]}" --screenshot="$(realpath -m "$out")" --window-size=1280,1600 "$url" 2>>"$work/chromium.log"
if [ ! -s "$out" ] || [ "$(head -c 8 "$out" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "FAIL: $out is empty or not a PNG" >&2
  exit 1
fi
echo "ok: timeline rendered; screenshot in $out ($(wc -c <"$out") bytes)"
