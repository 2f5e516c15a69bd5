package analyze

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

// dnsWorld serves the records the DNS rule cases need, over a real
// miekg/dns server on 127.0.0.1.
const dnsWorld = `
$TTL 300
$ORIGIN bieberdorf.edu.
@        SOA ns hostmaster 1 7200 900 1209600 300
@        MX  10 mail
mail     A   134.53.20.5
$ORIGIN galangal.org.
@        SOA ns hostmaster 1 7200 900 1209600 300
@        A   104.128.23.115
$ORIGIN turmeric.com.
@        SOA ns hostmaster 1 7200 900 1209600 300
@        A   63.250.10.7
$ORIGIN bank.example.
@        SOA ns hostmaster 1 7200 900 1209600 300
mail     A   63.250.10.99
$ORIGIN xn--bcher-kva.de.
@        SOA ns hostmaster 1 7200 900 1209600 300
@        MX  10 mx
mx       A   134.53.20.9
$ORIGIN 23.128.104.in-addr.arpa.
115      PTR galangal.org.
$ORIGIN 10.250.63.in-addr.arpa.
66       PTR mail.bank.example.
`

func analyzeWithDNS(t testing.TB, r dns.Resolver, raw string) *MessageReport {
	t.Helper()
	a := New(Options{Resolver: r, DNSMode: "network", HeaderOnly: true,
		Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }})
	return a.Analyze(context.Background(), Input{File: "t.eml", Raw: []byte(raw)})
}

