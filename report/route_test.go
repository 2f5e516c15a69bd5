package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

// TestRouteTextHead: the first line says the route's status in words, and a
// null MX is shown with the preference it was published with.
func TestRouteTextHead(t *testing.T) {
	for _, tc := range []struct {
		res  dns.RouteResult
		want []string
	}{
		{dns.RouteResult{Domain: "d.example", Status: dns.RouteNoUsableMX,
			Hosts: []dns.RouteHost{{Preference: 10, Host: "missing.example", Outcome: dns.OutcomeNXDomain}}},
			[]string{"d.example  (MX hosts listed, but none has an address", "10 missing.example => nxdomain"}},
		{dns.RouteResult{Domain: "n.example", Status: dns.RouteNullMX, NullMX: true, MX: []dns.MX{{Preference: 10, Host: "."}}},
			[]string{"accepts no mail", "MX 10 .  (null MX"}},
		{dns.RouteResult{Domain: "alias.example", Status: dns.RouteNoDomain, CNAMEs: []string{"gone.example"}, Canonical: "gone.example"},
			[]string{"alias.example  (an alias of gone.example, which does not exist)"}},
		{dns.RouteResult{Domain: "w.example", Status: dns.RouteMX, Hosts: []dns.RouteHost{{Preference: 10, Host: "mx.w.example",
			CNAMEs: []string{"real.w.example"}, Outcome: dns.OutcomeAnswer, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2")},
			Warnings: []string{"the MX target is an alias (CNAME), which RFC 2181 §10.3 forbids"}}}},
			[]string{"10 mx.w.example -> CNAME real.w.example => 192.0.2.2  [the MX target is an alias (CNAME)"}},
		{dns.RouteResult{Domain: "gone.example", Status: dns.RouteNoDomain, Canonical: "gone.example"},
			[]string{"gone.example  (domain does not exist)"}},
		{dns.RouteResult{Domain: "[192.0.2.1]", Status: dns.RouteAddressLiteral,
			Hosts: []dns.RouteHost{{Host: "[192.0.2.1]", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Outcome: dns.OutcomeAnswer}}},
			[]string{"an address literal", "└─ [192.0.2.1] => 192.0.2.1\n"}},
		// Offline the head says it all: the lookup's error is not repeated under it.
		{dns.RouteResult{Domain: "off.example", Status: dns.RouteNotChecked, Error: `lookup CNAME "off.example": dns: offline, not checked`},
			[]string{"off.example  (not checked: DNS is offline)\n"}},
	} {
		var buf bytes.Buffer
		if err := RouteText(&buf, tc.res); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: %q lacks %q", tc.res.Domain, buf.String(), w)
			}
		}
		if tc.res.Status == dns.RouteNotChecked && strings.Count(buf.String(), "\n") != 1 {
			t.Errorf("%s: %q, want the head line alone", tc.res.Domain, buf.String())
		}
	}
}
