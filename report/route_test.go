package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

// TestRouteSummary: a domain whose MX hosts all lack an address is not
// "delivered to its MX hosts"; one host with an address, or a lookup that
// only failed for now, is.
func TestRouteSummary(t *testing.T) {
	nx := dns.RouteHost{Host: "missing.example", Outcome: dns.OutcomeNXDomain}
	ok := dns.RouteHost{Host: "mx.example", Outcome: dns.OutcomeAnswer, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	temp := dns.RouteHost{Host: "slow.example", Outcome: dns.OutcomeTempError}
	for _, tc := range []struct {
		hosts []dns.RouteHost
		want  string
	}{
		{[]dns.RouteHost{nx}, "none has an address"},
		{[]dns.RouteHost{nx, ok}, "delivered to its MX hosts"},
		{[]dns.RouteHost{nx, temp}, "delivered to its MX hosts"},
	} {
		var buf bytes.Buffer
		if err := RouteText(&buf, dns.RouteResult{Domain: "d.example", Status: dns.RouteMX, Hosts: tc.hosts}); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(buf.String(), "\n"); !strings.Contains(first, tc.want) {
			t.Errorf("%d hosts: %q, want %q", len(tc.hosts), first, tc.want)
		}
	}
}