func loopbackResolver(t *testing.T, opts ...dnstest.Option) dns.Resolver {
	t.Helper()
	srv := dnstest.NewServer(t, opts...)
	r, err := dns.New(dns.Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rulesFired(r *MessageReport) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

func msgWithHops(to string, hops ...string) string {
	var b strings.Builder
	for _, h := range hops {
		b.WriteString("Received: " + h + "\n")
	}
	b.WriteString("From: a@galangal.org\nTo: " + to + "\nSubject: t\nDate: Tue, 18 Mar 1997 14:30:00 -0800\nMessage-ID: <1@galangal.org>\n\nx\n")
	return b.String()
}

func TestDNSRules(t *testing.T) {
	r := loopbackResolver(t, dnstest.WithZone(dnsWorld))
	const date = "; Tue, 18 Mar 1997 14:36:17 -0800"
	tests := []struct {
		name    string
		raw     string
		want    string // rule that must fire
		wantNot string // rule that must not fire
	}{
		// The issue's own example: 104.128.23.115 is galangal.org, not turmeric.com.
		{"recorded rDNS contradicted", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (turmeric.com [104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 004A21"+date),
			"rdns-unconfirmed", ""},
		{"recorded rDNS confirmed", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (galangal.org [104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 004A21"+date),
			"", "rdns-unconfirmed"},
		{"PTR does not resolve back", msgWithHops("rth@bieberdorf.edu",
			"from mail.bank.example (mail.bank.example [63.250.10.66]) by mail.bieberdorf.edu (8.8.5) id 1"+date),
			"iprev-fail", ""},
		{"HELO resolves elsewhere", msgWithHops("rth@bieberdorf.edu",
			"from turmeric.com (galangal.org [104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 1"+date),
			"helo-dns-mismatch", "rdns-unconfirmed"},
		{"entered at the MX", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (galangal.org [104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 1 for <rth@bieberdorf.edu>"+date),
			"", "mx-entry-mismatch"},
		{"entered elsewhere than the MX", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (galangal.org [104.128.23.115]) by relay.turmeric.com (8.8.5) id 1 for <rth@bieberdorf.edu>"+date),
			"mx-entry-mismatch", ""},
		// The MX is published in A-labels; the receiver wrote its name in U-labels.
		{"entered at an internationalised domain's MX", msgWithHops("rth@bücher.de",
			"from galangal.org (galangal.org [104.128.23.115]) by mx.bücher.de (Postfix) id 1 for <rth@bücher.de>"+date),
			"", "mx-entry-mismatch"},
		// An address literal names its host: there is no MX to enter at.
		{"address-literal recipient", msgWithHops("rth@[192.0.2.1]",
			"from galangal.org (galangal.org [104.128.23.115]) by relay.turmeric.com (8.8.5) id 1 for <rth@[192.0.2.1]>"+date),
			"", "mx-entry-mismatch"},
		// MX routing is by the envelope recipient: a To: address alone may be a list's.
		{"no envelope recipient, only To", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (galangal.org [104.128.23.115]) by relay.turmeric.com (8.8.5) id 1"+date),
			"", "mx-entry-mismatch"},
		// A submission (RFC 6409) is not MX delivery.
		{"authenticated submission", msgWithHops("rth@bieberdorf.edu",
			"from galangal.org (galangal.org [104.128.23.115]) by relay.turmeric.com (8.8.5) with ESMTPSA id 1 for <rth@bieberdorf.edu>"+date),
			"", "mx-entry-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := analyzeWithDNS(t, r, tt.raw)
			got := rulesFired(rep)
			if tt.want != "" && !slices.Contains(got, tt.want) {
				t.Errorf("%s did not fire; fired %v", tt.want, got)
			}
			if tt.wantNot != "" && slices.Contains(got, tt.wantNot) {
				t.Errorf("%s fired; fired %v", tt.wantNot, got)
			}
			if rep.DNS == nil || rep.DNS.Lookups == 0 || rep.DNS.Unavailable {
				t.Errorf("dns summary = %+v", rep.DNS)
			}
		})
	}
}

// TestDNSUnavailable: a server that never answers makes every DNS check
// unknown: no DNS finding, a prompt end, and the report says so.
func TestDNSUnavailable(t *testing.T) {
	r := loopbackResolver(t, dnstest.WithNoAnswer())
	rep := analyzeWithDNS(t, r, msgWithHops("rth@bieberdorf.edu",
		"from galangal.org (turmeric.com [104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 1; Tue, 18 Mar 1997 14:36:17 -0800"))
	if rep.DNS == nil || !rep.DNS.Unavailable {
		t.Fatalf("dns summary = %+v, want unavailable", rep.DNS)
	}
	for _, id := range rulesFired(rep) {
		switch id {
		case "iprev-fail", "rdns-unconfirmed", "helo-dns-mismatch", "by-dns-mismatch", "mx-entry-mismatch":
			t.Errorf("DNS failure taken as evidence: %s", id)
		}
	}
}

// TestDNSExamples runs the bundled examples against their zone file, as
// the README demo does.
func TestDNSExamples(t *testing.T) {
	zone, err := os.ReadFile("../testdata/examples/examples.zone")
	if err != nil {
		t.Fatal(err)
	}
	r := loopbackResolver(t, dnstest.WithZone(string(zone)))
	raw, err := os.ReadFile("../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	rep := analyzeWithDNS(t, r, string(raw))
	if rep.Verdict != VerdictClean || len(rep.Findings) != 0 {
		t.Errorf("genuine example: %s %v", rep.Verdict, rulesFired(rep))
	}
}

// TestRoutedDomain: an address literal has no domain to route through DNS.
func TestRoutedDomain(t *testing.T) {
	for addr, want := range map[string]string{
		"rth@bieberdorf.edu":       "bieberdorf.edu",
		"rth@Bieberdorf.EDU.":      "bieberdorf.edu",
		"rth@[192.0.2.1]":          "",
		"<rth@[IPv6:2001:db8::1]>": "",
		"rth@[ipv6:2001:db8::1]":   "",
		"no-domain":                "",
	} {
		if got := routedDomain(addr); got != want {
			t.Errorf("routedDomain(%q) = %q, want %q", addr, got, want)
		}
	}
}
