package dnstest_test

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/mailtrace/mailtrace/dns/dnstest"
)

const zone = `$ORIGIN d.test.
$TTL 300
@    SOA ns host 1 3600 600 86400 60
www  A   192.0.2.1
bad  A   192.0.2.2
`

func ask(t *testing.T, s *dnstest.Server, net, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(4096, false)
	c := &mdns.Client{Net: net, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s: %v", net, name, err)
	}
	return r
}

func TestServerAnswers(t *testing.T) {
	s := dnstest.NewServer(t, dnstest.WithZone(zone), dnstest.WithRcode("BAD.d.test", dnstest.Refused))
	for _, net := range []string{"udp", "tcp"} {
		r := ask(t, s, net, "www.d.test.", mdns.TypeA)
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 1 || !r.Authoritative || r.IsEdns0() == nil {
			t.Errorf("%s: %v", net, r)
		}
	}
	r := ask(t, s, "udp", "nope.d.test.", mdns.TypeA)
	soa, ok := r.Ns[0].(*mdns.SOA)
	if r.Rcode != mdns.RcodeNameError || !ok || soa.Hdr.Ttl != 60 {
		t.Errorf("NXDOMAIN answer: %v (authority TTL must be the negative TTL, RFC 2308 §3)", r)
	}
	if r := ask(t, s, "udp", "bad.d.test.", mdns.TypeA); r.Rcode != mdns.RcodeRefused || len(r.Answer) != 0 {
		t.Errorf("WithRcode: %v", r)
	}
	if s.Queries() != 4 || s.TCPQueries() != 1 || s.QueriesFor("WWW.d.test") != 2 {
		t.Errorf("counters: %d queries, %d TCP, %d for www", s.Queries(), s.TCPQueries(), s.QueriesFor("www.d.test"))
	}
}

func TestServerTruncateAndDelay(t *testing.T) {
	s := dnstest.NewServer(t, dnstest.WithZone(zone), dnstest.WithTruncateUDP(), dnstest.WithDelay(10*time.Millisecond))
	if r := ask(t, s, "udp", "www.d.test.", mdns.TypeA); !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("UDP: %v, want TC and no records", r)
	}
	if r := ask(t, s, "tcp", "www.d.test.", mdns.TypeA); r.Truncated || len(r.Answer) != 1 {
		t.Errorf("TCP: %v, want the full answer", r)
	}
}

func TestServerNoAnswer(t *testing.T) {
	s := dnstest.NewServer(t, dnstest.WithNoAnswer())
	m := new(mdns.Msg)
	m.SetQuestion("www.d.test.", mdns.TypeA)
	c := &mdns.Client{Timeout: 50 * time.Millisecond}
	if r, _, err := c.Exchange(m, s.Addr()); err == nil {
		t.Errorf("got an answer: %v", r)
	}
	if s.Queries() != 1 {
		t.Errorf("queries = %d, want 1", s.Queries())
	}
}
