#!/usr/bin/env bash
# Sourced by the SMTP scripts: builds the product (`go build ./cmd/mailtrace`) and starts
# `mailtrace serve --offline` on a free loopback port. Sets SINK_PID, SINK_ADDR, SINK_HOST, SINK_PORT,
# SINK_TLS_PORT (the first --listen-tls port, if any), SINK_OUT (its stdout: one line per message, in
# MAILDIR.stdout) and SINK_ERR (its stderr, in MAILDIR.stderr). Call sink_stop when done.
# Usage: sink_build WORKDIR (builds WORKDIR/mailtrace); sink_start MAILDIR [mailtrace serve flags...]

sink_build() {
	SINK_BIN=$1/mailtrace
	go build -o "$SINK_BIN" ./cmd/mailtrace
}

sink_start() {
	local dir=$1
	shift
	SINK_OUT=$dir.stdout
	SINK_ERR=$dir.stderr
	"$SINK_BIN" serve --listen 127.0.0.1:0 --offline --maildir "$dir" "$@" >"$SINK_OUT" 2>"$SINK_ERR" &
	SINK_PID=$!
	# Wait (at most 10 s) for "mailtrace: listening on ADDR, storing in DIR" on stderr.
	local re='^mailtrace: listening on \([^ ,]*\),.*'
	for _ in $(seq 100); do
		if grep -q "$re" "$SINK_ERR"; then
			SINK_ADDR=$(sed -n "s/$re/\1/p" "$SINK_ERR" | head -1)
			SINK_HOST=${SINK_ADDR%:*}
			SINK_PORT=${SINK_ADDR##*:}
			# The implicit-TLS lines follow the plain one, written before the sink serves.
			SINK_TLS_PORT=$(sed -n 's/^mailtrace: listening on [^ ]*:\([0-9]*\) (implicit TLS),.*/\1/p' "$SINK_ERR" | head -1)
			return 0
		fi
		if ! kill -0 "$SINK_PID" 2>/dev/null; then
			cat "$SINK_ERR" >&2
			SINK_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "mailtrace serve did not start" >&2
	return 1
}

# sink_stop stops the sink with SIGINT (a graceful stop) and returns its exit status.
sink_stop() {
	local rc=0
	if [ -n "${SINK_PID:-}" ] && kill -0 "$SINK_PID" 2>/dev/null; then
		kill -INT "$SINK_PID"
		wait "$SINK_PID" || rc=$?
	fi
	SINK_PID=
	return "$rc"
}

# rss_kb PID FIELD prints a field of /proc/PID/status in kB (VmRSS, VmHWM).
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# free_port prints a TCP port free on 127.0.0.1 (perl is there wherever swaks is).
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport, "\n"'; }
