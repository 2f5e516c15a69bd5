package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

func TestNetworkTruncatedAnswerRetriedOverTCP(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone), dnstest.WithTruncateUDP())
	mx, err := network(t, srv).LookupMX(ctxT(t), "mt.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(mx) != 3 {
		t.Errorf("MX = %v, want the 3 records", mx)
	}
	if srv.Queries() != 2 || srv.TCPQueries() != 1 {
		t.Errorf("queries = %d (TCP %d), want one over UDP then one over TCP", srv.Queries(), srv.TCPQueries())
	}
}

// bigTXT is a zone with n TXT records of 200 bytes at big.mt.test.
func bigTXT(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN mt.test.\n")
	for i := range n {
		fmt.Fprintf(&b, "big TXT \"%03d%s\"\n", i, strings.Repeat("x", 197))
	}
	return b.String()
}

// TestNetworkEDNS checks the answer size: 10 records (~2.3 kB) need EDNS0
// to come over UDP; 30 (~6.8 kB) exceed 4096 and must come over TCP.
func TestNetworkEDNS(t *testing.T) {
	for _, tt := range []struct {
		records, wantTCP int
	}{{10, 0}, {30, 1}} {
		t.Run(fmt.Sprint(tt.records), func(t *testing.T) {
			srv := dnstest.NewServer(t, dnstest.WithZone(bigTXT(tt.records)))
			txt, err := network(t, srv).LookupTXT(ctxT(t), "big.mt.test")
			if err != nil {
				t.Fatal(err)
			}
			if len(txt) != tt.records || len(txt[0]) != 200 {
				t.Errorf("got %d records, want %d of 200 bytes", len(txt), tt.records)
			}
			if srv.TCPQueries() != tt.wantTCP {
				t.Errorf("TCP queries = %d, want %d", srv.TCPQueries(), tt.wantTCP)
			}
		})
	}
}

func TestNetworkServerNeverAnswers(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithNoAnswer())
	n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.LookupIP(ctxT(t), "www.mt.test")
	if !errors.Is(err, dns.ErrTemporary) || !errors.Is(err, dns.ErrUnreachable) {
		t.Fatalf("error = %v, want ErrTemporary and ErrUnreachable", err)
	}
	if got := srv.QueriesFor("www.mt.test"); got != 4 { // A and AAAA, two attempts each
		t.Errorf("server saw %d queries, want 4", got)
	}
}

// TestNetworkRcodes maps response codes (RFC 1035 §4.1.1, RFC 6895 §2.3)
// to errors. Only NOERROR and NXDOMAIN are answers about the name; every
// other RCODE is a temporary error (RFC 7208 §4.4, RFC 6376 §6.1.2), which
// checks report as temperror, never as evidence.
func TestNetworkRcodes(t *testing.T) {
	tests := []struct {
		rcode   dnstest.Rcode
		want    error
		status  dns.Status
		queries int // queries for the name, with Attempts 2
	}{
		{dnstest.ServFail, dns.ErrTemporary, dns.StatusTempError, 2},  // tried again in the second round
		{dnstest.Refused, dns.ErrTemporary, dns.StatusTempError, 1},   // not asked again
		{dnstest.NotImp, dns.ErrTemporary, dns.StatusTempError, 1},    //
		{dnstest.FormErr, dns.ErrTemporary, dns.StatusTempError, 2},   // asked again without EDNS (RFC 6891 §7)
		{dnstest.Rcode(6), dns.ErrTemporary, dns.StatusTempError, 1},  // YXDOMAIN (RFC 2136), not an answer to a query
		{dnstest.Rcode(9), dns.ErrTemporary, dns.StatusTempError, 1},  // NOTAUTH (RFC 2845)
		{dnstest.Rcode(15), dns.ErrTemporary, dns.StatusTempError, 1}, // unassigned
		{dnstest.NXDomain, dns.ErrNotFound, dns.StatusNone, 1},        //
		{dnstest.NoError, dns.ErrNoData, dns.StatusNone, 1},           //
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", tt.rcode, mdns.RcodeToString[int(tt.rcode)]), func(t *testing.T) {
			srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone), dnstest.WithRcode("mt.test", tt.rcode))
			n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}, Timeout: time.Second, Attempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			_, err = n.LookupMX(ctxT(t), "mt.test")
			if !errors.Is(err, tt.want) || errors.Is(err, dns.ErrPermanent) || errors.Is(err, dns.ErrUnreachable) {
				t.Fatalf("error = %v, want %v only (a server answered)", err, tt.want)
			}
			if got := dns.StatusOf(err); got != tt.status {
				t.Errorf("status = %s, want %s", got, tt.status)
			}
			if !strings.HasPrefix(err.Error(), "lookup MX mt.test: ") {
				t.Errorf("error %q lacks the lookup context", err)
			}
			if got := srv.QueriesFor("mt.test"); got != tt.queries {
				t.Errorf("server saw %d queries, want %d", got, tt.queries)
			}
		})
	}
}

