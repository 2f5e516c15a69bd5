package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

// fakeClock is the cache's clock in tests: time moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cached returns a cache over a Network resolver asking srv, with a
// timeout well above the delays the tests give servers.
func cached(t *testing.T, srv *dnstest.Server, opts dns.CacheOptions) *dns.Cache {
	n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return dns.NewCache(n, opts)
}

// TestCacheTTL follows short.mt.test: its A record has TTL 30, its AAAA
// question is NODATA with the zone's negative TTL of 60 (RFC 2308 §5).
func TestCacheTTL(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	clk := newClock()
	c := cached(t, srv, dns.CacheOptions{Now: clk.Now})
	steps := []struct {
		advance time.Duration
		queries int // total queries the server has seen after the lookup
	}{
		{0, 2},                // A and AAAA
		{0, 2},                // both cached
		{29 * time.Second, 2}, // t=29: both still fresh
		{2 * time.Second, 3},  // t=31: A expired, NODATA still cached
		{30 * time.Second, 5}, // t=61: A (fetched at 31) fresh until 61, AAAA expired: both
		{10 * time.Second, 5}, // t=71
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		ips, err := c.LookupIP(ctxT(t), "short.mt.test")
		if err != nil || fmt.Sprint(ips) != "[192.0.2.50]" {
			t.Fatalf("step %d: %v, %v", i, ips, err)
		}
		if got := srv.Queries(); got != s.queries {
			t.Errorf("step %d: server saw %d queries, want %d", i, got, s.queries)
		}
	}
	st := c.Stats()
	if st.Misses != 5 || st.Hits != 7 || st.Lookups() != 12 {
		t.Errorf("stats = %+v, want 5 misses and 7 hits", st)
	}
}

func TestCacheNegative(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	clk := newClock()
	c := cached(t, srv, dns.CacheOptions{Now: clk.Now})
	for i, advance := range []time.Duration{0, 0, 59 * time.Second, 2 * time.Second} {
		clk.Advance(advance)
		if _, err := c.LookupMX(ctxT(t), "nope.mt.test"); !errors.Is(err, dns.ErrNotFound) {
			t.Fatalf("lookup %d: %v, want ErrNotFound", i, err)
		}
	}
	if got := srv.Queries(); got != 2 { // the first, and after the 60 s negative TTL
		t.Errorf("server saw %d queries, want 2", got)
	}
}

