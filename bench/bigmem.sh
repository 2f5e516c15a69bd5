#!/usr/bin/env bash
# Peak RSS of `mailtrace analyze --offline` on very large messages: a 50 MiB
# header line, text body, base64 attachment and folded field, 100,000
# Received fields, and floods of the fields rules compare with one another
# (Delivered-To fields, Cc addresses, Subject fields, DKIM signatures,
# X-Originating-IP fields, MIME parts), each written by analyze's
# bigMessage. Each file is analysed alone, one run at a time, as JSON with
# and without --header-only and as text; the time and the size of the JSON
# report are given too.
#   bench/bigmem.sh [BINARY]      (default: build ./cmd/mailtrace)
#   MAILTRACE_BIGMSG_MB=25 bench/bigmem.sh    (the size of serve's --max-size)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then # GNU time gives the peak RSS; Debian's base does not have it
	if [ "$(id -u)" != 0 ]; then
		echo "bigmem: need /usr/bin/time (Debian package time), or root to install it" >&2
		exit 1
	fi
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends time
fi
work=$(mktemp -d -p "${BENCH_DIR:-/var/tmp}" bigmem.XXXXXX)
trap 'rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
	bin=$work/mailtrace
	go build -o "$bin" ./cmd/mailtrace
fi
MAILTRACE_BIGMSG_DIR=$work go test -count=1 -run '^TestWriteBigMessages$' ./analyze/ >/dev/null
peak() { # peak RSS in MB and time of the analysis of $1 with the flags that follow
	local f=$1
	shift
	/usr/bin/time -f '%M %e' -o "$work/rss" "$bin" analyze --offline "$@" "$f" >/dev/null 2>"$work/err" || true
	read -r kb secs < <(tail -1 "$work/rss")
	echo "$((kb / 1024)) ($secs s)"
}
printf '| message | size MB | json | json --header-only | text | JSON report MB |\n|---|---|---|---|---|---|\n'
for f in "$work"/*.eml; do
	kind=$(basename "$f" .eml)
	out=$("$bin" analyze --offline -f json "$f" 2>/dev/null | wc -c)
	printf '| %s | %d | %s | %s | %s | %d |\n' "$kind" $(($(stat -c %s "$f") / 1048576)) \
		"$(peak "$f" -f json)" "$(peak "$f" -f json --header-only)" "$(peak "$f" -f text)" $((out / 1048576))
done
