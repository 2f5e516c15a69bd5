#!/usr/bin/perl
# pl_sign.pl KEYFILE DOMAIN SELECTOR METHOD [oversign=Name,Name] [i=ID] < msg > signed
use strict; use warnings;
use Mail::DKIM::Signer; use Mail::DKIM::TextWrap;
my ($key, $domain, $sel, $method, @opt) = @ARGV;
my %o = map { split /=/, $_, 2 } @opt;
my $msg = do { local $/; <STDIN> };
my $d = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => $method, Domain => $domain,
  Selector => $sel, KeyFile => $key, ($o{i} ? (Identity => $o{i}) : ()));
if ($o{oversign}) { $d->extended_headers({ map { $_ => '+' } split /,/, $o{oversign} }); }
(my $crlf = $msg) =~ s/\r?\n/\r\n/g;
$d->PRINT($crlf); $d->CLOSE;
my $sig = $d->signature;
my $h = $sig->as_string;
my $eol = $msg =~ /\r\n/ ? "\r\n" : "\n"; $h =~ s/\r?\n/$eol/g; print $h, $eol, $msg;