func TestCacheMaxTTL(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	clk := newClock()
	c := cached(t, srv, dns.CacheOptions{Now: clk.Now, MaxTTL: 10 * time.Minute})
	for _, advance := range []time.Duration{0, 9 * time.Minute, 2 * time.Minute} {
		clk.Advance(advance)
		if _, err := c.LookupTXT(ctxT(t), "mt.test"); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Queries(); got != 2 { // TTL 300 s: the second lookup hits, the third does not
		t.Errorf("server saw %d queries, want 2", got)
	}
	for _, advance := range []time.Duration{0, 9 * time.Minute, 2 * time.Minute} {
		clk.Advance(advance)
		if _, err := c.LookupCNAME(ctxT(t), "alias.mt.test"); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.QueriesFor("alias.mt.test"); got != 2 {
		t.Errorf("alias: %d queries, want 2 (TTL 300 s)", got)
	}
	before := srv.QueriesFor("long.mt.test")
	for _, advance := range []time.Duration{0, 9 * time.Minute, 2 * time.Minute} { // TTL 86400 capped at 10 min
		clk.Advance(advance)
		if _, err := c.LookupIP(ctxT(t), "long.mt.test"); err != nil {
			t.Fatal(err)
		}
	}
	// A is capped at 10 min; the AAAA NODATA has TTL 60 s and is asked each time.
	if got := srv.QueriesFor("long.mt.test") - before; got != 5 {
		t.Errorf("long: %d queries, want 5 (A twice, AAAA three times)", got)
	}
}

// plain hides the TTL-aware side of a resolver: the cache must use its
// default TTL and ask LookupIP once for both families.
type plain struct {
	dns.Resolver
	ipCalls, mxCalls atomic.Int32
}

func (p *plain) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	p.ipCalls.Add(1)
	return p.Resolver.LookupIP(ctx, host)
}

func (p *plain) LookupMX(ctx context.Context, domain string) ([]dns.MX, error) {
	p.mxCalls.Add(1)
	return p.Resolver.LookupMX(ctx, domain)
}

func TestCacheDefaultTTL(t *testing.T) {
	p := &plain{Resolver: loadZone(t, testZone)}
	clk := newClock()
	c := dns.NewCache(p, dns.CacheOptions{Now: clk.Now, DefaultTTL: 5 * time.Minute})
	ctx := ctxT(t)
	for _, advance := range []time.Duration{0, 4 * time.Minute, 2 * time.Minute} {
		clk.Advance(advance)
		if ips, err := c.LookupIP(ctx, "www.mt.test"); err != nil || len(ips) != 2 {
			t.Fatalf("LookupIP: %v, %v", ips, err)
		}
		if _, err := c.LookupMX(ctx, "nope.mt.test"); !errors.Is(err, dns.ErrNotFound) {
			t.Fatalf("LookupMX: %v", err)
		}
	}
	if p.ipCalls.Load() != 2 || p.mxCalls.Load() != 2 {
		t.Errorf("calls: LookupIP %d, LookupMX %d, want 2 each", p.ipCalls.Load(), p.mxCalls.Load())
	}
	if txt, err := c.LookupTXT(ctx, "multi.mt.test"); err != nil || len(txt) != 2 {
		t.Errorf("LookupTXT: %v, %v", txt, err)
	}
	if target, err := c.LookupCNAME(ctx, "alias.mt.test"); err != nil || target != "www.mt.test" {
		t.Errorf("LookupCNAME: %q, %v", target, err)
	}
	if names, err := c.LookupPTR(ctx, netip.MustParseAddr("192.0.2.25")); err != nil || fmt.Sprint(names) != "[mx1.mt.test]" {
		t.Errorf("LookupPTR: %v, %v", names, err)
	}
	// Checks ask one family; the cache answers it from the LookupIP entry.
	if res := dns.CheckHostIP(ctx, c, "www.mt.test", netip.MustParseAddr("2001:db8::10")); res.Status != dns.StatusPass {
		t.Errorf("CheckHostIP through plain resolver: %+v", res)
	}
	if res := dns.CheckIPRev(ctx, c, netip.MustParseAddr("192.0.2.10")); res.Status != dns.StatusPass {
		t.Errorf("CheckIPRev through plain resolver: %+v", res)
	}
}

// TestCacheMergesInFlight starts many identical lookups while the server
// takes its time: one query must reach it.
func TestCacheMergesInFlight(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone), dnstest.WithDelay(200*time.Millisecond))
	c := cached(t, srv, dns.CacheOptions{})
	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = c.LookupMX(ctxT(t), "mt.test")
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("lookup %d: %v", i, err)
		}
	}
	if got := srv.QueriesFor("mt.test"); got != 1 {
		t.Errorf("server saw %d queries, want 1", got)
	}
	if st := c.Stats(); st.Misses != 1 || st.Merged != n-1 {
		t.Errorf("stats = %+v, want 1 miss and %d merged", st, n-1)
	}
}

