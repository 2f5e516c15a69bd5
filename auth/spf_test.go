package auth

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

// spfZone holds the SPF policies of TestSPF. Names follow what each case
// exercises; the RFC 7208 section is in the case name.
func spfZone() string {
	var b strings.Builder
	b.WriteString(txtRR("ip.example.com", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"))
	b.WriteString(txtRR("soft.example.com", "v=spf1 ip4:198.51.100.0/24 ~all"))
	b.WriteString(txtRR("neutral.example.com", "v=spf1 ?all"))
	b.WriteString(txtRR("inc.example.com", "v=spf1 include:_spf.provider.example -all"))
	b.WriteString(txtRR("_spf.provider.example", "v=spf1 ip4:192.0.2.10 -all"))
	b.WriteString(txtRR("redir.example.com", "v=spf1 redirect=_spf.provider.example"))
	b.WriteString(txtRR("amx.example.com", "v=spf1 a:www.amx.example.com mx -all"))
	b.WriteString("www.amx.example.com. 300 IN A 198.51.100.1\n")
	b.WriteString("amx.example.com. 300 IN MX 10 mail.amx.example.com.\n")
	b.WriteString("mail.amx.example.com. 300 IN A 192.0.2.10\n")
	b.WriteString(txtRR("ptr.example.com", "v=spf1 ptr -all"))
	b.WriteString("10.2.0.192.in-addr.arpa. 300 IN PTR host.ptr.example.com.\n")
	b.WriteString("host.ptr.example.com. 300 IN A 192.0.2.10\n")
	b.WriteString(txtRR("exists.example.com", "v=spf1 exists:%{i}._ip.%{d} -all"))
	b.WriteString("192.0.2.10._ip.exists.example.com. 300 IN A 127.0.0.2\n")
	b.WriteString(txtRR("local.example.com", "v=spf1 exists:%{l}._u.%{d} -all"))
	b.WriteString("alice._u.local.example.com. 300 IN A 127.0.0.2\n")
	b.WriteString(txtRR("rev.example.com", "v=spf1 exists:%{ir}.%{v}._r.%{d2} -all"))
	b.WriteString("10.2.0.192.in-addr._r.example.com. 300 IN A 127.0.0.2\n")
	b.WriteString(txtRR("helo.example.com", "v=spf1 exists:%{h}._h.%{d} -all"))
	b.WriteString("mx.helo.example.com._h.helo.example.com. 300 IN A 127.0.0.2\n")
	b.WriteString(txtRR("mx.helo.example.com", "v=spf1 ip4:192.0.2.10 -all"))
	b.WriteString(txtRR("void.example.com", "v=spf1 a:nx1.void.example.com a:nx2.void.example.com a:nx3.void.example.com ip4:192.0.2.10 -all"))
	b.WriteString(txtRR("two.example.com", "v=spf1 -all"))
	b.WriteString(txtRR("two.example.com", "v=spf1 +all"))
	b.WriteString(txtRR("syntax.example.com", "v=spf1 ip4:999.1.1.1 -all"))
	b.WriteString(txtRR("other.example.com", "some verification token"))
	// Include chains: depth10 makes exactly 10 lookups (allowed), depth11
	// one too many (RFC 7208 §4.6.4).
	for _, depth := range []int{10, 11} {
		for i := 0; i < depth; i++ {
			b.WriteString(txtRR(fmt.Sprintf("l%d.depth%d.example.com", i, depth), fmt.Sprintf("v=spf1 include:l%d.depth%d.example.com -all", i+1, depth)))
		}
		b.WriteString(txtRR(fmt.Sprintf("l%d.depth%d.example.com", depth, depth), "v=spf1 ip4:192.0.2.10 -all"))
	}
	return b.String()
}

func TestSPF(t *testing.T) {
	z := zone(t, spfZone())
	v6 := netip.MustParseAddr("2001:db8::25")
	other := netip.MustParseAddr("203.0.113.5")
	tests := []struct {
		name     string
		ip       netip.Addr
		mailFrom string
		helo     string
		want     Status
		reason   string // part of the reason
	}{
		{"ip4 pass §5.6", testIP, "a@ip.example.com", "", StatusPass, "matched ip"},
		{"ip6 pass §5.6", v6, "a@ip.example.com", "", StatusPass, "matched ip"},
		{"fail -all §8.4", other, "a@ip.example.com", "", StatusFail, "matched all"},
		{"softfail ~all §8.5", testIP, "a@soft.example.com", "", StatusSoftFail, ""},
		{"neutral ?all §8.2", testIP, "a@neutral.example.com", "", StatusNeutral, ""},
		{"include pass §5.2", testIP, "a@inc.example.com", "", StatusPass, ""},
		{"include fail §5.2", other, "a@inc.example.com", "", StatusFail, ""},
		{"redirect §6.1", testIP, "a@redir.example.com", "", StatusPass, ""},
		{"a and mx §5.3-5.4", testIP, "a@amx.example.com", "", StatusPass, "matched mx"},
		{"ptr §5.5", testIP, "a@ptr.example.com", "", StatusPass, "matched ptr"},
		{"exists with %{i} §5.7", testIP, "a@exists.example.com", "", StatusPass, "matched exists"},
		{"exists with %{i} no match", other, "a@exists.example.com", "", StatusFail, ""},
		{"macro %{l} §7.3", testIP, "alice@local.example.com", "", StatusPass, ""},
		{"macro %{l} other user", testIP, "mallory@local.example.com", "", StatusFail, ""},
		{"macro %{ir} %{v} %{d2} §7.3", testIP, "a@rev.example.com", "", StatusPass, ""},
		{"macro %{h} §7.3", testIP, "a@helo.example.com", "mx.helo.example.com", StatusPass, ""},
		{"10 lookups allowed §4.6.4", testIP, "a@l0.depth10.example.com", "", StatusPass, ""},
		{"11 lookups permerror §4.6.4", testIP, "a@l0.depth11.example.com", "", StatusPermError, "10 DNS lookups"},
		{"void lookup limit §4.6.4", testIP, "a@void.example.com", "", StatusPermError, "void lookups"},
		{"two records permerror §4.5", testIP, "a@two.example.com", "", StatusPermError, "several SPF records"},
		{"syntax permerror", testIP, "a@syntax.example.com", "", StatusPermError, ""},
		{"no record none §4.5", testIP, "a@other.example.com", "", StatusNone, "no SPF record"},
		{"NXDOMAIN none §4.3", testIP, "a@nx.example.com", "", StatusNone, ""},
		{"null sender uses HELO §2.4", testIP, "", "mx.helo.example.com", StatusPass, ""},
		{"no IP not checked", netip.Addr{}, "a@ip.example.com", "", StatusNotChecked, "no client IP"},
		{"address-literal HELO, null sender", testIP, "", "[192.0.2.10]", StatusNone, "no domain"},
		{"IPv6 address-literal HELO, null sender §4.1.3 of RFC 5321", v6, "", "[IPv6:2001:db8::25]", StatusNone, "no domain"},
		{"address-literal HELO, a sender", testIP, "a@ip.example.com", "[IPv6:2001:db8::25]", StatusPass, "matched ip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, z, baseMessage, Input{IP: tt.ip, MailFrom: tt.mailFrom, HELO: tt.helo})
			s := res.SPF
			if s.Result != tt.want {
				t.Fatalf("result %s (%s), want %s", s.Result, s.Reason, tt.want)
			}
			if !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", s.Reason, tt.reason)
			}
			if tt.mailFrom == "" && s.Scope != "helo" {
				t.Errorf("scope %q for a null sender", s.Scope)
			}
		})
	}
}

