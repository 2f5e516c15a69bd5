package dns_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

func BenchmarkCacheHit(b *testing.B) {
	c := dns.NewCache(loadZone(b, testZone), dns.CacheOptions{})
	ctx := context.Background()
	if _, err := c.LookupMX(ctx, "mt.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.LookupMX(ctx, "mt.test"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHitParallel(b *testing.B) {
	c := dns.NewCache(loadZone(b, testZone), dns.CacheOptions{})
	ctx := context.Background()
	if _, err := c.LookupMX(ctx, "mt.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.LookupMX(ctx, "mt.test"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLookups10 makes 10 distinct lookups (each A and AAAA) against a
// server that takes 50 ms per answer: concurrently they should take about
// one delay, one after the other ten.
func BenchmarkLookups10(b *testing.B) {
	const delay = 50 * time.Millisecond
	var zone strings.Builder
	zone.WriteString("$ORIGIN par.test.\n")
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("h%d.par.test", i)
		fmt.Fprintf(&zone, "h%d A 192.0.2.%d\n", i, i+1)
	}
	srv := dnstest.NewServer(b, dnstest.WithZone(zone.String()), dnstest.WithDelay(delay))
	n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	lookup := func(name string) {
		if ips, err := n.LookupIP(ctx, name); err != nil || len(ips) != 1 {
			b.Errorf("%s: %v, %v", name, ips, err)
		}
	}
	b.Run("concurrent", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for _, name := range names {
				wg.Go(func() { lookup(name) })
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	})
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			for _, name := range names {
				lookup(name)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	})
}
