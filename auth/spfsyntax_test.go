package auth

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestCheckSPFSyntax parses whole records after the ABNF of RFC 7208 §12.
func TestCheckSPFSyntax(t *testing.T) {
	valid := []string{
		"v=spf1",
		"V=SPF1 IP4:192.0.2.1 -ALL",
		"v=spf1 -all ",
		"v=spf1  ip4:192.0.2.1   ~all",
		"v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/0 ip4:192.0.2.1/32 -all",
		"v=spf1 ip6:2001:db8::/32 ip6:::1 ip6:::ffff:192.0.2.1 ip6:2001:db8::1/128 ip6:::/0 -all",
		"v=spf1 a mx a/24 mx//64 a/24//64 a:mail.example.com/28 mx:example.com ?all",
		"v=spf1 ptr ptr:example.com include:_spf.example.com. exists:%{i}._ip.%{d} -all",
		"v=spf1 exists:%{ir}.%{v}._r.%{d2} exists:%{l1r-}.%{o}.x.example exists:%{S}.%{H}.example.com exists:%{d}",
		"v=spf1 include:%{d}%% exists:x%%.example.com exists:a%_b.example.com exists:a%-b.example.com",
		"v=spf1 include:x-1.123-4 a:a.b.c1d -all",
		"v=spf1 redirect=_spf.example.com",
		"v=spf1 -all exp=explain._spf.%{d}",
		"v=spf1 -all foo=bar moo.cow-far_out=man:dog/cat x= ra=%{c}%{r}%{t}",
		"v=spf1 -all v=spf1",
	}
	for _, r := range valid {
		if err := checkSPFSyntax(r); err != nil {
			t.Errorf("%q: %v, want valid", r, err)
		}
	}
	invalid := []struct{ record, why string }{
		{"v=spf1 ip4:192.0.2.1 frobnicate -all", "unknown mechanism"},
		{"v=spf1 ip4:192.0.2.1 ip4:300.1.1.1 -all", "invalid ip4"},
		{"v=spf1 ip4:192.0.2.1 ip4:192.0.2.01 -all", "invalid ip4"},
		{"v=spf1 ip4:192.0.2.1 ip4:2001:db8::1 -all", "not IPv4"},
		{"v=spf1 ip6:192.0.2.1 -all", "not IPv6"},
		{"v=spf1 ip6:fe80::1%eth0 -all", "invalid ip6"},
		{"v=spf1 ip6:2001:db8::g -all", "invalid ip6"},
		{"v=spf1 ip4: -all", "invalid ip4"},
		{"v=spf1 ip4 -all", "needs an address"},
		{"v=spf1 ip4:192.0.2.1/33 -all", "prefix length"},
		{"v=spf1 ip4:192.0.2.1/ -all", "prefix length"},
		{"v=spf1 ip4:192.0.2.1/08 -all", "prefix length"},
		{"v=spf1 ip4:192.0.2.1/2x -all", "prefix length"},
		{"v=spf1 ip6:2001:db8::/129 -all", "prefix length"},
		{"v=spf1 a/33 -all", "prefix length"},
		{"v=spf1 mx//129 -all", "prefix length"},
		{"v=spf1 a/24/64 -all", "prefix length"},
		{"v=spf1 a: -all", "empty domain"},
		{"v=spf1 a:example.com/ -all", "prefix length"},
		{"v=spf1 include -all", "needs a domain"},
		{"v=spf1 include: -all", "empty domain"},
		{"v=spf1 exists -all", "needs a domain"},
		{"v=spf1 all:example.com", "no argument"},
		{"v=spf1 -all/24", "no argument"},
		{"v=spf1 ptr/24 -all", "no prefix length"},
		{"v=spf1 a:192.0.2.1 -all", "top label"},
		{"v=spf1 include:localhost -all", "top label"},
		{"v=spf1 include:example.com- -all", "top label"},
		{"v=spf1 include:example.%{d}x -all", "top label"},
		{"v=spf1 include:%{x}.example.com -all", "macro letter"},
		{"v=spf1 include:%{}.example.com -all", "empty macro"},
		{"v=spf1 include:%{d0}.example.com -all", "zero parts"},
		{"v=spf1 include:%{d2x}.example.com -all", "invalid macro"},
		{"v=spf1 include:%{d.example.com -all", "unterminated"},
		{"v=spf1 include:%x.example.com -all", "invalid macro"},
		{"v=spf1 include:example.com% -all", "at the end"},
		{"v=spf1 exists:%{c}.example.com -all", "explanation text only"},
		{"v=spf1 include:ex\tample.com -all", "invalid character"},
		{"v=spf1 include:exämple.com -all", "invalid character"},
		{"v=spf1 + -all", "unknown mechanism"},
		{"v=spf1 -redirect=example.com", "unknown mechanism"},
		{"v=spf1 redirect= -all", "empty domain"},
		{"v=spf1 redirect=a.example.com redirect=b.example.com", "more than once"},
		{"v=spf1 REDIRECT=a.example.com redirect=b.example.com", "more than once"},
		{"v=spf1 -all exp=a.example.com exp=b.example.com", "more than once"},
		{"v=spf1 -all exp=%{z}.example.com", "macro letter"},
		{"v=spf1 -all foo=%{z}", "macro letter"},
		{"v=spf1 -all foo=a%b", "invalid macro"},
		{"v=spf1 -all 1foo=bar", "unknown mechanism"},
		{"v=spf1 -all fo@o=bar", "unknown mechanism"},
		{"v=spf10 -all", "v=spf1"},
	}
	for _, tt := range invalid {
		err := checkSPFSyntax(tt.record)
		if err == nil {
			t.Errorf("%q: valid, want a syntax error (%s)", tt.record, tt.why)
			continue
		}
		if !errors.Is(err, errSPFSyntax) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%q: %v, want a syntax error naming %q", tt.record, err, tt.why)
		}
	}
}

