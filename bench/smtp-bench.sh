#!/usr/bin/env bash
# Throughput of the mailtrace capture sink against Postfix's smtp-sink, both driven by smtp-source on
# loopback, plus the sink's resident memory at rest.
#
#   bench/smtp-bench.sh            # 20 sessions, 20000 messages of 4 KiB, 3 alternating rounds
#   SESSIONS=20 MESSAGES=20000 SIZE=4096 ROUNDS=3 BENCH_DIR=/var/tmp bench/smtp-bench.sh
#
# The Maildir goes in a temporary directory under BENCH_DIR (default $TMPDIR, else /tmp). Where it is
# matters: file creation cost depends on the directory's place on the disk, and on the machine this was
# written on, creating files under /tmp cost several times more than elsewhere on the same ext4.
#
# smtp-sink stores nothing; the mailtrace sink writes every message to a Maildir with fsync (group
# commit) and a JSON session record, with a no-op delivery callback. It also runs the engine alone
# (-discard) and without fsync (-nosync), to show where the time goes. Rounds alternate between the
# sinks because a shared machine's load changes over a run; the script reports each round and the
# medians. smtp-source opens one connection per message (no -d), as the target asks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/smtp-install.sh
. scripts/smtp-sink-start.sh

SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-20000}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-3}
work=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}" smtp-bench.XXXXXX)
PF_PID=
trap 'sink_stop; if [ -n "$PF_PID" ]; then kill "$PF_PID" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
sink_build

# source ADDR prints messages per second for one smtp-source run.
source_rate() {
	local start end
	start=$(date +%s.%N)
	smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f bench@client.example -t sink@mx.test "$1"
	end=$(date +%s.%N)
	echo "$MESSAGES / ($end - $start)" | bc -l | xargs printf '%.0f'
}

postfix_sink() {
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	local user=()
	if [ "$(id -u)" = 0 ]; then user=(-u nobody); fi
	smtp-sink "${user[@]}" "127.0.0.1:$port" 256 >/dev/null 2>&1 &
	PF_PID=$!
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
		sleep 0.1
	done
	source_rate "127.0.0.1:$port"
	kill "$PF_PID"
	wait "$PF_PID" 2>/dev/null || true
	PF_PID=
}

# mailtrace_sink FLAGS... prints the rate; the Maildir is checked to hold every message.
mailtrace_sink() {
	rm -rf "$work/mail"
	sink_start "$work/mail" -max-conns 1000 "$@"
	source_rate "$SINK_ADDR"
	sink_stop
	if [ "$*" != "-discard" ]; then
		local n
		n=$(find "$work/mail/new" -type f | wc -l)
		if [ "$n" != "$MESSAGES" ]; then
			echo "mailtrace stored $n of $MESSAGES messages" >&2
			exit 1
		fi
	fi
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE, $ROUNDS rounds, Maildir in $work, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %12s %16s %16s %16s\n' round smtp-sink 'mailtrace+fsync' 'mailtrace nosync' 'engine only'
: >"$work/pf"
: >"$work/mt"
: >"$work/ns"
: >"$work/en"
for r in $(seq "$ROUNDS"); do
	pf=$(postfix_sink)
	mt=$(mailtrace_sink)
	ns=$(mailtrace_sink -nosync)
	en=$(mailtrace_sink -discard)
	echo "$pf" >>"$work/pf"
	echo "$mt" >>"$work/mt"
	echo "$ns" >>"$work/ns"
	echo "$en" >>"$work/en"
	printf '%-6s %12s %16s %16s %16s\n' "$r" "$pf" "$mt" "$ns" "$en"
done
pf=$(median <"$work/pf")
mt=$(median <"$work/mt")
printf '%-6s %12s %16s %16s %16s   msg/s\n' median "$pf" "$mt" "$(median <"$work/ns")" "$(median <"$work/en")"
ratio=$(echo "100 * $mt / $pf" | bc)
echo "mailtrace with fsync: ${ratio}% of smtp-sink (target >= 50%)"

# Memory at rest: just started, and idle again after a load run.
rm -rf "$work/mail"
sink_start "$work/mail"
rest=$(rss_kb "$SINK_PID" VmRSS)
smtp-source -s "$SESSIONS" -m 2000 -l "$SIZE" -f bench@client.example -t sink@mx.test "$SINK_ADDR"
after=$(rss_kb "$SINK_PID" VmRSS)
hwm=$(rss_kb "$SINK_PID" VmHWM)
sink_stop
echo "mailtrace RSS at rest: $((rest / 1024)) MB at start, $((after / 1024)) MB after 2000 messages (peak $((hwm / 1024)) MB); target < 32 MB"