// TestCacheCallerGivesUp: a waiter that leaves does not spoil the lookup
// for the others; when every waiter leaves, the lookup is dropped, not
// cached.
func TestCacheCallerGivesUp(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone), dnstest.WithDelay(200*time.Millisecond))
	c := cached(t, srv, dns.CacheOptions{})

	impatient, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var impatientErr error
	wg.Go(func() { _, impatientErr = c.LookupMX(impatient, "mt.test") })
	time.AfterFunc(30*time.Millisecond, cancel)
	mx, err := c.LookupMX(ctxT(t), "mt.test")
	wg.Wait()
	if err != nil || len(mx) != 3 {
		t.Errorf("patient caller: %v, %v", mx, err)
	}
	if !errors.Is(impatientErr, context.Canceled) || !errors.Is(impatientErr, dns.ErrTemporary) {
		t.Errorf("impatient caller: %v, want ErrTemporary and context.Canceled", impatientErr)
	}

	alone, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel2)
	if _, err := c.LookupTXT(alone, "mt.test"); !errors.Is(err, context.Canceled) {
		t.Errorf("alone: %v", err)
	}
	if _, err := c.LookupTXT(ctxT(t), "mt.test"); err != nil {
		t.Errorf("after abandoned lookup: %v", err)
	}
	if st := c.Stats(); st.TempErrors != 0 || st.Misses != 3 {
		t.Errorf("stats = %+v: an abandoned lookup is neither cached nor counted as a DNS failure", st)
	}
}

func TestCacheEviction(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	c := cached(t, srv, dns.CacheOptions{MaxEntries: 2})
	for _, name := range []string{"mt.test", "maildom.mt.test", "nomail.mt.test", "nomail.mt.test", "mt.test"} {
		if _, err := c.LookupMX(ctxT(t), name); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Entries != 2 || st.Evictions != 2 || st.Hits != 1 {
		t.Errorf("stats = %+v, want 2 entries, 2 evictions, 1 hit", st)
	}
	if got := srv.QueriesFor("mt.test"); got != 2 {
		t.Errorf("mt.test asked %d times, want 2 (evicted as the oldest)", got)
	}
}

func TestCacheFailures(t *testing.T) {
	silent := dnstest.NewServer(t, dnstest.WithNoAnswer())
	servfail := dnstest.NewServer(t, dnstest.WithRcode("mt.test", dnstest.ServFail))
	tests := []struct {
		name        string
		srv         *dnstest.Server
		failureTTL  time.Duration
		queries     int // after lookups at t=0, t=0, t=31s
		unreachable uint64
	}{
		{"unreachable cached", silent, 0, 2, 2},
		{"servfail cached", servfail, 0, 2, 0},
		{"not cached", servfail, -1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			// The resolver's own cooldown (TestNetworkCooldown) runs on the
			// real clock: it is kept out of the cache's clock here.
			n, err := dns.NewNetwork(dns.Options{Servers: []string{tt.srv.Addr()}, Timeout: 300 * time.Millisecond, Attempts: 1, Cooldown: time.Nanosecond})
			if err != nil {
				t.Fatal(err)
			}
			c := dns.NewCache(n, dns.CacheOptions{Now: clk.Now, FailureTTL: tt.failureTTL})
			before := tt.srv.Queries()
			for _, advance := range []time.Duration{0, 0, 31 * time.Second} {
				clk.Advance(advance)
				if _, err := c.LookupMX(ctxT(t), "mt.test"); !errors.Is(err, dns.ErrTemporary) {
					t.Fatalf("error = %v, want ErrTemporary", err)
				}
			}
			if got := tt.srv.Queries() - before; got != tt.queries {
				t.Errorf("server saw %d queries, want %d", got, tt.queries)
			}
			st, ok := dns.StatsOf(c)
			if !ok || st.TempErrors != uint64(tt.queries) || st.Unreachable != tt.unreachable || st.Unavailable() != (tt.unreachable > 0) {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestCacheReturnsCopies(t *testing.T) {
	c := dns.NewCache(loadZone(t, testZone), dns.CacheOptions{})
	ctx := ctxT(t)
	mx, _ := c.LookupMX(ctx, "mt.test")
	mx[0].Host = "evil.test"
	again, _ := c.LookupMX(ctx, "mt.test")
	if again[0].Host != "mx1.mt.test" {
		t.Errorf("cached answer changed by a caller: %v", again)
	}
	if _, ok := dns.StatsOf(loadZone(t, testZone)); ok {
		t.Error("StatsOf(Zone) reports stats")
	}
}
