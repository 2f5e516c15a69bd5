#!/usr/bin/env bash
# Real clients against the product, on loopback only: `mailtrace serve --offline --tls --auth-accept-any
# --listen-tls --record-idle` built from ./cmd/mailtrace, driven by swaks in plain SMTP, with STARTTLS,
# with implicit TLS (--tls-on-connect), with AUTH PLAIN and LOGIN over TLS, and with PIPELINING; and a
# client that talks plain SMTP on the implicit-TLS port, which must be closed at once and journalled as a
# failed handshake. Checks that every exchange succeeds; that each message is stored once
# in new/, byte for byte with dot-stuffing undone, with the Received field naming the protocol, and has
# its record in the session journal; that each gets one line on stdout with a verdict and one JSON
# object in --report with the true envelope and the session; that no password is kept; that
# --exit-after stops the sink by itself and SIGINT stops it gracefully, both with status 0.
# Installs swaks and postfix first if needed (scripts/smtp-install.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/smtp-install.sh
. scripts/smtp-sink-start.sh

work=$(mktemp -d)
trap 'sink_stop || true; rm -rf "$work"' EXIT
sink_build "$work"

fail=0
failed() {
	echo "FAIL $*"
	fail=1
}

# run NAME EXPECT-IN-RECEIVED swaks-args... sends one message and checks how it was stored.
n=0
run() {
	local name=$1 want=$2
	shift 2
	n=$((n + 1))
	if ! swaks --server "$SINK_HOST" --port "$SINK_PORT" --helo client.example \
		--from "sender$n@client.example" --to "rcpt$n@mx.test" \
		--header "Subject: swaks $name" --body "test $name
.a line that needs dot-stuffing
end" "$@" >"$work/swaks-$n.log" 2>&1; then
		failed "$name: swaks exited non-zero"
		tail -20 "$work/swaks-$n.log"
		return
	fi
	local qid f
	qid=$(grep -oE 'queued as [0-9A-Z]+' "$work/swaks-$n.log" | tail -1 | cut -d' ' -f3)
	if [ -z "$qid" ]; then
		failed "$name: no queue id in the 250 reply"
		return
	fi
	echo "$qid sender$n@client.example rcpt$n@mx.test" >>"$work/sent"
	f=$(grep -l "^Subject: swaks $name.\$" "$work"/mail/new/* 2>/dev/null | head -1 || true)
	if [ -z "$f" ]; then
		failed "$name: message not in new/"
		return
	fi
	echo "$qid new/$(basename "$f")" >>"$work/files"
	if ! grep -q "with $want id $qid;" "$f"; then
		failed "$name: Received lacks 'with $want id $qid':"
		sed -n '/^Received:/,/^[^[:space:]R]/p' "$f" | head -5
		return
	fi
	if ! grep -q '^\.a line that needs dot-stuffing' "$f"; then
		failed "$name: dot-stuffing not undone"
		return
	fi
	echo "ok   $name ($want, $qid)"
}

sink_start "$work/mail" --tls --auth-accept-any --hostname mx.test --exit-after 8 --report "$work/report.jsonl" \
	--listen-tls 127.0.0.1:0 --record-idle

# Plain SMTP on the implicit-TLS port: no greeting, the connection closed at once (not after the
# command timeout), the failed handshake journalled (checked below).
exec 3<>"/dev/tcp/$SINK_HOST/$SINK_TLS_PORT"
printf 'EHLO client.example\r\n' >&3
if ! got=$(timeout 10 cat <&3); then
	failed "plain SMTP on the implicit-TLS port: not closed within 10 s"
elif [ -n "$got" ]; then
	failed "plain SMTP on the implicit-TLS port: answered '$got'"
else
	echo "ok   plain SMTP on the implicit-TLS port closed at once"
fi
exec 3<&-

run plain ESMTP
run starttls ESMTPS --tls
run auth-plain-tls ESMTPSA --tls --auth PLAIN --auth-user alice --auth-password 'pw-plain'
run auth-login-tls ESMTPSA --tls --auth LOGIN --auth-user bob --auth-password 'pw-login'
run pipelining ESMTP --pipeline
run pipelining-tls-auth ESMTPSA --tls --pipeline --auth PLAIN --auth-user carol --auth-password 'pw-pipe'
run implicit-tls ESMTPS --port "$SINK_TLS_PORT" --tls-on-connect
run implicit-tls-auth ESMTPSA --port "$SINK_TLS_PORT" --tls-on-connect --auth LOGIN --auth-user dave --auth-password 'pw-tlsc'

# --exit-after 8: the sink stops by itself once the eight messages are stored and analysed.
status=timeout
for _ in $(seq 300); do
	if ! kill -0 "$SINK_PID" 2>/dev/null; then
		status=0
		wait "$SINK_PID" || status=$?
		SINK_PID=
		break
	fi
	sleep 0.1
done
if [ "$status" != 0 ]; then
	failed "mailtrace serve --exit-after $n: exit status $status"
	cat "$SINK_ERR"
fi

# Exactly one file per message, nothing left in tmp/, a journal record for each, no password anywhere.
stored=$(find "$work/mail/new" -type f | wc -l)
if [ "$stored" != "$n" ]; then
	failed "$stored messages in new/, want $n"
fi
if [ -n "$(ls -A "$work/mail/tmp")" ]; then
	failed "tmp/ not empty"
fi
if grep -rq -e 'pw-plain' -e 'pw-login' -e 'pw-pipe' -e 'pw-tlsc' "$work/mail/sessions" "$work/report.jsonl" "$SINK_OUT"; then
	failed "a password reached a session record, the report or stdout"
fi

# The session journal, stdout and the report, checked against what swaks was told: one record, one
# line with a verdict and one report object per message, each with its own envelope.
if ! perl -MJSON::PP -e '
	my ($sent, $files, $stdout, $report, $sessions) = @ARGV;
	my (%want, %file, $bad);
	sub bad { print "FAIL @_\n"; $bad = 1 }
	sub lines { open(my $fh, "<", $_[0]) or die "$_[0]: $!"; return grep { length } map { chomp; $_ } <$fh> }
	for (lines($sent)) { my ($q, $f, $t) = split; $want{$q} = [$f, $t] }
	for (lines($files)) { my ($q, $f) = split; $file{$f} = $q }
	my (%rec, $implicit, $handshake);
	for my $j (glob("$sessions/*.jsonl")) {
		for (lines($j)) {
			my $r = eval { decode_json($_) } or bad("journal line is not JSON: $_"), next;
			# --record-idle: sessions that stored nothing, and the end of the others, have no message.
			$handshake++ if !$r->{message} && grep { $_->{code} eq "tls.handshake-failed" } @{$r->{session}{anomalies}};
			next unless $r->{message};
			$implicit++ if $r->{session}{tls} && $r->{session}{tls}{implicit};
			$rec{$r->{queue_id}}++;
			bad("journal: $r->{queue_id} names $r->{message}") if ($file{$r->{message}} // "") ne $r->{queue_id};
			bad("journal: $r->{queue_id} has client $r->{session}{client_ip}") if $r->{session}{client_ip} ne "127.0.0.1";
		}
	}
	bad("journal: " . ($implicit // 0) . " messages over implicit TLS, want 2") if ($implicit // 0) != 2;
	bad("journal: no record of the failed handshake on the implicit-TLS port") unless $handshake;
	my $auth = grep { /"identity":"alice"/ } map { lines($_) } glob("$sessions/*.jsonl");
	bad("AUTH identity alice not in the journal") unless $auth;
	my %line;
	for (lines($stdout)) {
		my ($q, $f, $t, $v) = /^(\S+) from=<([^>]*)> to=<([^>]*)> verdict=(clean|suspicious|forged) score=-?\d+/
			or bad("stdout line without a verdict: $_"), next;
		$line{$q}++;
		bad("stdout: $q from=<$f> to=<$t>") if !$want{$q} || $want{$q}[0] ne $f || $want{$q}[1] ne $t;
	}
	my %obj;
	for (lines($report)) {
		my $r = eval { decode_json($_) } or bad("report line is not JSON: $_"), next;
		my $q = $r->{session}{queue_id} // "";
		$obj{$q}++;
		bad("report $q: session.client_ip is " . ($r->{session}{client_ip} // "missing"))
			if ($r->{session}{client_ip} // "") ne "127.0.0.1";
		bad("report $q: envelope.source is " . ($r->{envelope}{source} // "missing"))
			if ($r->{envelope}{source} // "") ne "smtp";
		bad("report $q: envelope.mail_from is " . ($r->{envelope}{mail_from} // "missing"))
			if !$want{$q} || ($r->{envelope}{mail_from} // "") ne $want{$q}[0];
		bad("report $q: no verdict") unless ($r->{verdict} // "") =~ /^(clean|suspicious|forged)$/;
		# session.session_record and session_record_offset lead to the line of the message in the journal.
		if (open(my $jf, "<", $r->{session}{session_record} // "")) {
			seek($jf, $r->{session}{session_record_offset}, 0);
			my $l = <$jf>;
			my $rec = eval { decode_json($l) } || {};
			bad("report $q: session_record_offset leads to " . ($rec->{queue_id} // "no record")) if ($rec->{queue_id} // "") ne $q;
		} else {
			bad("report $q: session_record " . ($r->{session}{session_record} // "missing") . " cannot be read");
		}
	}
	for my $q (sort keys %want) {
		bad("$q: " . ($rec{$q} // 0) . " journal records, want 1") if ($rec{$q} // 0) != 1;
		bad("$q: " . ($line{$q} // 0) . " stdout lines, want 1") if ($line{$q} // 0) != 1;
		bad("$q: " . ($obj{$q} // 0) . " report objects, want 1") if ($obj{$q} // 0) != 1;
	}
	bad("stdout has " . scalar(lines($stdout)) . " lines, want " . keys(%want)) if lines($stdout) != keys %want;
	bad("report has " . scalar(lines($report)) . " objects, want " . keys(%want)) if lines($report) != keys %want;
	exit($bad ? 1 : 0);
' "$work/sent" "$work/files" "$SINK_OUT" "$work/report.jsonl" "$work/mail/sessions"; then
	fail=1
	echo "--- stdout:"
	cat "$SINK_OUT"
fi

# SIGINT: a graceful stop with status 0, after the message already acknowledged was analysed.
sink_start "$work/mail2" --hostname mx.test
if swaks --server "$SINK_HOST" --port "$SINK_PORT" --helo client.example --from a@client.example \
	--to b@mx.test >"$work/swaks-int.log" 2>&1; then
	qid=$(grep -oE 'queued as [0-9A-Z]+' "$work/swaks-int.log" | tail -1 | cut -d' ' -f3)
	status=0
	sink_stop || status=$?
	if [ "$status" != 0 ]; then
		failed "SIGINT: exit status $status"
	elif ! grep -q "^$qid from=<a@client.example> to=<b@mx.test> verdict=" "$SINK_OUT"; then
		failed "SIGINT: no line for $qid"
	else
		echo "ok   SIGINT stops with status 0 ($qid analysed)"
	fi
else
	failed "SIGINT: swaks exited non-zero"
	tail -20 "$work/swaks-int.log"
fi

if [ "$fail" != 0 ]; then
	echo "smtp-clients: FAILED"
	exit 1
fi
echo "smtp-clients: $n swaks sessions passed, one line and one report object each; plain SMTP on the implicit-TLS port closed and journalled; exit-after and SIGINT stop with 0"