// closedPort returns a loopback UDP address nobody listens on: queries to
// it fail at once with "connection refused".
func closedPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestNetworkFirstServerDead(t *testing.T) {
	good := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	silent := dnstest.NewServer(t, dnstest.WithNoAnswer())
	for _, tt := range []struct {
		name string
		dead string
	}{
		{"timeout", silent.Addr()},
		{"connection refused", closedPort(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := networkAt(t, tt.dead, good.Addr())
			before := silent.Queries()
			for _, name := range []string{"mt.test", "maildom.mt.test"} {
				if _, err := n.LookupMX(ctxT(t), name); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if tt.dead == silent.Addr() && silent.Queries()-before != 1 {
				t.Errorf("dead server asked %d times, want once: the server that answered is preferred", silent.Queries()-before)
			}
		})
	}
}

// TestNetworkRotate: with Rotate (resolv.conf's rotate) lookups take the
// servers in turn; without it they keep to the one that answered. A dead
// server in the rotation is passed over.
func TestNetworkRotate(t *testing.T) {
	a := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	b := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	for _, tt := range []struct {
		rotate       bool
		wantA, wantB int
	}{{false, 4, 0}, {true, 2, 2}} {
		n, err := dns.NewNetwork(dns.Options{Servers: []string{a.Addr(), b.Addr()}, Timeout: 300 * time.Millisecond, Attempts: 1, Rotate: tt.rotate})
		if err != nil {
			t.Fatal(err)
		}
		a0, b0 := a.Queries(), b.Queries()
		for _, name := range []string{"mt.test", "maildom.mt.test", "a.mt.test", "b.mt.test"} {
			if _, err := n.LookupTXT(ctxT(t), name); err != nil && !errors.Is(err, dns.ErrNotFound) && !errors.Is(err, dns.ErrNoData) {
				t.Fatalf("rotate %v, %s: %v", tt.rotate, name, err)
			}
		}
		if ga, gb := a.Queries()-a0, b.Queries()-b0; ga != tt.wantA || gb != tt.wantB {
			t.Errorf("rotate %v: servers asked %d and %d times, want %d and %d", tt.rotate, ga, gb, tt.wantA, tt.wantB)
		}
	}
	n, err := dns.NewNetwork(dns.Options{Servers: []string{closedPort(t), a.Addr()}, Timeout: 300 * time.Millisecond, Attempts: 1, Rotate: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := n.LookupMX(ctxT(t), "mt.test"); err != nil {
			t.Errorf("a dead server in the rotation: %v", err)
		}
	}
}

// TestNetworkCooldown: after a lookup that no server answered, no server
// is asked until the cooldown has passed; the lookups meanwhile fail at once
// as unreachable. A lookup cut short by its caller marks nothing, and a
// server that answers, if only with SERVFAIL, ends the cooldown.
func TestNetworkCooldown(t *testing.T) {
	silent := dnstest.NewServer(t, dnstest.WithNoAnswer())
	n, err := dns.NewNetwork(dns.Options{Servers: []string{silent.Addr()}, Timeout: 100 * time.Millisecond, Attempts: 1, Cooldown: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func() error { _, err := n.LookupMX(ctxT(t), "mt.test"); return err }
	// Cut short by the caller: the server is asked, nothing is marked.
	short, cancel := context.WithTimeout(ctxT(t), 20*time.Millisecond)
	defer cancel()
	if _, err := n.LookupMX(short, "mt.test"); err == nil {
		t.Fatal("an answer from a silent server")
	}
	for i, want := range []int{1, 1, 1} { // asked, then not during the cooldown
		before := silent.Queries()
		if err := lookup(); !errors.Is(err, dns.ErrUnreachable) {
			t.Fatalf("lookup %d: %v, want unreachable", i, err)
		}
		if got := silent.Queries() - before; (i == 0 && got != want) || (i > 0 && got != 0) {
			t.Errorf("lookup %d: server asked %d times", i, got)
		}
	}
	time.Sleep(450 * time.Millisecond)
	before := silent.Queries()
	if err := lookup(); !errors.Is(err, dns.ErrUnreachable) || silent.Queries()-before != 1 {
		t.Errorf("after the cooldown: %v, server asked %d times; want it asked again", err, silent.Queries()-before)
	}
	// A server that answers SERVFAIL is there: no cooldown after it.
	servfail := dnstest.NewServer(t, dnstest.WithRcode("mt.test", dnstest.ServFail))
	m, err := dns.NewNetwork(dns.Options{Servers: []string{servfail.Addr()}, Timeout: 100 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		before := servfail.Queries()
		if _, err := m.LookupMX(ctxT(t), "mt.test"); errors.Is(err, dns.ErrUnreachable) || servfail.Queries()-before != 1 {
			t.Errorf("SERVFAIL: %v, server asked %d times; want a temporary error, asked once", err, servfail.Queries()-before)
		}
	}
}

func TestNetworkAllServersFail(t *testing.T) {
	servfail := dnstest.NewServer(t, dnstest.WithRcode("mt.test", dnstest.ServFail))
	refused := dnstest.NewServer(t, dnstest.WithRcode("mt.test", dnstest.Refused))
	refused2 := dnstest.NewServer(t, dnstest.WithRcode("mt.test", dnstest.Refused))
	silent := dnstest.NewServer(t, dnstest.WithNoAnswer())
	tests := []struct {
		name    string
		servers []string
		want    []error
		not     []error
	}{
		{"servfail and refused", []string{refused.Addr(), servfail.Addr()}, []error{dns.ErrTemporary}, []error{dns.ErrUnreachable}},
		{"refused twice", []string{refused.Addr(), refused2.Addr()}, []error{dns.ErrTemporary}, []error{dns.ErrPermanent, dns.ErrUnreachable}},
		{"silent and refused", []string{silent.Addr(), refused.Addr()}, []error{dns.ErrTemporary}, []error{dns.ErrUnreachable}},
		{"silent and closed", []string{silent.Addr(), closedPort(t)}, []error{dns.ErrTemporary, dns.ErrUnreachable}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := dns.NewNetwork(dns.Options{Servers: tt.servers, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = n.LookupMX(ctxT(t), "mt.test")
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error = %v, want %v", err, w)
				}
			}
			for _, w := range tt.not {
				if errors.Is(err, w) {
					t.Errorf("error = %v, must not be %v", err, w)
				}
			}
		})
	}
}

func TestNetworkCancelled(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithNoAnswer())
	n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.LookupTXT(ctx, "mt.test"); !errors.Is(err, dns.ErrTemporary) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: error = %v", err)
	}
	// Cancelled while waiting for an answer that never comes: miekg/dns
	// only watches deadlines, the resolver must notice the cancellation.
	ctx, cancel = context.WithCancel(context.Background())
	stop := time.AfterFunc(20*time.Millisecond, cancel)
	defer stop.Stop()
	if _, err := n.LookupTXT(ctx, "mt.test"); !errors.Is(err, dns.ErrTemporary) {
		t.Errorf("cancelled during: error = %v", err)
	}
}

// rawServer answers every UDP query with what reply makes of it.
func rawServer(t *testing.T, reply func(query []byte) []byte) string {
	return rawServerN(t, func(query []byte) [][]byte { return [][]byte{reply(query)} })
}

// rawServerN answers every UDP query with the datagrams replies makes of it,
// in order.
func rawServerN(t *testing.T, replies func(query []byte) [][]byte) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, out := range replies(slices.Clone(buf[:n])) {
				if out != nil {
					_, _ = pc.WriteTo(out, addr)
				}
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestNetworkBadReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply func(q []byte) []byte
		want  string
	}{
		{"cut after the header", func(q []byte) []byte {
			q[2] |= 0x80 // QR
			return q[:14]
		}, "malformed"},
		{"answer to another question", func(q []byte) []byte {
			var m mdns.Msg
			if m.Unpack(q) != nil {
				return nil
			}
			r := new(mdns.Msg)
			r.SetReply(&m)
			r.Question[0].Name = "other.test."
			out, _ := r.Pack()
			return out
		}, "no reply matched the question (dropped one: reply is about MX other.test.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := networkAt(t, rawServer(t, tt.reply))
			_, err := n.LookupMX(ctxT(t), "mt.test")
			// A reply that cannot be believed says nothing about the name
			// (RFC 1035 §7.3): temporary, though a server did answer. One
			// about another question is no reply at all (RFC 5452 §3):
			// dropped, the wait goes on until the deadline.
			if !errors.Is(err, dns.ErrTemporary) || errors.Is(err, dns.ErrPermanent) || errors.Is(err, dns.ErrUnreachable) ||
				!strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want a temporary error saying %q", err, tt.want)
			}
		})
	}
}

