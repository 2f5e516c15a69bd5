package auth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

// TestDMARC: policy discovery (RFC 7489 §6.6.3), alignment (§3.1) and the
// policy that applies (§6.3 p=, sp=, pct=).
func TestDMARC(t *testing.T) {
	rk, _, _ := testKeys(t)
	rec := keyRecord(t, rk)
	keys := txtRR("sel._domainkey.example.com", rec) + txtRR("sel._domainkey.mail.example.com", rec) +
		txtRR("sel._domainkey.esp.example.net", rec) + txtRR("sel._domainkey.sub.example.com", rec)
	spf := txtRR("example.com", "v=spf1 ip4:192.0.2.0/24 -all") + txtRR("bounce.esp.example.net", "v=spf1 ip4:192.0.2.0/24 -all") +
		txtRR("sub.example.com", "v=spf1 ip4:192.0.2.0/24 -all")
	from := func(addr string) string {
		return strings.Replace(baseMessage, "alice@example.com", addr, 1)
	}
	signed := func(msg, domain string) string {
		return sign(t, msg, signOpts{domain: domain, selector: "sel", signer: rk})
	}
	tests := []struct {
		name     string
		records  string
		msg      string
		in       Input
		result   Status
		policy   string
		tag      string
		pct      int
		dkimAlig bool
		spfAlig  bool
	}{
		{"aligned DKIM passes", "_dmarc.example.com|v=DMARC1; p=reject",
			signed(baseMessage, "example.com"), Input{}, StatusPass, "reject", "p", 100, true, false},
		{"p=reject, DKIM of another domain", "_dmarc.example.com|v=DMARC1; p=reject",
			signed(baseMessage, "esp.example.net"), Input{}, StatusFail, "reject", "p", 100, false, false},
		{"p=reject, misaligned DKIM and misaligned SPF pass", "_dmarc.example.com|v=DMARC1; p=reject",
			signed(baseMessage, "esp.example.net"), Input{IP: testIP, MailFrom: "b@bounce.esp.example.net"}, StatusFail, "reject", "p", 100, false, false},
		{"aligned SPF passes", "_dmarc.example.com|v=DMARC1; p=quarantine",
			baseMessage, Input{IP: testIP, MailFrom: "b@example.com"}, StatusPass, "quarantine", "p", 100, false, true},
		{"relaxed DKIM alignment (subdomain signer)", "_dmarc.example.com|v=DMARC1; p=reject",
			signed(baseMessage, "mail.example.com"), Input{}, StatusPass, "reject", "p", 100, true, false},
		{"strict DKIM alignment refuses subdomain signer", "_dmarc.example.com|v=DMARC1; p=reject; adkim=s",
			signed(baseMessage, "mail.example.com"), Input{}, StatusFail, "reject", "p", 100, false, false},
		{"strict SPF alignment", "_dmarc.example.com|v=DMARC1; p=reject; aspf=s",
			baseMessage, Input{IP: testIP, MailFrom: "b@sub.example.com"}, StatusFail, "reject", "p", 100, false, false},
		{"subdomain From gets sp=", "_dmarc.example.com|v=DMARC1; p=reject; sp=quarantine",
			from("alice@sub.example.com"), Input{}, StatusFail, "quarantine", "sp", 100, false, false},
		{"subdomain From without sp= gets p=", "_dmarc.example.com|v=DMARC1; p=reject",
			from("alice@sub.example.com"), Input{}, StatusFail, "reject", "p", 100, false, false},
		{"subdomain's own record wins", "_dmarc.example.com|v=DMARC1; p=reject; sp=reject\n_dmarc.sub.example.com|v=DMARC1; p=none",
			from("alice@sub.example.com"), Input{}, StatusFail, "none", "p", 100, false, false},
		{"pct reported", "_dmarc.example.com|v=DMARC1; p=quarantine; pct=25",
			baseMessage, Input{}, StatusFail, "quarantine", "p", 25, false, false},
		{"no record", "",
			baseMessage, Input{}, StatusNone, "", "", 100, false, false},
		{"two records: none applies", "_dmarc.example.com|v=DMARC1; p=reject\n_dmarc.example.com|v=DMARC1; p=none",
			baseMessage, Input{}, StatusNone, "", "", 100, false, false},
		{"unrelated TXT ignored", "_dmarc.example.com|google-site-verification=abc\n_dmarc.example.com|v=DMARC1; p=reject",
			baseMessage, Input{}, StatusFail, "reject", "p", 100, false, false},
		{"bad p= with rua reads as none", "_dmarc.example.com|v=DMARC1; p=bogus; rua=mailto:d@example.com",
			baseMessage, Input{}, StatusFail, "none", "p", 100, false, false},
		// Tag values are case-insensitive (RFC 7489 §6.4, RFC 5234 §2.3):
		// the audit's caps.co.uk record was a permerror.
		{"upper-case values", "_dmarc.example.com|v=DMARC1; p=REJECT; sp=Quarantine; adkim=S; aspf=S; fo=D:S; rf=AFRF; rua=mailto:DMARC@Example.com",
			from("alice@sub.example.com"), Input{}, StatusFail, "quarantine", "sp", 100, false, false},
		{"upper-case adkim=S refuses subdomain signer", "_dmarc.example.com|v=DMARC1; p=Reject; adkim=S",
			signed(baseMessage, "mail.example.com"), Input{}, StatusFail, "reject", "p", 100, false, false},
		{"v=dmarc1 is no record (the version is case-sensitive)", "_dmarc.example.com|v=dmarc1; p=reject",
			baseMessage, Input{}, StatusNone, "", "", 100, false, false},
		{"bad p= without rua is permerror", "_dmarc.example.com|v=DMARC1; p=bogus",
			baseMessage, Input{}, StatusPermError, "", "", 100, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := keys + spf
			for _, line := range strings.Split(tt.records, "\n") {
				if name, value, ok := strings.Cut(line, "|"); ok {
					text += txtRR(name, value)
				}
			}
			d := check(t, zone(t, text), tt.msg, tt.in).DMARC
			if d.Result != tt.result || d.Policy != tt.policy || d.PolicyTag != tt.tag || d.Percent != tt.pct {
				t.Errorf("got %s policy %q (%s) pct %d (%s), want %s %q (%s) pct %d",
					d.Result, d.Policy, d.PolicyTag, d.Percent, d.Reason, tt.result, tt.policy, tt.tag, tt.pct)
			}
			if d.DKIMAligned != tt.dkimAlig || d.SPFAligned != tt.spfAlig {
				t.Errorf("dkim aligned %v spf aligned %v, want %v %v", d.DKIMAligned, d.SPFAligned, tt.dkimAlig, tt.spfAlig)
			}
			if d.Result == StatusFail && (d.Disposition != d.Policy || d.Reason == "") {
				t.Errorf("fail with disposition %q reason %q", d.Disposition, d.Reason)
			}
		})
	}
}