// TestSPFSyntaxWholeRecord: a syntax error anywhere in a record the
// evaluation reaches is a permerror, even after the mechanism that
// matches (RFC 7208 §4.6), in the top-level record and in records reached
// by include and redirect (§5.2: an include whose record is malformed is
// a permerror). A malformed record the evaluation never reaches does not
// count.
func TestSPFSyntaxWholeRecord(t *testing.T) {
	var b strings.Builder
	for name, rec := range map[string]string{
		"badip.example.com":       "v=spf1 ip4:192.0.2.10 ip4:300.1.1.1 -all",
		"unknown.example.com":     "v=spf1 ip4:192.0.2.10 frobnicate -all",
		"badcidr.example.com":     "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/33 -all",
		"badip6.example.com":      "v=spf1 ip4:192.0.2.10 ip6:2001:db8::zz -all",
		"badmod.example.com":      "v=spf1 ip4:192.0.2.10 -all foo=%{z}",
		"tworedir.example.com":    "v=spf1 ip4:192.0.2.10 redirect=a.example.com redirect=b.example.com",
		"twoexp.example.com":      "v=spf1 ip4:192.0.2.10 -all exp=a.example.com exp=b.example.com",
		"badmacro.example.com":    "v=spf1 ip4:192.0.2.10 exists:%{d0}.example.com -all",
		"inc.example.com":         "v=spf1 include:malformed.example.net -all",
		"malformed.example.net":   "v=spf1 ip4:192.0.2.10 frobnicate -all",
		"incafter.example.com":    "v=spf1 ip4:192.0.2.10 include:malformed.example.net -all",
		"redir.example.com":       "v=spf1 redirect=malformed.example.net",
		"good.example.com":        "v=spf1 ip4:192.0.2.10 -all",
		"goodexotic.example.com":  "V=SPF1 ip4:192.0.2.10/32 a/24//64 exists:%{ir}.%{d2} -all exp=x.%{d} foo=bar",
		"incgood.example.com":     "v=spf1 include:good.example.com -all",
		"redirgood.example.com":   "v=spf1 redirect=good.example.com",
		"syntaxfirst.example.com": "v=spf1 frobnicate ip4:192.0.2.10 -all",
	} {
		b.WriteString(txtRR(name, rec))
	}
	z := zone(t, b.String())
	tests := []struct {
		domain string
		want   Status
		reason string // part of the reason
	}{
		{"badip.example.com", StatusPermError, `"ip4:300.1.1.1": invalid ip4 address`},
		{"unknown.example.com", StatusPermError, `"frobnicate": unknown mechanism`},
		{"badcidr.example.com", StatusPermError, "prefix length /33"},
		{"badip6.example.com", StatusPermError, "invalid ip6"},
		{"badmod.example.com", StatusPermError, "macro letter"},
		{"tworedir.example.com", StatusPermError, "redirect= appears more than once"},
		{"twoexp.example.com", StatusPermError, "exp= appears more than once"},
		{"badmacro.example.com", StatusPermError, "zero parts"},
		{"inc.example.com", StatusPermError, "SPF record of malformed.example.net has a syntax error"},
		{"redir.example.com", StatusPermError, "SPF record of malformed.example.net has a syntax error"},
		{"syntaxfirst.example.com", StatusPermError, "unknown mechanism"},
		// Controls: the include after the match is never evaluated, and
		// well-formed records keep their result.
		{"incafter.example.com", StatusPass, "matched ip"},
		{"good.example.com", StatusPass, "matched ip"},
		{"goodexotic.example.com", StatusPass, "matched ip"},
		{"incgood.example.com", StatusPass, ""},
		{"redirgood.example.com", StatusPass, ""},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			s := check(t, z, baseMessage, Input{IP: testIP, MailFrom: "bounce@" + tt.domain}).SPF
			if s.Result != tt.want {
				t.Fatalf("result %s (%s), want %s", s.Result, s.Reason, tt.want)
			}
			if !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", s.Reason, tt.reason)
			}
		})
	}
	// Another client: the malformed include is then reached after a
	// non-matching ip4, which the library alone also calls permerror.
	other := netip.MustParseAddr("203.0.113.5")
	if s := check(t, z, baseMessage, Input{IP: other, MailFrom: "bounce@incafter.example.com"}).SPF; s.Result != StatusPermError {
		t.Errorf("incafter from %s: %s (%s), want permerror", other, s.Result, s.Reason)
	}
}

// FuzzSPFSyntax: any record parses without a panic, and an error is
// always a syntax error.
func FuzzSPFSyntax(f *testing.F) {
	for _, s := range []string{"v=spf1 ip4:192.0.2.1/24 a:%{ir}.%{d2}/24//64 -all exp=x.%{d}", "v=spf1 include:%{d0", "v=spf1 a:/", "v=spf1 %", "v=spf1 ip6:::/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		if err := checkSPFSyntax(record); err != nil && !errors.Is(err, errSPFSyntax) {
			t.Fatalf("%q: %v", record, err)
		}
	})
}
