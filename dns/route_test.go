package dns_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
	"github.com/mailtrace/mailtrace/internal/golden"
)

func hostNames(res dns.RouteResult) []string {
	var out []string
	for _, h := range res.Hosts {
		out = append(out, h.Host)
	}
	return out
}

// TestRoute follows RFC 5321 §5.1 through the domains of
// testdata/dns/test.zone, with every resolver kind.
func TestRoute(t *testing.T) {
	tests := []struct {
		domain    string
		status    dns.RouteStatus
		hosts     []string // in order
		cnames    []string
		canonical string
		errText   string
		check     func(t *testing.T, res dns.RouteResult)
	}{
		{domain: "mt.test", status: dns.RouteMX, canonical: "mt.test",
			hosts: []string{"mx1.mt.test", "mx1b.mt.test", "mx2.mt.test"}, // ties keep answer order
			check: func(t *testing.T, res dns.RouteResult) {
				mx2 := res.Hosts[2]
				if !slices.Equal(mx2.CNAMEs, []string{"mx2-real.mt.test"}) || mx2.Canonical != "mx2-real.mt.test" ||
					fmt.Sprint(mx2.Addrs) != "[192.0.2.27]" {
					t.Errorf("mx2 = %+v, want reached through its CNAME", mx2)
				}
				if fmt.Sprint(res.Hosts[0].Addrs) != "[192.0.2.25 2001:db8::25]" {
					t.Errorf("mx1 addrs = %v", res.Hosts[0].Addrs)
				}
				if len(mx2.Warnings) != 1 || !strings.Contains(mx2.Warnings[0], "RFC 2181") || len(res.Hosts[0].Warnings) != 0 {
					t.Errorf("warnings %q and %q, want mx2's alias named", mx2.Warnings, res.Hosts[0].Warnings)
				}
			}},
		{domain: "MailDom.mt.test.", status: dns.RouteMX, canonical: "mt.test", cnames: []string{"mt.test"},
			hosts: []string{"mx1.mt.test", "mx1b.mt.test", "mx2.mt.test"}},
		{domain: "nomail.mt.test", status: dns.RouteNullMX, canonical: "nomail.mt.test",
			check: func(t *testing.T, res dns.RouteResult) {
				if !res.NullMX || res.HasHost(".") {
					t.Errorf("null MX not recognised: %+v", res)
				}
			}},
		{domain: "implicit.mt.test", status: dns.RouteImplicitMX, canonical: "implicit.mt.test",
			hosts: []string{"implicit.mt.test"},
			check: func(t *testing.T, res dns.RouteResult) {
				if !res.Implicit || !res.Hosts[0].Implicit || res.Hosts[0].Preference != 0 ||
					!res.HasIP(netip.MustParseAddr("192.0.2.30")) {
					t.Errorf("implicit MX = %+v", res)
				}
			}},
		{domain: "textonly.mt.test", status: dns.RouteNoRoute, canonical: "textonly.mt.test", hosts: []string{"textonly.mt.test"}},
		{domain: "nope.mt.test", status: dns.RouteNoDomain, canonical: "nope.mt.test"},
		{domain: "looproute.mt.test", status: dns.RoutePermError, canonical: "looproute2.mt.test",
			cnames: []string{"looproute2.mt.test"}, errText: "CNAME loop"},
		{domain: "c1.mt.test", status: dns.RoutePermError, canonical: "c9.mt.test", errText: "longer than 8",
			cnames: []string{"c2.mt.test", "c3.mt.test", "c4.mt.test", "c5.mt.test", "c6.mt.test", "c7.mt.test", "c8.mt.test", "c9.mt.test"}},
		{domain: "d1.mt.test", status: dns.RouteImplicitMX, canonical: "d9.mt.test", hosts: []string{"d9.mt.test"},
			cnames: []string{"d2.mt.test", "d3.mt.test", "d4.mt.test", "d5.mt.test", "d6.mt.test", "d7.mt.test", "d8.mt.test", "d9.mt.test"}},
		{domain: "badmx.mt.test", status: dns.RouteNoUsableMX, canonical: "badmx.mt.test", hosts: []string{"missing.mt.test"},
			check: func(t *testing.T, res dns.RouteResult) {
				if h := res.Hosts[0]; h.Outcome != dns.OutcomeNXDomain || len(h.Addrs) != 0 {
					t.Errorf("host = %+v, want nxdomain", h)
				}
			}},
		{domain: "null10.mt.test", status: dns.RouteNullMX, canonical: "null10.mt.test",
			check: func(t *testing.T, res dns.RouteResult) {
				if len(res.MX) != 1 || res.MX[0].Preference != 10 {
					t.Errorf("MX = %v, want the published preference 10", res.MX)
				}
			}},
		{domain: "nullplus.mt.test", status: dns.RouteNoUsableMX, canonical: "nullplus.mt.test", hosts: []string{".", "missing.mt.test"},
			check: func(t *testing.T, res dns.RouteResult) {
				if res.NullMX || res.Hosts[0].Outcome != dns.OutcomePermError {
					t.Errorf("a null MX among others taken for a null MX: %+v", res)
				}
			}},
		{domain: "[192.0.2.1]", status: dns.RouteAddressLiteral, canonical: "[192.0.2.1]", hosts: []string{"[192.0.2.1]"},
			check: func(t *testing.T, res dns.RouteResult) {
				if !res.HasIP(netip.MustParseAddr("192.0.2.1")) || len(res.Lookups) != 0 || res.Lookups == nil {
					t.Errorf("address literal: %+v, want its address and no lookup", res)
				}
			}},
		{domain: "[IPv6:2001:db8::1]", status: dns.RouteAddressLiteral, canonical: "[IPv6:2001:db8::1]", hosts: []string{"[IPv6:2001:db8::1]"}},
		// RFC 5321 §4.1.3: an IPv6 literal carries its tag, an IPv4 one none.
		{domain: "[2001:db8::1]", status: dns.RoutePermError, canonical: "[2001:db8::1]", errText: "invalid name"},
		{domain: "[IPv6:192.0.2.1]", status: dns.RoutePermError, canonical: "[IPv6:192.0.2.1]", errText: "invalid name"},
		{domain: "192.0.2.1]", status: dns.RoutePermError, canonical: "192.0.2.1]", errText: "invalid name"}, // no opening bracket
		{domain: "loopmx.mt.test", status: dns.RouteNoUsableMX, canonical: "loopmx.mt.test", hosts: []string{"loop1.mt.test"},
			check: func(t *testing.T, res dns.RouteResult) {
				if h := res.Hosts[0]; h.Outcome != dns.OutcomePermError || !strings.Contains(h.Error, "loop") {
					t.Errorf("host = %+v, want a CNAME loop error", h)
				}
			}},
		{domain: "bad domain!", status: dns.RoutePermError, canonical: "bad domain!", errText: "invalid name"},
	}
	for wname, r := range worlds(t) {
		for _, tt := range tests {
			t.Run(wname+"/"+tt.domain, func(t *testing.T) {
				res := dns.Route(ctxT(t), r, tt.domain)
				if res.Status != tt.status {
					t.Fatalf("status = %s, want %s (%+v)", res.Status, tt.status, res)
				}
				if got := hostNames(res); !slices.Equal(got, tt.hosts) {
					t.Errorf("hosts = %v, want %v", got, tt.hosts)
				}
				if !slices.Equal(res.CNAMEs, tt.cnames) || res.Canonical != tt.canonical {
					t.Errorf("CNAMEs = %v to %s, want %v to %s", res.CNAMEs, res.Canonical, tt.cnames, tt.canonical)
				}
				if !strings.Contains(res.Error, tt.errText) || (tt.errText == "") != (res.Error == "") {
					t.Errorf("error = %q, want %q", res.Error, tt.errText)
				}
				if tt.check != nil {
					tt.check(t, res)
				}
			})
		}
	}
}

