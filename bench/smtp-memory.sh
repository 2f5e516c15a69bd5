#!/usr/bin/env bash
# Peak memory of `mailtrace serve` while it receives 20 concurrent 20 MiB messages (smtp-source on
# loopback), with fsync on, and analyses them. The sink streams every message to disk in 32 KiB pieces;
# the analysis reads one stored message at a time. Its peak RSS (VmHWM) must stay under 150 MB. Exits
# non-zero if it does not, or if a message is missing, short or not analysed.
#   SESSIONS=20 SIZE=20971520 LIMIT_MB=150 bench/smtp-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/smtp-install.sh
. scripts/smtp-sink-start.sh

SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-20971520}
LIMIT_MB=${LIMIT_MB:-150}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }
work=$(mktemp -d -p "${BENCH_DIR:-/var/tmp}" smtp-memory.XXXXXX) # /var/tmp, not /tmp: see smtp-bench.sh
trap 'sink_stop; rm -rf "$work"' EXIT
sink_build "$work"
sink_start "$work/mail" --max-size $((SIZE + 1048576))
rest=$(rss_kb "$SINK_PID" VmRSS)
start=$(date +%s.%N)
smtp-source -s "$SESSIONS" -m "$SESSIONS" -l "$SIZE" -f big@client.example -t sink@mx.test "$SINK_ADDR"
end=$(date +%s.%N)
for _ in $(seq 3000); do # the analysis follows: at most 5 minutes
	if [ "$(wc -l <"$SINK_OUT")" -ge "$SESSIONS" ]; then break; fi
	sleep 0.1
done
analysed=$(date +%s.%N)
hwm=$(rss_kb "$SINK_PID" VmHWM)
sink_stop
lines=$(wc -l <"$SINK_OUT")

n=$(find "$work/mail/new" -type f -size +"$((SIZE / 1024))"k | wc -l)
mb=$((hwm / 1024))
echo "$SESSIONS x $((SIZE / 1048576)) MiB in $(secs "$start" "$end") s, analysed after $(secs "$start" "$analysed") s: sink RSS $((rest / 1024)) MB at rest, peak (VmHWM) $mb MB (limit $LIMIT_MB MB); $n messages stored"
if [ "$n" != "$SESSIONS" ]; then
	echo "smtp-memory: FAILED: $n of $SESSIONS messages stored whole"
	exit 1
fi
if [ "$lines" != "$SESSIONS" ]; then
	echo "smtp-memory: FAILED: $lines of $SESSIONS messages analysed"
	exit 1
fi
if [ "$mb" -ge "$LIMIT_MB" ]; then
	echo "smtp-memory: FAILED: peak RSS over the limit"
	exit 1
fi
echo "smtp-memory: ok"