// TestDMARCSeveralFrom: a From field of several addresses is checked for
// each domain, and the strictest policy among the failing checks applies
// (RFC 7489 §6.6.1). The first address alone let a forger put a domain of
// its own first and pass.
func TestDMARCSeveralFrom(t *testing.T) {
	rk, _, _ := testKeys(t)
	records := txtRR("sel._domainkey.example.com", keyRecord(t, rk)) +
		txtRR("_dmarc.example.com", "v=DMARC1; p=reject") + txtRR("_dmarc.example.net", "v=DMARC1; p=quarantine") +
		txtRR("_dmarc.example.org", "v=DMARC1; p=none")
	z := zone(t, records)
	tests := []struct {
		from   string
		signed bool
		result Status
		policy string
		domain string
	}{
		{"Eve <eve@example.org>, Alice <alice@example.com>", false, StatusFail, "reject", "example.com"},
		{"alice@example.com, eve@example.net", true, StatusFail, "quarantine", "example.net"},
		{"eve@example.org, x@example.net, alice@example.com", false, StatusFail, "reject", "example.com"},
		{"eve@example.org, alice@example.com", true, StatusFail, "none", "example.org"},
		{"alice@example.com, bob@mail.example.com", true, StatusPass, "reject", "example.com"},
		{"alice@example.com, bob@EXAMPLE.com", true, StatusPass, "reject", "example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			msg := strings.Replace(baseMessage, "Alice <alice@example.com>", tt.from, 1)
			if tt.signed {
				msg = sign(t, msg, signOpts{domain: "example.com", selector: "sel", signer: rk})
			}
			d := check(t, z, msg, Input{}).DMARC
			if d.Result != tt.result || d.Policy != tt.policy || d.FromDomain != tt.domain {
				t.Errorf("got %s policy %q for %s (%s), want %s %q for %s", d.Result, d.Policy, d.FromDomain, d.Reason, tt.result, tt.policy, tt.domain)
			}
		})
	}
}

