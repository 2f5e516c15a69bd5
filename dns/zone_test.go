package dns_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

func TestParseZoneErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // part of the error
	}{
		{"bad address", "$ORIGIN z.test.\nok A 192.0.2.1\nbad A 300.1.1.1\n", "z.zone:3:"},
		{"unknown type", "$ORIGIN z.test.\n\n\nx 300 IN BOGUS foo\n", "z.zone:4:"},
		{"include refused", "$INCLUDE /etc/passwd\n", "z.zone:1:"},
		{"unterminated string", "$ORIGIN z.test.\nx TXT \"open\n", "z.zone:"},
		{"bad MX preference", "$ORIGIN z.test.\nx MX ten mail\n", "z.zone:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := dns.ParseZone(strings.NewReader(tt.text), "", "z.zone")
			if err == nil {
				t.Fatalf("no error (zone %v)", z)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadZonesErrors(t *testing.T) {
	_, err := dns.LoadZones(testZone, badZone)
	if err == nil || !strings.Contains(err.Error(), "bad.zone:5:") {
		t.Errorf("error = %v, want one at bad.zone:5", err)
	}
	if _, err := dns.LoadZones("../testdata/dns/missing.zone"); err == nil {
		t.Error("missing file: no error")
	}
}

// TestParseZoneOrigin checks that the origin argument and $TTL apply, and
// that a record without TTL and without $TTL still loads.
func TestParseZoneOrigin(t *testing.T) {
	text := "www A 192.0.2.1\n$TTL 60\nmail MX 10 www\n"
	z, err := dns.ParseZone(strings.NewReader(text), "o.test", "o.zone")
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	ips, err := z.LookupIP(ctx, "www.o.test")
	if fmt.Sprint(ips) != "[192.0.2.1]" || err != nil {
		t.Errorf("LookupIP = %v, %v", ips, err)
	}
	mx, err := z.LookupMX(ctx, "mail.o.test")
	if fmt.Sprint(mx) != "[{10 www.o.test}]" || err != nil {
		t.Errorf("LookupMX = %v, %v", mx, err)
	}
	// Nothing outside the files exists.
	if _, err := z.LookupIP(ctx, "example.com"); !errors.Is(err, dns.ErrNotFound) {
		t.Errorf("name outside the zone: %v, want ErrNotFound", err)
	}
}

// TestZonesMerge loads two files: records of one name add up, duplicates
// collapse (an RRset is a set, RFC 2181 §5).
func TestZonesMerge(t *testing.T) {
	z1, err := dns.ParseZone(strings.NewReader("a.test. A 192.0.2.1\na.test. A 192.0.2.1\n"), "", "1")
	if err != nil {
		t.Fatal(err)
	}
	ips, _ := z1.LookupIP(ctxT(t), "a.test")
	if len(ips) != 1 {
		t.Errorf("duplicates kept: %v", ips)
	}
	z := loadZone(t, testZone, demoZone)
	for _, name := range []string{"www.mt.test", "mx1.example.com"} {
		if _, err := z.LookupIP(ctxT(t), name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// fileAndWire answers from the master file text two ways: the Zone
// resolver reading it, and a Network resolver asking a dnstest server that
// serves it.
func fileAndWire(t *testing.T, text string) map[string]dns.Resolver {
	t.Helper()
	z, err := dns.ParseZone(strings.NewReader(text), "", "test.zone")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]dns.Resolver{"zone": z, "wire": network(t, dnstest.NewServer(t, dnstest.WithZone(text)))}
}

// TestWildcardRoute routes mail for names only a wildcard covers
// (RFC 4592), from the files and over the wire from a server serving the
// same files: "*.w.test MX" gives every name under w.test that has no
// records of its own an MX, but not an existing name.
func TestWildcardRoute(t *testing.T) {
	const text = "$ORIGIN w.test.\n@ SOA ns host 1 3600 600 86400 300\n* MX 10 mx\nmx A 192.0.2.25\nweb A 192.0.2.80\n"
	for name, r := range fileAndWire(t, text) {
		t.Run(name, func(t *testing.T) {
			for _, domain := range []string{"shop.w.test", "a.b.w.test"} {
				route := dns.Route(ctxT(t), r, domain)
				if len(route.Hosts) != 1 || route.Hosts[0].Host != "mx.w.test" || fmt.Sprint(route.Hosts[0].Addrs) != "[192.0.2.25]" || route.Implicit {
					t.Errorf("%s: route %+v, want mx.w.test [192.0.2.25] from the wildcard", domain, route)
				}
			}
			// web exists: the wildcard does not speak for it, so its MX is
			// implicit (RFC 5321 §5.1).
			if route := dns.Route(ctxT(t), r, "web.w.test"); !route.Implicit || len(route.Hosts) != 1 || route.Hosts[0].Host != "web.w.test" {
				t.Errorf("web.w.test: route %+v, want the implicit MX", route)
			}
		})
	}
}

// TestDNAMERoute routes mail for a name a DNAME redirects (RFC 6672),
// from the files and over the wire: the domain's MX is asked at the name
// the DNAME gives, as at the end of a CNAME chain.
func TestDNAMERoute(t *testing.T) {
	const text = "$ORIGIN d.test.\n@ SOA ns host 1 3600 600 86400 300\nold DNAME new.d.test.\nshop.new MX 10 mx.new\nmx.new A 192.0.2.25\n"
	for name, r := range fileAndWire(t, text) {
		t.Run(name, func(t *testing.T) {
			route := dns.Route(ctxT(t), r, "shop.old.d.test")
			if route.Canonical != "shop.new.d.test" || len(route.Hosts) != 1 || route.Hosts[0].Host != "mx.new.d.test" || fmt.Sprint(route.Hosts[0].Addrs) != "[192.0.2.25]" {
				t.Errorf("route %+v, want shop.new.d.test's MX mx.new.d.test [192.0.2.25]", route)
			}
		})
	}
}

// TestDNAMETooLong: a DNAME that makes a name longer than DNS allows
// (YXDOMAIN, RFC 6672 §2.2) is a temporary error from the files as over the
// wire: not "no records", and not evidence either way.
func TestDNAMETooLong(t *testing.T) {
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 40) + ".x.test."
	text := "$ORIGIN y.test.\n@ SOA ns host 1 3600 600 86400 300\nlong DNAME " + long + "\n"
	name := strings.Repeat("e", 20) + "." + strings.Repeat("f", 20) + ".long.y.test"
	for kind, r := range fileAndWire(t, text) {
		if _, err := r.LookupMX(ctxT(t), name); !errors.Is(err, dns.ErrTemporary) || errors.Is(err, dns.ErrNoData) {
			t.Errorf("%s: %v, want a temporary error", kind, err)
		}
		if route := dns.Route(ctxT(t), r, name); route.Status != dns.RouteTempError {
			t.Errorf("%s: route %s, want temperror", kind, route.Status)
		}
	}
}
