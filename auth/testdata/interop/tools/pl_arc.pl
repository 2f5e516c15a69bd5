#!/usr/bin/perl
# pl_arc.pl KEY DOMAIN SELECTOR SRVID RESULTS CHAIN(ar|pass|fail|none) < msg > sealed
use strict; use warnings;
use Mail::DKIM::ARC::Signer; use Mail::DKIM::TextWrap;
my ($key, $domain, $sel, $srv, $results, $chain) = @ARGV;
my $msg = do { local $/; <STDIN> };
my $eol = $msg =~ /\r\n/ ? "\r\n" : "\n";
$msg = "Authentication-Results: $srv; $results$eol$msg";
my $a = Mail::DKIM::ARC::Signer->new(Algorithm => 'rsa-sha256', Domain => $domain, SrvId => $srv,
  Selector => $sel, KeyFile => $key, Chain => $chain,
  Headers => 'from:to:subject:date:message-id:mime-version:content-type:dkim-signature');
(my $crlf = $msg) =~ s/\r?\n/\r\n/g;
$a->PRINT($crlf); $a->CLOSE;
die "arc: " . $a->result . " " . ($a->result_detail // '') . "\n" unless $a->result eq 'sealed';
print join('', map { my $h = $_; $h =~ s/\r?\n/$eol/g; $h . $eol } $a->as_strings), $msg;