// TestDMARCDNSDependent: a failure that rests only on a key missing today
// is flagged, so rules do not call it forgery.
func TestDMARCDNSDependent(t *testing.T) {
	rk, _, _ := testKeys(t)
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "rotated", signer: rk})
	d := check(t, zone(t, txtRR("_dmarc.example.com", "v=DMARC1; p=reject")), msg, Input{}).DMARC
	if d.Result != StatusFail || !d.DNSDependent {
		t.Errorf("result %s dns-dependent %v, want fail and true", d.Result, d.DNSDependent)
	}
	tampered := strings.Replace(msg, "Hello Bob", "Hello Eve", 1)
	d = check(t, zone(t, txtRR("_dmarc.example.com", "v=DMARC1; p=reject")), tampered, Input{}).DMARC
	if d.DNSDependent {
		t.Error("a body that no longer matches is not a DNS matter")
	}
}

func TestDMARCDNSErrors(t *testing.T) {
	temp := fmt.Errorf("x: %w", dns.ErrTemporary)
	r := faultResolver{zone(t, ""), map[string]error{"_dmarc.example.com": temp}}
	if d := check(t, r, baseMessage, Input{}).DMARC; d.Result != StatusTempError {
		t.Errorf("temporary failure: %s", d.Result)
	}
	noFrom := strings.Replace(baseMessage, "From: Alice <alice@example.com>\r\n", "", 1)
	if d := check(t, zone(t, ""), noFrom, Input{}).DMARC; d.Result != StatusNone || d.FromDomain != "" {
		t.Errorf("no From: %s %q", d.Result, d.FromDomain)
	}
}

// TestOrgDomain uses the public suffix list (RFC 7489 §3.2).
func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":           "example.com",
		"a.b.example.com":       "example.com",
		"mail.example.co.uk":    "example.co.uk",
		"co.uk":                 "co.uk",
		"EXAMPLE.COM.":          "example.com",
		"foo.blogspot.com":      "foo.blogspot.com",
		"":                      "",
		"x.y.z.example.invalid": "example.invalid",
	} {
		if got := orgDomain(in); got != want {
			t.Errorf("orgDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAlignmentIDN: a domain in U-labels and the same domain in A-labels
// are one domain (RFC 5890 §2.3.2.1, RFC 8616): an EAI From domain aligns
// strictly with the d= a signer writes in A-labels. Compared as strings,
// adkim=s failed a genuine message.
func TestAlignmentIDN(t *testing.T) {
	for _, tt := range []struct{ domain, from, want string }{
		{"xn--bcher-kva.example", "bücher.example", alignStrict},
		{"bücher.example", "xn--bcher-kva.example", alignStrict},
		{"mail.xn--bcher-kva.example", "bücher.example", alignRelaxed},
		{"xn--bcher-kva.example", "news.bücher.example", alignRelaxed},
		{"xn--r8jz45g.xn--zckzah", "例え.テスト", alignStrict},
		{"xn--bcher-kva.example", "bucher.example", alignNone},
		{"bücher.example", "example.com", alignNone},
	} {
		if got := alignment(tt.domain, tt.from, orgDomain(tt.from)); got != tt.want {
			t.Errorf("alignment(%q, %q) = %s, want %s", tt.domain, tt.from, got, tt.want)
		}
	}
}

// TestLowerKeywords: only keyword values change case; the version, the
// report URIs and the rest of the record stay as written.
func TestLowerKeywords(t *testing.T) {
	for in, want := range map[string]string{
		"v=DMARC1; p=REJECT; adkim=S":                         "v=DMARC1; p=reject; adkim=s",
		"v=DMARC1;p=Quarantine;rua=mailto:A@Example.COM":      "v=DMARC1;p=quarantine;rua=mailto:A@Example.COM",
		"v=DMARC1; p=none; ruf=mailto:F@X.ORG; fo=D; rf=AFRF": "v=DMARC1; p=none; ruf=mailto:F@X.ORG; fo=d; rf=afrf",
		"v=DMARC1; p = NONE ; sp=REJECT;":                     "v=DMARC1; p = none ; sp=reject;",
		"v=DMARC1; P=REJECT":                                  "v=DMARC1; P=REJECT",
	} {
		if got := lowerKeywords(in); got != want {
			t.Errorf("lowerKeywords(%q) = %q, want %q", in, got, want)
		}
	}
}
