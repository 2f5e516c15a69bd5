#!/usr/bin/env bash
# The rules' share of a whole `mailtrace analyze --header-only --offline` run, as a user makes it: files
# read from disk, messages parsed, the rules run, a JSON line written per message. Issue 4's figure is
# taken in process by analyze's BenchmarkHeaderOnlyShare (the parse against the rules, nothing else);
# this shows the same split within the whole run. `perf record` samples the process's CPU (every
# thread: the garbage collector's too) while it reads ../shared/corpus copied N times (default 20),
# one worker; the script prints the share of samples inside each stage. Needs perf (Debian:
# linux-perf), which it installs when missing.
#
#   bench/rules-share-e2e.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
corpus=${CORPUS:-../shared/corpus}
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }
if ! command -v perf >/dev/null; then
	apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null
fi
work=$(mktemp -d -p "${BENCH_DIR:-/var/tmp}")
trap 'rm -rf "$work"' EXIT
go build -o "$work/mailtrace" ./cmd/mailtrace
for ((r = 0; r < n; r++)); do
	mkdir -p "$work/in/$r"
	cp -r "$corpus"/*/ "$work/in/$r/"
done
find "$work/in" -type f ! -name '*.eml' -delete
count=$(find "$work/in" -name '*.eml' -type f | wc -l)
perf record -q -e cpu-clock -F 4000 -g -o "$work/perf.data" \
	"$work/mailtrace" analyze --header-only --offline --format jsonl --workers 1 --fail-on never "$work/in" >/dev/null 2>"$work/err"
tail -1 "$work/err"
# share SYMBOL prints the percentage of samples with SYMBOL on the stack.
perf report -q -i "$work/perf.data" --children --sort sym -g none --stdio 2>/dev/null >"$work/report"
share() { awk -v s="$1" '$NF == s { print $1; exit }' "$work/report"; }
echo "$count messages, header-only, offline, JSON lines, 1 worker; share of the run's CPU samples:"
printf '  %-58s %s\n' "rules (judge: trust, every rule, verdict)" "$(share 'github.com/mailtrace/mailtrace/analyze.(*Analyzer).judge')"
printf '  %-58s %s\n' "parse (read: split, summary, chain, envelope)" "$(share 'github.com/mailtrace/mailtrace/analyze.(*Analyzer).read')"
printf '  %-58s %s\n' "reading the files (ReadSources)" "$(share 'github.com/mailtrace/mailtrace/analyze.ReadSources')"
printf '  %-58s %s\n' "writing the report (report.JSONLine)" "$(share 'github.com/mailtrace/mailtrace/report.JSONLine')"
printf '  %-58s %s\n' "garbage collector's background work" "$(share 'runtime.gcBgMarkWorker')"
