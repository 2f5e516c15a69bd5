package dns_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

// TestCheckIPRev follows RFC 8601 §3 iprev over the reverse zones of
// testdata/dns/test.zone.
func TestCheckIPRev(t *testing.T) {
	tests := []struct {
		ip        string
		status    dns.Status
		names     []string
		confirmed []string
	}{
		{"192.0.2.10", dns.StatusPass, []string{"www.mt.test"}, []string{"www.mt.test"}},
		{"::ffff:192.0.2.10", dns.StatusPass, []string{"www.mt.test"}, []string{"www.mt.test"}},
		{"2001:db8::10", dns.StatusPass, []string{"www.mt.test"}, []string{"www.mt.test"}},
		{"2001:db8::25", dns.StatusPass, []string{"mx1.mt.test"}, []string{"mx1.mt.test"}},
		{"192.0.2.42", dns.StatusPass, []string{"www.mt.test", "multi42.mt.test"}, []string{"multi42.mt.test"}},
		{"192.0.2.40", dns.StatusFail, []string{"forged.mt.test"}, nil}, // the name does not exist
		{"192.0.2.41", dns.StatusFail, []string{"www.mt.test"}, nil},    // it exists, with another address
		{"192.0.2.99", dns.StatusNone, nil, nil},
		{"2001:db8::99", dns.StatusNone, nil, nil},
	}
	for wname, r := range worlds(t) {
		for _, tt := range tests {
			t.Run(wname+"/"+tt.ip, func(t *testing.T) {
				res := dns.CheckIPRev(ctxT(t), r, netip.MustParseAddr(tt.ip))
				if res.Status != tt.status || !slices.Equal(res.Names, tt.names) || !slices.Equal(res.Confirmed, tt.confirmed) {
					t.Errorf("got %+v, want %s names %v confirmed %v", res, tt.status, tt.names, tt.confirmed)
				}
				if res.Status == dns.StatusNone && res.Error != "" {
					t.Errorf("error %q for a plain absence", res.Error)
				}
			})
		}
	}
}

func TestCheckIPRevFailures(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone),
		dnstest.WithRcode("10.2.0.192.in-addr.arpa", dnstest.ServFail), // the PTR lookup fails
		dnstest.WithRcode("www.mt.test", dnstest.ServFail),             // the forward lookup fails
	)
	r := network(t, srv)
	ctx := ctxT(t)
	tests := []struct {
		ip     netip.Addr
		r      dns.Resolver
		status dns.Status
	}{
		{netip.MustParseAddr("192.0.2.10"), r, dns.StatusTempError},
		{netip.MustParseAddr("192.0.2.41"), r, dns.StatusTempError}, // www is the only name and cannot be checked
		{netip.MustParseAddr("192.0.2.42"), r, dns.StatusPass},      // www fails, multi42 confirms
		{netip.MustParseAddr("192.0.2.10"), dns.Offline{}, dns.StatusNotChecked},
		{netip.Addr{}, r, dns.StatusPermError},
	}
	for _, tt := range tests {
		res := dns.CheckIPRev(ctx, tt.r, tt.ip)
		if res.Status != tt.status {
			t.Errorf("%v: %+v, want %s", tt.ip, res, tt.status)
		}
		if res.Status == dns.StatusTempError && res.Error == "" {
			t.Errorf("%v: temperror without error text", tt.ip)
		}
	}
}

func TestCheckHostIP(t *testing.T) {
	tests := []struct {
		host   string
		ip     string
		status dns.Status
		addrs  int
	}{
		{"www.mt.test", "192.0.2.10", dns.StatusPass, 2},
		{"WWW.mt.test.", "2001:db8::10", dns.StatusPass, 2},
		{"alias.mt.test", "::ffff:192.0.2.10", dns.StatusPass, 2},
		{"www.mt.test", "192.0.2.99", dns.StatusFail, 2},
		{"v6only.mt.test", "192.0.2.11", dns.StatusFail, 1}, // resolves, in the other family only
		{"textonly.mt.test", "192.0.2.10", dns.StatusNone, 0},
		{"nope.mt.test", "192.0.2.10", dns.StatusNone, 0},
		{"[192.0.2.10]", "192.0.2.10", dns.StatusPass, 1},
		{"[IPv6:2001:db8::10]", "2001:db8::10", dns.StatusPass, 1},
		{"192.0.2.11", "192.0.2.10", dns.StatusFail, 1},
		{"bad host!", "192.0.2.10", dns.StatusPermError, 0},
		{"loop1.mt.test", "192.0.2.10", dns.StatusPermError, 0},
	}
	for wname, r := range worlds(t) {
		for _, tt := range tests {
			t.Run(wname+"/"+tt.host+"/"+tt.ip, func(t *testing.T) {
				res := dns.CheckHostIP(ctxT(t), r, tt.host, netip.MustParseAddr(tt.ip))
				if res.Status != tt.status || len(res.Addrs) != tt.addrs {
					t.Errorf("got %+v, want %s with %d addresses", res, tt.status, tt.addrs)
				}
			})
		}
	}
}

func TestCheckHostIPFailures(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone), dnstest.WithRcode("www.mt.test", dnstest.ServFail))
	res := dns.CheckHostIP(ctxT(t), network(t, srv), "www.mt.test", netip.MustParseAddr("192.0.2.10"))
	if res.Status != dns.StatusTempError || res.Error == "" {
		t.Errorf("SERVFAIL: %+v", res)
	}
	res = dns.CheckHostIP(ctxT(t), dns.Offline{}, "www.mt.test", netip.MustParseAddr("192.0.2.10"))
	if res.Status != dns.StatusNotChecked {
		t.Errorf("offline: %+v", res)
	}
	// A resolver that only has the Resolver methods is asked LookupIP.
	p := &plain{Resolver: loadZone(t, testZone)}
	res = dns.CheckHostIP(ctxT(t), p, "www.mt.test", netip.MustParseAddr("2001:db8::10"))
	if res.Status != dns.StatusPass || p.ipCalls.Load() != 1 {
		t.Errorf("plain resolver: %+v after %d LookupIP calls", res, p.ipCalls.Load())
	}
}
