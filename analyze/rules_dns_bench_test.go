package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

// tenHopWorld is a zone for a 10-hop chain: hop i is relay i at 64.1.0.i,
// forward-confirmed, and the recipient's domain has an MX.
func tenHopWorld() (zone, msg string) {
	var z, m strings.Builder
	z.WriteString("$TTL 300\n$ORIGIN relay.test.\n@ SOA ns hm 1 7200 900 1209600 300\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&z, "r%d A 64.1.0.%d\n", i, i)
	}
	z.WriteString("$ORIGIN 0.1.64.in-addr.arpa.\n@ SOA ns.relay.test. hm.relay.test. 1 7200 900 1209600 300\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&z, "%d PTR r%d.relay.test.\n", i, i)
	}
	z.WriteString("$ORIGIN dest.test.\n@ SOA ns hm 1 7200 900 1209600 300\n@ MX 10 r10.relay.test.\n")
	for i := 10; i >= 1; i-- { // newest first, as in a message
		fmt.Fprintf(&m, "Received: from r%d.relay.test (r%d.relay.test [64.1.0.%d]) by r%d.relay.test (Postfix) with ESMTP id A%d; Tue, 1 Jan 2019 10:00:%02d +0000\n",
			i-1, i-1, i, i, i, i)
	}
	m.WriteString("From: a@relay.test\nTo: b@dest.test\nDate: Tue, 1 Jan 2019 10:00:00 +0000\n\nx\n")
	return z.String(), m.String()
}

// BenchmarkDNS10HopsSlowServer: every answer is delayed by 50 ms, and each
// iteration starts with an empty cache; lookups run in parallel, so one
// message costs a few round trips, not forty.
func BenchmarkDNS10HopsSlowServer(b *testing.B) {
	zone, msg := tenHopWorld()
	srv := dnstest.NewServer(b, dnstest.WithZone(zone), dnstest.WithDelay(50*time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		r, err := dns.New(dns.Config{Servers: []string{srv.Addr()}})
		if err != nil {
			b.Fatal(err)
		}
		rep := analyzeWithDNS(b, r, msg)
		if rep.DNS == nil || rep.DNS.Lookups < 20 {
			b.Fatalf("dns summary %+v", rep.DNS)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/msg")
}

// BenchmarkDNSCacheManyMessages: 1,000 messages from the same few relays
// through one shared cache; reports the cache hit ratio.
func BenchmarkDNSCacheManyMessages(b *testing.B) {
	zone, msg := tenHopWorld()
	srv := dnstest.NewServer(b, dnstest.WithZone(zone))
	for b.Loop() {
		r, err := dns.New(dns.Config{Servers: []string{srv.Addr()}})
		if err != nil {
			b.Fatal(err)
		}
		for range 1000 {
			analyzeWithDNS(b, r, msg)
		}
		st, _ := dns.StatsOf(r)
		b.ReportMetric(float64(st.Hits+st.Merged)/float64(st.Lookups()), "hit-ratio")
		b.ReportMetric(float64(srv.Queries()), "upstream-queries")
	}
}
