#!/usr/bin/env bash
# Postfix's smtp(8) client, a real MTA, relaying to `mailtrace serve --tls` on loopback only. A private
# Postfix instance (its own main.cf, master.cf, queue and data directories in a temporary directory;
# /etc/postfix is neither read nor changed) takes mail on a free loopback port from Perl's Net::SMTP
# and relays it to the sink (relayhost) with STARTTLS (smtp_tls_security_level=may), PIPELINING,
# 8BITMIME, SMTPUTF8 and the DSN parameters. Checks that:
#   - a message with NOTIFY, RET, ENVID, BODY=8BITMIME and three recipients, the sink taking two a
#     transaction (--max-recipients 2), is stored with those parameters, Postfix's ORCPT and ESMTPS;
#     the third recipient gets 452 4.5.3, is deferred and is delivered on the retry;
#   - an SMTPUTF8 message is stored as UTF8SMTPS;
#   - a message over --max-size gets 552 5.3.4 at the end of data (Postfix is told to ignore SIZE, or
#     it would refuse the message itself) and is bounced, not retried; its bounce, from the null
#     sender, is stored;
#   - Postfix, a well-behaved client, leaves no anomaly in any session record, and the text it sent
#     is stored as it sent it (its Received field, then the submitted message, dot-stuffing undone).
# Installs postfix first if needed (scripts/smtp-install.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/smtp-install.sh
. scripts/smtp-sink-start.sh

work=$(mktemp -d)
chmod 755 "$work" # Postfix's daemons run as the postfix user
pf=$work/postfix
pf_started=
stop_all() {
	if [ -n "$pf_started" ]; then
		postfix -c "$pf/conf" stop >/dev/null 2>&1 || true
		for _ in $(seq 50); do # the master's pid file goes when it has stopped
			if [ ! -e "$pf/queue/pid/master.pid" ]; then break; fi
			sleep 0.1
		done
	fi
	sink_stop || true
	rm -rf "$work"
}
trap stop_all EXIT

fail=0
failed() {
	echo "FAIL $*"
	fail=1
}

sink_build "$work"
sink_start "$work/mail" --tls --hostname mx.test --max-size 100000 --max-recipients 2 --report "$work/report.jsonl"

# The Postfix instance: loopback only, no local delivery, every message relayed to the sink.
mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
chown postfix "$pf/data"
port=$(free_port)
cat >"$pf/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.example
mydomain = relay.example
myorigin = relay.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [$SINK_HOST]:$SINK_PORT
smtputf8_enable = yes
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_discard_ehlo_keywords = size
alias_maps =
alias_database =
local_recipient_maps =
notify_classes =
bounce_queue_lifetime = 0
maillog_file = $work/postfix.log
maillog_file_prefixes = $work
EOF
cat >"$pf/conf/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
if ! postfix -c "$pf/conf" start >/dev/null 2>&1; then
	cat "$work/postfix.log" 2>/dev/null || true
	echo "smtp-postfix-relay: Postfix did not start"
	exit 1
fi
pf_started=1
for _ in $(seq 100); do
	if perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new("127.0.0.1:'"$port"'")'; then break; fi
	sleep 0.1
done

# Submit the three messages to Postfix.
if ! perl -MNet::SMTP -e '
	my ($port) = @ARGV;
	sub session { Net::SMTP->new("127.0.0.1", Port => $port, Hello => "client.example") or die "connect: $@" }
	sub ok { my ($s, $what) = @_; $s->ok or die "$what: " . $s->code . " " . $s->message }
	my $s = session();
	$s->mail("dsn\@client.example", Return => "HDRS", Envelope => "env-1", Bits => 8); ok($s, "MAIL dsn");
	$s->recipient("a\@mx.test", "b\@mx.test", "c\@mx.test", { Notify => ["SUCCESS", "FAILURE"] }); ok($s, "RCPT dsn");
	$s->data("Subject: dsn\r\nMessage-ID: <dsn\@client.example>\r\n\r\nh\xc3\xa9llo\r\n.a line that needs dot-stuffing\r\n"); ok($s, "DATA dsn");
	$s->command("MAIL", "FROM:<j\xc3\xb6rg\@client.example> SMTPUTF8")->response; ok($s, "MAIL utf8");
	$s->command("RCPT", "TO:<gr\xc3\xbc\xc3\x9fe\@mx.test>")->response; ok($s, "RCPT utf8");
	$s->data("Subject: utf8\r\nMessage-ID: <utf8\@client.example>\r\n\r\ngr\xc3\xbc\xc3\x9fe\r\n"); ok($s, "DATA utf8");
	$s->mail("big\@client.example"); ok($s, "MAIL big");
	$s->recipient("a\@mx.test"); ok($s, "RCPT big");
	$s->data("Subject: big\r\nMessage-ID: <big\@client.example>\r\n\r\n" . ("x" x 76 . "\r\n") x 2000); ok($s, "DATA big");
	$s->quit;
' "$port"; then
	failed "submitting to Postfix"
fi

# wait_lines N: wait (at most 30 s) for N lines on the sink's stdout, one per message stored.
wait_lines() {
	for _ in $(seq 300); do
		if [ "$(wc -l <"$SINK_OUT")" -ge "$1" ]; then return 0; fi
		sleep 0.1
	done
	failed "$(wc -l <"$SINK_OUT") messages stored, want $1"
	return 1
}
# The dsn message to a and b, the utf8 message, the bounce of the big one; then c on the retry.
wait_lines 3 || true
for _ in $(seq 100); do
	if grep -q 'to=<c@mx.test>.*status=deferred' "$work/postfix.log"; then break; fi
	sleep 0.1
