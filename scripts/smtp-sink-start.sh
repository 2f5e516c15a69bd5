#!/usr/bin/env bash
# Sourced by the SMTP scripts: builds the capture sink (smtpd/internal/sinkmain) and starts it on a free
# loopback port. Sets SINK_PID, SINK_ADDR, SINK_HOST, SINK_PORT. Call sink_stop when done.
# Usage: sink_start MAILDIR [sinkmain flags...]

sink_build() {
	SINK_BIN=${SINK_BIN:-$(mktemp -d)/sinkmain}
	go build -o "$SINK_BIN" ./smtpd/internal/sinkmain
}

sink_start() {
	local dir=$1
	shift
	local out
	out=$(mktemp)
	"$SINK_BIN" -addr 127.0.0.1:0 -dir "$dir" "$@" >"$out" 2>&1 &
	SINK_PID=$!
	# Wait (at most 10 s) for the "listening on ADDR" line.
	for _ in $(seq 100); do
		if grep -q '^listening on ' "$out"; then
			SINK_ADDR=$(sed -n 's/^listening on //p' "$out" | head -1)
			SINK_HOST=${SINK_ADDR%:*}
			SINK_PORT=${SINK_ADDR##*:}
			return 0
		fi
		if ! kill -0 "$SINK_PID" 2>/dev/null; then
			cat "$out" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "sink did not start" >&2
	return 1
}

sink_stop() {
	if [ -n "${SINK_PID:-}" ] && kill -0 "$SINK_PID" 2>/dev/null; then
		kill -INT "$SINK_PID"
		wait "$SINK_PID" || true
	fi
	SINK_PID=
}

# rss_kb PID FIELD prints a field of /proc/PID/status in kB (VmRSS, VmHWM).
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
