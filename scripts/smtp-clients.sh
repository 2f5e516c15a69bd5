#!/usr/bin/env bash
# Real clients against the capture sink, on loopback only: swaks in plain SMTP, with STARTTLS, with
# AUTH PLAIN and LOGIN over TLS, and with PIPELINING. Checks every exchange succeeds, that each message
# is stored once in new/ with its session record, and what the Received fields say.
# Installs swaks and postfix first if needed (scripts/smtp-install.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/smtp-install.sh
. scripts/smtp-sink-start.sh

work=$(mktemp -d)
trap 'sink_stop; rm -rf "$work"' EXIT
sink_build
sink_start "$work/mail" -auth -hostname mx.test

fail=0
n=0
# run NAME EXPECT-IN-RECEIVED swaks-args...
run() {
	local name=$1 want=$2
	shift 2
	n=$((n + 1))
	if ! swaks --server "$SINK_HOST" --port "$SINK_PORT" --helo client.example \
		--from "sender$n@client.example" --to "rcpt$n@mx.test" \
		--header "Subject: swaks $name" --body "test $name
.a line that needs dot-stuffing
end" "$@" >"$work/swaks-$n.log" 2>&1; then
		echo "FAIL $name: swaks exited non-zero"
		tail -20 "$work/swaks-$n.log"
		fail=1
		return
	fi
	local f
	f=$(grep -l "^Subject: swaks $name.\$" "$work"/mail/new/* 2>/dev/null | head -1 || true)
	if [ -z "$f" ]; then
		echo "FAIL $name: message not in new/"
		fail=1
		return
	fi
	if ! grep -q "with $want id" "$f"; then
		echo "FAIL $name: Received lacks 'with $want':"
		sed -n '/^Received:/,/^[^[:space:]R]/p' "$f" | head -5
		fail=1
		return
	fi
	if ! grep -q '^\.a line that needs dot-stuffing' "$f"; then
		echo "FAIL $name: dot-stuffing not undone"
		fail=1
		return
	fi
	if [ ! -s "$work/mail/sessions/$(basename "$f").json" ]; then
		echo "FAIL $name: no session record"
		fail=1
		return
	fi
	echo "ok   $name ($want)"
}

run plain ESMTP
run starttls ESMTPS --tls
run auth-plain-tls ESMTPSA --tls --auth PLAIN --auth-user alice --auth-password 'pw-plain'
run auth-login-tls ESMTPSA --tls --auth LOGIN --auth-user bob --auth-password 'pw-login'
run pipelining ESMTP --pipeline
run pipelining-tls-auth ESMTPSA --tls --pipeline --auth PLAIN --auth-user carol --auth-password 'pw-pipe'

# Exactly one file per message, nothing left in tmp/, and no password in any record.
stored=$(find "$work/mail/new" -type f | wc -l)
if [ "$stored" != "$n" ]; then
	echo "FAIL: $stored messages in new/, want $n"
	fail=1
fi
if [ -n "$(ls -A "$work/mail/tmp")" ]; then
	echo "FAIL: tmp/ not empty"
	fail=1
fi
if grep -rq -e 'pw-plain' -e 'pw-login' -e 'pw-pipe' "$work/mail/sessions"; then
	echo "FAIL: a password reached a session record"
	fail=1
fi
if ! grep -rq '"identity": "alice"' "$work/mail/sessions"; then
	echo "FAIL: AUTH identity not recorded"
	fail=1
fi

if [ "$fail" != 0 ]; then
	echo "smtp-clients: FAILED"
	exit 1
fi
echo "smtp-clients: $n swaks sessions passed"
