#!/usr/bin/env bash
# Batch throughput and peak memory of `mailtrace analyze` on ../shared/corpus
# copied over and over to N messages (default 10,000), for 1 and 2 workers.
# DNS offline, the CLI's default (full, MIME-decoding) path, output thrown
# away (exit 3, a message met --fail-on, is expected). Needs GNU time (/usr/bin/time -v) for the peak RSS.
#
#   bench/batch.sh [N] [FORMAT...]     e.g. bench/batch.sh 10000 jsonl html
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
shift || true
formats=("${@:-jsonl}")
corpus=${CORPUS:-../shared/corpus}
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/mailtrace" ./cmd/mailtrace

# N messages: round r copies the corpus's directories into in/r/ (one cp per
# round: copying file by file takes minutes), then the surplus is removed.
per_round=$(find "$corpus" -name '*.eml' -type f | wc -l)
rounds=$(((n + per_round - 1) / per_round))
for ((r = 0; r < rounds; r++)); do
  mkdir -p "$work/in/$r"
  cp -r "$corpus"/*/ "$work/in/$r/"
done
find "$work/in" -type f ! -name '*.eml' -delete
surplus=$((rounds * per_round - n))
if [ "$surplus" -gt 0 ]; then
  find "$work/in/$((rounds - 1))" -name '*.eml' -type f | sort | tail -n "$surplus" | xargs rm -f
fi
count=$(find "$work/in" -name '*.eml' -type f | wc -l)
echo "corpus: $per_round files copied to $count in $(du -sh "$work/in" | cut -f1); load average $(cut -d" " -f1-3 /proc/loadavg)"

printf '%-8s %-7s %10s %10s %12s\n' format workers seconds msg/s "peak RSS"
for format in "${formats[@]}"; do
  for workers in 1 2; do
    /usr/bin/time -v -o "$work/time" "$work/mailtrace" analyze --offline --format "$format" \
      --workers "$workers" "$work/in" >/dev/null 2>"$work/stderr" || [ $? -eq 3 ] ||
      { cat "$work/stderr" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    msgs=$(sed -n 's/^mailtrace: \([0-9]*\) messages.*/\1/p' "$work/stderr" | tail -n 1)
    printf '%-8s %-7s %10.2f %10.0f %9d MiB\n' "$format" "$workers" "$secs" "$(echo "$msgs $secs" | awk '{print $1/$2}')" $((rss / 1024))
  done
done
tail -n 1 "$work/stderr"