// TestNetworkForgedReplyDropped: a datagram with the query's ID but another
// question, or no response at all, is dropped, never believed, and the
// real reply that follows is read (RFC 5452 §3). From the audit's "spoofq"
// server mode, whose forged reply made the lookup fail as malformed.
func TestNetworkForgedReplyDropped(t *testing.T) {
	tests := []struct {
		name  string
		forge func(*mdns.Msg)
	}{
		{"other name", func(m *mdns.Msg) { m.Question[0].Name = "evil.test." }},
		{"other type", func(m *mdns.Msg) { m.Question[0].Qtype = mdns.TypeTXT }},
		{"other class", func(m *mdns.Msg) { m.Question[0].Qclass = mdns.ClassCHAOS }},
		{"no question", func(m *mdns.Msg) { m.Question = nil }},
		{"not a response", func(m *mdns.Msg) { m.Response = false }},
		{"other ID", func(m *mdns.Msg) { m.Id ^= 0x5555 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			real := answering(t, mdns.RcodeSuccess, "$Q 60 IN A 192.0.2.10")
			addr := rawServerN(t, func(q []byte) [][]byte {
				out := real(q)
				var forged mdns.Msg
				if out == nil || forged.Unpack(out) != nil {
					return nil
				}
				tt.forge(&forged)
				forged.Answer = []mdns.RR{&mdns.A{
					Hdr: mdns.RR_Header{Name: "evil.test.", Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 60},
					A:   net.IPv4(198, 51, 100, 66),
				}}
				bad, err := forged.Pack()
				if err != nil {
					t.Error(err)
					return nil
				}
				return [][]byte{bad, out}
			})
			n, err := dns.NewNetwork(dns.Options{Servers: []string{addr}, Timeout: 2 * time.Second, Attempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			ips, err := n.LookupIP(ctxT(t), "mt.test")
			if err != nil || !slices.Equal(ips, []netip.Addr{netip.MustParseAddr("192.0.2.10")}) {
				t.Errorf("addresses = %v, %v; want the real reply's 192.0.2.10", ips, err)
			}
		})
	}
}

func TestNewNetworkServers(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"127.0.0.1", "127.0.0.1:53", false},
		{"127.0.0.1:5353", "127.0.0.1:5353", false},
		{"::1", "[::1]:53", false},
		{"[::1]", "[::1]:53", false},
		{"[::1]:5353", "[::1]:5353", false},
		{" 127.0.0.1 ", "127.0.0.1:53", false},
		{"fe80::1%eth0", "[fe80::1%eth0]:53", false},
		{"127.0.0.1:053", "127.0.0.1:53", false},
		{"127.0.0.1:0", "", true},
		{"127.0.0.1:65536", "", true},
		{"127.0.0.1:+53", "", true},
		{"127.0.0.1:dns", "", true},
		{"127.0.0.1:", "", true},
		{":53", "", true},
		{"", "", true},
		{"[]", "", true},
		// Host names would be looked up through the system's resolver
		// (resolv.conf(5) nameservers are addresses). From the audit.
		{"ns.example", "", true},
		{"localhost:5353", "", true},
		{"127.0.0.1:5353:1", "", true},
		{"[localhost]:53", "", true},
	}
	for _, tt := range tests {
		n, err := dns.NewNetwork(dns.Options{Servers: []string{tt.in}})
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: no error, servers %v", tt.in, n.Servers())
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got := n.Servers(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q: servers %v, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNewNetworkResolvConf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# comment\nsearch example.com\nnameserver 127.0.0.1\nnameserver ::1\noptions ndots:2\n")
	n, err := dns.NewNetwork(dns.Options{ResolvConf: good})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.Servers(), []string{"127.0.0.1:53", "[::1]:53"}; !slices.Equal(got, want) {
		t.Errorf("servers = %v, want %v", got, want)
	}
	for name, path := range map[string]string{
		"no nameserver": write("empty", "search example.com\n"),
		"missing file":  filepath.Join(dir, "missing"),
	} {
		if _, err := dns.NewNetwork(dns.Options{ResolvConf: path}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// answering returns a rawServer reply function that answers every query
// with NOERROR (or rcode) and the records rrs, "$Q" in them standing for
// the name asked. SOA records go in the authority section, the others in
// the answer section.
func answering(t *testing.T, rcode int, rrs ...string) func([]byte) []byte {
	return func(query []byte) []byte {
		var m mdns.Msg
		if m.Unpack(query) != nil || len(m.Question) != 1 {
			return nil
		}
		r := new(mdns.Msg)
		r.SetReply(&m)
		r.Rcode = rcode
		for _, s := range rrs {
			rr, err := mdns.NewRR(strings.ReplaceAll(s, "$Q", m.Question[0].Name))
			if err != nil {
				t.Error(err)
				return nil
			}
			if rr.Header().Rrtype == mdns.TypeSOA {
				r.Ns = append(r.Ns, rr)
				continue
			}
			r.Answer = append(r.Answer, rr)
		}
		out, _ := r.Pack()
		return out
	}
}

// TestNetworkAnswerAboutAnotherName: an answer section holding only records
// of a name that is neither the question nor on its CNAME chain is bogus
// (RFC 1035 §7.3), not NODATA: read as "no record" it would be evidence
// made up by a broken or lying server. From the audit's baddns
// "wrongname" mode.
func TestNetworkAnswerAboutAnotherName(t *testing.T) {
	const noerror, nxdomain = mdns.RcodeSuccess, mdns.RcodeNameError
	tests := []struct {
		name   string
		lookup func(dns.Resolver) error
		rcode  int
		rrs    []string
		want   error // nil: an answer
	}{
		{"A of another name", ipOfErr("mt.test"), noerror,
			[]string{"other.wrong.test. 60 IN A 192.0.2.66"}, dns.ErrTemporary},
		{"TXT of another name", txtOfErr("mt.test"), noerror,
			[]string{`other.wrong.test. 60 IN TXT "v=spf1 +all"`}, dns.ErrTemporary},
		{"MX of another name", mxOfErr("mt.test"), noerror,
			[]string{"other.wrong.test. 60 IN MX 10 evil.wrong.test."}, dns.ErrTemporary},
		{"PTR of another name", ptrOfErr("192.0.2.10"), noerror,
			[]string{"other.wrong.test. 60 IN PTR evil.wrong.test."}, dns.ErrTemporary},
		{"NXDOMAIN with another name's records", txtOfErr("mt.test"), nxdomain,
			[]string{`other.wrong.test. 60 IN TXT "x"`}, dns.ErrTemporary},
		{"CNAME chain then another name", txtOfErr("mt.test"), noerror,
			[]string{"$Q 60 IN CNAME a.mt.test.", `other.wrong.test. 60 IN TXT "x"`}, dns.ErrTemporary},
		// Well-formed answers stay as they were.
		{"owner in another case", txtOfErr("mt.test"), noerror,
			[]string{`MT.Test. 60 IN TXT "x"`}, nil},
		{"CNAME chain to the records", txtOfErr("mt.test"), noerror,
			[]string{"$Q 60 IN CNAME a.mt.test.", `a.mt.test. 60 IN TXT "x"`}, nil},
		{"CNAME chain to no record is NODATA", txtOfErr("mt.test"), noerror,
			[]string{"$Q 60 IN CNAME a.mt.test.", soaMT}, dns.ErrNoData},
		{"CNAME chain to a missing name is NXDOMAIN", txtOfErr("mt.test"), nxdomain,
			[]string{"$Q 60 IN CNAME a.mt.test."}, dns.ErrNotFound},
		{"DNAME above the question (RFC 6672)", txtOfErr("x.mt.test"), noerror,
			[]string{"mt.test. 60 IN DNAME other.test.", "$Q 60 IN CNAME x.other.test.", "other.test. 60 IN SOA ns.other.test. h.other.test. 1 2 3 4 60"}, dns.ErrNoData},
		{"answer plus a stray record", txtOfErr("mt.test"), noerror,
			[]string{`$Q 60 IN TXT "x"`, `other.wrong.test. 60 IN TXT "y"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := networkAt(t, rawServer(t, answering(t, tt.rcode, tt.rrs...)))
			err := tt.lookup(n)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("error = %v, want an answer", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || errors.Is(err, dns.ErrUnreachable) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.want == dns.ErrTemporary && !strings.Contains(err.Error(), "other.wrong.test") {
				t.Errorf("error %q does not name the stray owner", err)
			}
		})
	}
}

// TestNetworkBogusServerSkipped: the next server is asked after a bogus
// answer, and its answer wins.
func TestNetworkBogusServerSkipped(t *testing.T) {
	good := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	bogus := rawServer(t, answering(t, mdns.RcodeSuccess, `other.wrong.test. 60 IN TXT "v=spf1 +all"`))
	txt, err := networkAt(t, bogus, good.Addr()).LookupTXT(ctxT(t), "mt.test")
	if err != nil || len(txt) == 0 {
		t.Fatalf("TXT = %q, %v; want the good server's records", txt, err)
	}
}

// soaMT is the SOA of mt.test, for the authority section of a negative
// answer (RFC 2308 §3).
const soaMT = "mt.test. 60 IN SOA ns.mt.test. hostmaster.mt.test. 1 7200 900 1209600 60"

func ipOfErr(host string) func(dns.Resolver) error {
	return func(r dns.Resolver) error { _, err := r.LookupIP(context.Background(), host); return err }
}

func txtOfErr(name string) func(dns.Resolver) error {
	return func(r dns.Resolver) error { _, err := r.LookupTXT(context.Background(), name); return err }
}

func mxOfErr(name string) func(dns.Resolver) error {
	return func(r dns.Resolver) error { _, err := r.LookupMX(context.Background(), name); return err }
}

func ptrOfErr(ip string) func(dns.Resolver) error {
	return func(r dns.Resolver) error {
		_, err := r.LookupPTR(context.Background(), netip.MustParseAddr(ip))
		return err
	}
}

// TestNetworkTruncatedWithoutTCP: a server that answers over UDP with TC
// set and cannot be reached over TCP did answer (RFC 7766 §5): that one
// lookup fails as temporary, no cooldown starts, and the next lookups are
// asked as usual. From the audit's tcbadhelo.eml, whose truncated TXT
// answer made every later lookup "DNS was unavailable" for 30s.
func TestNetworkTruncatedWithoutTCP(t *testing.T) {
	answer := answering(t, mdns.RcodeSuccess, `$Q 60 IN TXT "v=spf1 -all"`)
	addr := rawServer(t, func(q []byte) []byte { // UDP only: no TCP listener
		out := answer(q)
		var m mdns.Msg
		if out == nil || m.Unpack(out) != nil {
			return nil
		}
		if strings.HasPrefix(m.Question[0].Name, "tc.") {
			m.Truncated, m.Answer = true, nil
			out, _ = m.Pack()
		}
		return out
	})
	n, err := dns.NewNetwork(dns.Options{Servers: []string{addr}, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.LookupTXT(ctxT(t), "tc.mt.test")
	if !errors.Is(err, dns.ErrTemporary) || errors.Is(err, dns.ErrUnreachable) {
		t.Fatalf("truncated, no TCP: error = %v, want temporary, not unreachable", err)
	}
	if !strings.Contains(err.Error(), "truncated") {
		t.Errorf("error %q does not say the reply was truncated", err)
	}
	if txt, err := n.LookupTXT(ctxT(t), "next.mt.test"); err != nil || len(txt) != 1 {
		t.Errorf("the next lookup: %q, %v; want it asked and answered", txt, err)
	}
}

// serving returns a rawServer reply function that answers from zone, the
// records of each name (any type asked gets them all), and NXDOMAIN for
// names it lacks; asked counts the queries per name. Unlike dnstest, it
// does not follow CNAMEs: an answer stops at the alias, as from a server
// authoritative for the alias but not for its target.
func serving(t *testing.T, zone map[string][]string, asked map[string]int, mu *sync.Mutex) func([]byte) []byte {
	return func(query []byte) []byte {
		var m mdns.Msg
		if m.Unpack(query) != nil || len(m.Question) != 1 {
			return nil
		}
		q := m.Question[0]
		mu.Lock()
		asked[q.Name]++
		mu.Unlock()
		rrs, ok := zone[q.Name]
		if !ok {
			r := new(mdns.Msg)
			r.SetRcode(&m, mdns.RcodeNameError)
			out, _ := r.Pack()
			return out
		}
		return answering(t, mdns.RcodeSuccess, rrs...)(query)
	}
}

// TestNetworkCNAMERestart: an answer that ends in a CNAME without its
// target's records, and without the SOA of the target's zone that would
// make it NODATA, is followed by a query for the target (RFC 1034 §5.3.3),
// at most MaxCNAMEDepth times and never twice for a name. From the
// audit's part.zone and alias.eml, where "alias CNAME relay.example.com."
// alone was read as "no address" and raised rdns-unconfirmed.
func TestNetworkCNAMERestart(t *testing.T) {
	long := map[string][]string{}
	for i := range dns.MaxCNAMEDepth + 1 {
		long[fmt.Sprintf("c%d.test.", i)] = []string{fmt.Sprintf("$Q 60 IN CNAME c%d.test.", i+1)}
	}
	long[fmt.Sprintf("c%d.test.", dns.MaxCNAMEDepth+1)] = []string{"$Q 60 IN A 192.0.2.99"}
	tests := []struct {
		name  string
		zone  map[string][]string
		host  string
		want  []netip.Addr
		err   error
		asked map[string]int // queries (A and AAAA) per name
	}{
		{"target elsewhere", map[string][]string{
			"alias.mt.test.":    {"$Q 60 IN CNAME relay.other.test."},
			"relay.other.test.": {"$Q 60 IN A 192.0.2.10"},
		}, "alias.mt.test", []netip.Addr{netip.MustParseAddr("192.0.2.10")}, nil, map[string]int{"relay.other.test.": 2}},
		{"two restarts", map[string][]string{
			"alias.mt.test.": {"$Q 60 IN CNAME b.other.test."},
			"b.other.test.":  {"$Q 60 IN CNAME c.third.test."},
			"c.third.test.":  {"$Q 60 IN AAAA 2001:db8::10"},
		}, "alias.mt.test", []netip.Addr{netip.MustParseAddr("2001:db8::10")}, nil, map[string]int{"c.third.test.": 2}},
		{"target missing", map[string][]string{
			"alias.mt.test.": {"$Q 60 IN CNAME gone.other.test."},
		}, "alias.mt.test", nil, dns.ErrNotFound, map[string]int{"gone.other.test.": 2}},
		{"NODATA with the target's SOA is final", map[string][]string{
			"alias.mt.test.": {"$Q 60 IN CNAME a.other.test.", "other.test. 60 IN SOA ns.other.test. h.other.test. 1 2 3 4 60"},
		}, "alias.mt.test", nil, dns.ErrNoData, map[string]int{"a.other.test.": 0}},
		{"loop", map[string][]string{
			"a.mt.test.":    {"$Q 60 IN CNAME b.other.test."},
			"b.other.test.": {"$Q 60 IN CNAME a.mt.test."},
		}, "a.mt.test", nil, dns.ErrPermanent, map[string]int{"a.mt.test.": 2, "b.other.test.": 2}},
		{"too long", long, "c0.test", nil, dns.ErrPermanent,
			map[string]int{fmt.Sprintf("c%d.test.", dns.MaxCNAMEDepth): 2, fmt.Sprintf("c%d.test.", dns.MaxCNAMEDepth+1): 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			asked := map[string]int{}
			n := networkAt(t, rawServer(t, serving(t, tt.zone, asked, &mu)))
			ips, err := n.LookupIP(ctxT(t), tt.host)
			if !slices.Equal(ips, tt.want) || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("LookupIP = %v, %v; want %v, %v", ips, err, tt.want, tt.err)
			}
			mu.Lock()
			defer mu.Unlock()
			for name, want := range tt.asked {
				if asked[name] != want {
					t.Errorf("%s asked %d times, want %d", name, asked[name], want)
				}
			}
		})
	}
}
