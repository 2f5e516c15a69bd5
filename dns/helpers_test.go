package dns_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

const (
	testZone = "../testdata/dns/test.zone"
	demoZone = "../testdata/dns/demo.zone"
	badZone  = "../testdata/dns/bad.zone"
)

// network returns a Network resolver asking only the given test servers,
// with short timeouts so that failure tests stay quick.
func network(t testing.TB, servers ...*dnstest.Server) *dns.Network {
	t.Helper()
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.Addr()
	}
	return networkAt(t, addrs...)
}

func networkAt(t testing.TB, addrs ...string) *dns.Network {
	t.Helper()
	n, err := dns.NewNetwork(dns.Options{Servers: addrs, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func loadZone(t testing.TB, paths ...string) *dns.Zone {
	t.Helper()
	z, err := dns.LoadZones(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// worlds returns the test world as every resolver kind sees it: read from
// the file, asked over the wire from a server serving the same file, and
// the latter through a cache. Behaviour must not depend on which.
func worlds(t *testing.T) map[string]dns.Resolver {
	t.Helper()
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	return map[string]dns.Resolver{
		"zone":    loadZone(t, testZone),
		"network": network(t, srv),
		"cache":   dns.NewCache(network(t, srv), dns.CacheOptions{}),
	}
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