done
postqueue -c "$pf/conf" -f
wait_lines 4 || true
for _ in $(seq 100); do
	if grep -q 'to=<big@client.example>.*status=sent' "$work/postfix.log"; then break; fi
	sleep 0.1
done
wait_lines 4 || true

# What Postfix saw.
grep -q 'to=<c@mx.test>.*dsn=4.5.3, status=deferred.*452 4.5.3' "$work/postfix.log" ||
	failed "Postfix log: c@mx.test was not deferred with 452 4.5.3"
grep -q 'to=<c@mx.test>.*status=sent' "$work/postfix.log" || failed "Postfix log: c@mx.test not delivered on the retry"
grep -q 'to=<a@mx.test>.*dsn=5.3.4, status=bounced.*552 5.3.4' "$work/postfix.log" ||
	failed "Postfix log: the big message was not bounced with 552 5.3.4"
grep -q 'Untrusted TLS connection established' "$work/postfix.log" || failed "Postfix log: no STARTTLS"

# What the sink stored and recorded.
if ! perl -MJSON::PP -e '
	my ($sessions, $maildir) = @ARGV;
	my ($bad, %by);
	sub bad { print "FAIL @_\n"; $bad = 1 }
	for my $j (glob("$sessions/*.jsonl")) {
		open(my $fh, "<", $j) or die "$j: $!";
		for (<$fh>) {
			my $r = eval { decode_json($_) } or bad("journal line is not JSON"), next;
			my ($e, $s) = ($r->{envelope}, $r->{session});
			my $q = $r->{queue_id};
			bad("$q: helo $s->{helo}") if $s->{helo} ne "relay.example";
			bad("$q: no TLS") unless $s->{tls} && $s->{tls}{version};
			bad("$q: anomalies " . join(",", map { $_->{code} } @{$s->{anomalies}})) if @{$s->{anomalies}};
			open(my $mf, "<:raw", "$maildir/$r->{message}") or bad("$q: $r->{message}: $!"), next;
			local $/; my $raw = <$mf>;
			my ($head, $text) = (substr($raw, 0, $r->{header_size}), substr($raw, $r->{header_size}));
			bad("$q: Received lacks with $e->{protocol} id $q") unless $head =~ /with \Q$e->{protocol}\E id \Q$q\E;/;
			push @{$by{$e->{from}}}, { env => $e, text => $text };
		}
	}
	my @dsn = @{$by{"dsn\@client.example"} // []};
	bad(scalar(@dsn) . " dsn transactions, want 2 (a and b, then c)") if @dsn != 2;
	for my $m (@dsn) {
		my $e = $m->{env};
		bad("dsn: protocol $e->{protocol}") if $e->{protocol} ne "ESMTPS";
		bad("dsn: params " . encode_json($e->{params}))
			if ($e->{params}{ret} // "") ne "HDRS" || ($e->{params}{envid} // "") ne "env-1" || ($e->{params}{body} // "") ne "8BITMIME";
		for my $rc (@{$e->{rcpts}}) {
			bad("dsn: $rc->{address}: notify " . join(",", @{$rc->{notify} // []}) . ", orcpt " . ($rc->{orcpt} // ""))
				if join(",", @{$rc->{notify} // []}) ne "SUCCESS,FAILURE" || ($rc->{orcpt} // "") ne "rfc822;$rc->{address}";
		}
		bad("dsn: text not stored as sent") unless $m->{text} =~ /^Received: from client\.example .*\r\n\r\nh\xc3\xa9llo\r\n\.a line that needs dot-stuffing\r\n\z/s;
	}
	bad("dsn: recipients " . join(" ", map { $_->{address} } map { @{$_->{env}{rcpts}} } @dsn))
		if join(" ", sort map { $_->{address} } map { @{$_->{env}{rcpts}} } @dsn) ne "a\@mx.test b\@mx.test c\@mx.test";
	my ($u) = @{$by{"j\x{f6}rg\@client.example"} // []}; # decode_json gives characters
	if (!$u) { bad("utf8 message not stored") }
	elsif ($u->{env}{protocol} ne "UTF8SMTPS" || !$u->{env}{params}{smtputf8}) { bad("utf8: protocol $u->{env}{protocol}") }
	bad("the big message was stored") if $by{"big\@client.example"};
	my ($b) = @{$by{""} // []};
	if (!$b) { bad("bounce not stored") }
	elsif (join(" ", map { $_->{address} } @{$b->{env}{rcpts}}) ne "big\@client.example") { bad("bounce to the wrong recipients") }
	exit($bad ? 1 : 0);
' "$work/mail/sessions" "$work/mail"; then
	fail=1
fi

if [ "$fail" != 0 ]; then
	echo "--- Postfix log:"
	grep -v -e 'tlsmgr' "$work/postfix.log" | tail -40
	echo "--- sink stdout:"
	cat "$SINK_OUT"
	echo "smtp-postfix-relay: FAILED"
	exit 1
fi
echo "smtp-postfix-relay: Postfix relayed DSN, SMTPUTF8, 452-deferred, 552-bounced and bounce mail to the sink; no anomaly"