// TestSPFEvidence: the record checked and the alignment with From are
// reported.
func TestSPFEvidence(t *testing.T) {
	z := zone(t, spfZone())
	res := check(t, z, baseMessage, Input{IP: testIP, MailFrom: "bounce@ip.example.com", HELO: "mx.ip.example.com", Hop: 3})
	s := res.SPF
	if s.Record != "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all" {
		t.Errorf("record %q", s.Record)
	}
	if !s.Aligned || s.Alignment != alignRelaxed {
		t.Errorf("ip.example.com vs From example.com: aligned %v %q, want relaxed", s.Aligned, s.Alignment)
	}
	if s.Hop != 3 || s.IP != "192.0.2.10" || s.Note == "" {
		t.Errorf("hop %d ip %q note %q", s.Hop, s.IP, s.Note)
	}
}

// faultResolver fails chosen names with a chosen error and asks the
// wrapped resolver otherwise.
type faultResolver struct {
	dns.Resolver
	fail map[string]error
}

func (f faultResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err, ok := f.fail[name]; ok {
		return nil, err
	}
	return f.Resolver.LookupTXT(ctx, name)
}

func (f faultResolver) LookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	if err, ok := f.fail[name]; ok {
		return nil, err
	}
	return f.Resolver.LookupIP(ctx, name)
}

// TestSPFDNSErrors maps resolver errors to SPF results (RFC 7208 §2.6.6,
// §5): a failure of DNS is temperror, never fail.
func TestSPFDNSErrors(t *testing.T) {
	temp := fmt.Errorf("lookup: %w", dns.ErrTemporary)
	r := faultResolver{zone(t, spfZone()), map[string]error{
		"ip.example.com":       temp,
		"www.amx.example.com":  temp,
		"perm.example.com":     fmt.Errorf("lookup: %w", dns.ErrPermanent),
		"offline.example.com":  fmt.Errorf("lookup: %w", dns.ErrOffline),
		"nodata.example.com":   fmt.Errorf("lookup: %w", dns.ErrNoData),
		"notfound.example.com": fmt.Errorf("lookup: %w", dns.ErrNotFound),
	}}
	tests := []struct {
		domain string
		want   Status
	}{
		{"ip.example.com", StatusTempError},
		{"amx.example.com", StatusTempError},
		{"perm.example.com", StatusPermError},
		{"offline.example.com", StatusNotChecked},
		{"nodata.example.com", StatusNone},
		{"notfound.example.com", StatusNone},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			res := check(t, r, baseMessage, Input{IP: testIP, MailFrom: "a@" + tt.domain})
			if res.SPF.Result != tt.want {
				t.Errorf("%s: %s (%s), want %s", tt.domain, res.SPF.Result, res.SPF.Reason, tt.want)
			}
		})
	}
}
