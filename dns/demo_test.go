package dns_test

import (
	"net/netip"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

// TestDemoZone holds testdata/dns/demo.zone to what its comments promise,
// since the README demo and the message samples lean on them.
func TestDemoZone(t *testing.T) {
	z := loadZone(t, demoZone)
	ctx := ctxT(t)

	com := dns.Route(ctx, z, "example.com")
	if com.Status != dns.RouteMX || len(com.Hosts) != 2 || com.Hosts[0].Host != "mx1.example.com" ||
		!com.HasIP(netip.MustParseAddr("2001:db8:10::1")) {
		t.Errorf("example.com route: %+v", com)
	}
	if net := dns.Route(ctx, z, "example.net"); net.Status != dns.RouteMX || !net.HasHost("mail.example.net") {
		t.Errorf("example.net route: %+v", net)
	}
	if org := dns.Route(ctx, z, "example.org"); org.Status != dns.RouteNullMX {
		t.Errorf("example.org route: %+v", org)
	}
	iprev := map[string]dns.Status{
		"192.0.2.10":     dns.StatusPass,
		"192.0.2.25":     dns.StatusPass,
		"198.51.100.5":   dns.StatusPass,
		"198.51.100.77":  dns.StatusPass,
		"2001:db8:10::1": dns.StatusPass,
		"203.0.113.66":   dns.StatusFail,
		"203.0.113.99":   dns.StatusNone,
	}
	for ip, want := range iprev {
		if res := dns.CheckIPRev(ctx, z, netip.MustParseAddr(ip)); res.Status != want {
			t.Errorf("iprev %s: %+v, want %s", ip, res, want)
		}
	}
	for name, want := range map[string]string{
		"example.com":        "v=spf1 ip4:192.0.2.0/25 -all",
		"_dmarc.example.com": "v=DMARC1; p=reject; rua=mailto:dmarc@example.com",
		"example.org":        "v=spf1 -all",
	} {
		if txt, err := z.LookupTXT(ctx, name); err != nil || len(txt) != 1 || txt[0] != want {
			t.Errorf("TXT %s: %q, %v", name, txt, err)
		}
	}
}