func TestRouteHas(t *testing.T) {
	res := dns.Route(ctxT(t), loadZone(t, testZone), "mt.test")
	for name, want := range map[string]bool{
		"mx1.mt.test": true, "MX2.mt.test.": true, "mx2-real.mt.test": true,
		"www.mt.test": false, "mt.test": false, "": false,
	} {
		if got := res.HasHost(name); got != want {
			t.Errorf("HasHost(%q) = %v, want %v", name, got, want)
		}
	}
	// An internationalised name matches the A-labels DNS publishes, and an
	// MX host beyond those resolved (MaxRouteHosts) is still an MX host.
	big := dns.RouteResult{
		MX:        []dns.MX{{Preference: 10, Host: "mx.xn--bcher-kva.de"}, {Preference: 50, Host: "backup.example.net"}},
		Hosts:     []dns.RouteHost{{Preference: 10, Host: "mx.xn--bcher-kva.de", Canonical: "mx.xn--bcher-kva.de"}},
		Truncated: true,
	}
	for name, want := range map[string]bool{"mx.bücher.de": true, "MX.Bücher.DE.": true, "backup.example.net": true, "bücher.de": false} {
		if got := big.HasHost(name); got != want {
			t.Errorf("HasHost(%q) = %v, want %v", name, got, want)
		}
	}
	for ip, want := range map[string]bool{
		"192.0.2.25": true, "::ffff:192.0.2.26": true, "2001:db8::25": true, "192.0.2.27": true,
		"192.0.2.10": false, "2001:db8::10": false,
	} {
		if got := res.HasIP(netip.MustParseAddr(ip)); got != want {
			t.Errorf("HasIP(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestRouteFailures(t *testing.T) {
	many := "$ORIGIN many.test.\n"
	for i := range 40 {
		many += fmt.Sprintf("@ MX %d mx%d\nmx%d A 192.0.2.%d\n", i, i, i, i+1)
	}
	srv := dnstest.NewServer(t,
		dnstest.WithZoneFile(testZone),
		dnstest.WithZone("$ORIGIN mix.test.\n@ MX 0 .\n@ MX 10 mx\nmx A 192.0.2.1\n"),
		dnstest.WithZone(many),
		dnstest.WithRcode("nomail.mt.test", dnstest.ServFail), // the domain
		dnstest.WithRcode("mx1b.mt.test", dnstest.ServFail),   // one host
	)
	r := network(t, srv)
	ctx := ctxT(t)

	if res := dns.Route(ctx, r, "nomail.mt.test"); res.Status != dns.RouteTempError || res.Error == "" {
		t.Errorf("SERVFAIL on the domain: %+v", res)
	}
	res := dns.Route(ctx, r, "mt.test")
	if res.Status != dns.RouteMX || res.Hosts[1].Outcome != dns.OutcomeTempError || res.Hosts[0].Outcome != dns.OutcomeAnswer {
		t.Errorf("SERVFAIL on one host: %+v", res)
	}
	// RFC 7505 §3: a null MX among other MX records is not a null MX.
	res = dns.Route(ctx, r, "mix.test")
	if res.Status != dns.RouteMX || res.NullMX || res.Hosts[0].Host != "." || res.Hosts[0].Outcome != dns.OutcomePermError ||
		!res.HasIP(netip.MustParseAddr("192.0.2.1")) {
		t.Errorf("mixed null MX: %+v", res)
	}
	res = dns.Route(ctx, r, "many.test")
	if !res.Truncated || len(res.Hosts) != dns.MaxRouteHosts || len(res.MX) != 40 || res.Hosts[31].Host != "mx31.many.test" {
		t.Errorf("40 MX: truncated %v, %d hosts, %d MX", res.Truncated, len(res.Hosts), len(res.MX))
	}
	if res := dns.Route(ctx, dns.Offline{}, "mt.test"); res.Status != dns.RouteNotChecked {
		t.Errorf("offline: %+v", res)
	}
}

// TestRouteGolden pins the JSON a renderer receives.
func TestRouteGolden(t *testing.T) {
	z := loadZone(t, testZone)
	results := map[string]dns.RouteResult{}
	for _, d := range []string{"maildom.mt.test", "nomail.mt.test", "implicit.mt.test", "looproute.mt.test", "badmx.mt.test"} {
		results[d] = dns.Route(ctxT(t), z, d)
	}
	got, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, "../testdata/dns/route.golden.json", got)
}

// TestRouteAddressTarget: an MX whose target is an address is named as such.
func TestRouteAddressTarget(t *testing.T) {
	res := dns.Route(ctxT(t), loadZone(t, testZone), "ipmx.mt.test")
	if len(res.Hosts) != 1 || res.Hosts[0].Host != "192.0.2.1" || len(res.Hosts[0].Warnings) != 1 ||
		!strings.Contains(res.Hosts[0].Warnings[0], "must be a host name") {
		t.Errorf("route %+v, want the address target named", res.Hosts)
	}
}
