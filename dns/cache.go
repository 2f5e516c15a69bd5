package dns

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// CacheOptions configures a Cache. The zero value is usable.
type CacheOptions struct {
	// MaxEntries bounds the cache (default 100000); the entries stored
	// longest ago are dropped first.
	MaxEntries int
	// DefaultTTL is used for answers, positive or negative, that come
	// without a TTL: from a Resolver that does not report TTLs, or a
	// negative answer without SOA (default 5m).
	DefaultTTL time.Duration
	// MaxTTL caps every TTL (default 1h): a run is short, a huge TTL only
	// keeps memory.
	MaxTTL time.Duration
	// FailureTTL is how long a temporary or permanent failure is
	// remembered (default 30s, within the 5 minutes RFC 2308 §7.1 allows
	// for SERVFAIL), so that an unreachable network costs one timeout per
	// name, not one per message. Negative: failures are not cached.
	FailureTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Stats counts what a Cache did since it was made.
type Stats struct {
	Hits      uint64 `json:"hits"`      // answered from the cache
	Misses    uint64 `json:"misses"`    // lookups sent to the wrapped resolver
	Merged    uint64 `json:"merged"`    // lookups that joined an identical one in flight
	Evictions uint64 `json:"evictions"` // entries dropped to stay within MaxEntries
	Entries   int    `json:"entries"`   // entries held now, expired ones included
	// TempErrors counts upstream lookups that failed with ErrTemporary,
	// Unreachable those of them where no server answered at all.
	TempErrors  uint64 `json:"temp_errors"`
	Unreachable uint64 `json:"unreachable"`
}

// Lookups is the number of lookups the cache was asked for.
func (s Stats) Lookups() uint64 { return s.Hits + s.Misses + s.Merged }

// Unavailable reports whether some lookup found no DNS server answering:
// results that depend on DNS should then say "DNS was unavailable".
func (s Stats) Unavailable() bool { return s.Unreachable > 0 }

// StatsOf returns the stats of r when r keeps some (a Cache, or what New
// returns).
func StatsOf(r Resolver) (Stats, bool) {
	s, ok := r.(interface{ Stats() Stats })
	if !ok {
		return Stats{}, false
	}
	return s.Stats(), true
}

// Cache wraps a Resolver with positive and negative caching that honours
// the TTLs the resolver reports (Network and Zone do; other resolvers get
// DefaultTTL), and merges identical lookups in flight into one. It is safe
// for concurrent use and meant to be shared by every message of a run.
type Cache struct {
	front
	inner Resolver
	rich  looker // inner's TTL-aware side, nil if it has none
	opts  CacheOptions

	mu      sync.Mutex
	entries map[cacheKey]*list.Element // values are *entry
	order   *list.List                 // oldest stored first
	flights map[cacheKey]*flight
	stats   Stats
}

// typeIP is the key of LookupIP results of a resolver that cannot tell the
// two families apart (a code from the private-use range, RFC 6895 §3.1).
const typeIP uint16 = 65280

type cacheKey struct {
	qtype uint16
	name  string
}

type entry struct {
	key     cacheKey
	a       answer
	err     error
	expires time.Time
}

// flight is a lookup in progress. Waiters that give up lower the count;
// the last one to leave cancels the lookup.
type flight struct {
	done    chan struct{}
	a       answer
	err     error
	waiters int
	cancel  context.CancelFunc
}

// NewCache wraps r.
func NewCache(r Resolver, opts CacheOptions) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100_000
	}
	opts.DefaultTTL = cmp(opts.DefaultTTL, 5*time.Minute)
	opts.MaxTTL = cmp(opts.MaxTTL, time.Hour)
	if opts.FailureTTL == 0 {
		opts.FailureTTL = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Cache{
		inner:   r,
		opts:    opts,
		entries: make(map[cacheKey]*list.Element),
		order:   list.New(),
		flights: make(map[cacheKey]*flight),
	}
	c.rich, _ = r.(looker)
	c.front = front{c}
	return c
}

// Stats returns the counters so far.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = c.order.Len()
	return s
}

// LookupIP is front.LookupIP, except that a resolver without TTLs is asked
// with one LookupIP rather than once per family.
func (c *Cache) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.rich != nil {
		return c.front.LookupIP(ctx, host)
	}
	name, err := canonName(host)
	if err != nil {
		return nil, fmt.Errorf("lookup A/AAAA: %w", err)
	}
	a, err := c.do(ctx, cacheKey{typeIP, name}, func(ctx context.Context) (answer, error) {
		addrs, err := c.inner.LookupIP(ctx, name)
		return answer{addrs: addrs}, err
	})
	return a.addrs, err
}

func (c *Cache) lookup(ctx context.Context, q question) (answer, error) {
	if c.rich != nil {
		return c.do(ctx, cacheKey{q.qtype, q.name}, func(ctx context.Context) (answer, error) {
			return c.rich.lookup(ctx, q)
		})
	}
	if q.qtype == mdns.TypeA || q.qtype == mdns.TypeAAAA {
		return c.lookupFamily(ctx, q)
	}
	return c.do(ctx, cacheKey{q.qtype, q.name}, func(ctx context.Context) (answer, error) {
		return plainLookup(ctx, c.inner, q)
	})
}

// lookupFamily answers an A or AAAA question from a resolver that only has
// LookupIP.
func (c *Cache) lookupFamily(ctx context.Context, q question) (answer, error) {
	addrs, err := c.LookupIP(ctx, q.name)
	if err != nil {
		return answer{}, err
	}
	var a answer
	for _, ip := range addrs {
		if ip.Unmap().Is4() == (q.qtype == mdns.TypeA) {
			a.addrs = append(a.addrs, ip.Unmap())
		}
	}
	if len(a.addrs) == 0 {
		return a, fmt.Errorf("lookup %s: %w", q, ErrNoData)
	}
	return a, nil
}

// plainLookup asks a Resolver that reports no TTL.
func plainLookup(ctx context.Context, r Resolver, q question) (a answer, err error) {
	switch q.qtype {
	case mdns.TypePTR:
		a.names, err = r.LookupPTR(ctx, q.ip)
	case mdns.TypeMX:
		a.mx, err = r.LookupMX(ctx, q.name)
	case mdns.TypeTXT:
		a.txt, err = r.LookupTXT(ctx, q.name)
	case mdns.TypeCNAME:
		var target string
		if target, err = r.LookupCNAME(ctx, q.name); err == nil {
			a.names = []string{target}
		}
	default:
		err = fmt.Errorf("lookup %s: unsupported type: %w", q, ErrPermanent)
	}
	return a, err
}

// do returns the cached result for key, joins a lookup in flight, or starts
// one. The lookup runs detached from the caller's cancellation so that
// other waiters are not hurt when the first caller gives up.
func (c *Cache) do(ctx context.Context, key cacheKey, fetch func(context.Context) (answer, error)) (answer, error) {
	if err := ctx.Err(); err != nil {
		return answer{}, fmt.Errorf("lookup %s %s: %w: %w", typeName(key.qtype), key.name, ErrTemporary, err)
	}
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry)
		if c.opts.Now().Before(e.expires) {
			c.stats.Hits++
			c.mu.Unlock()
			return e.a.clone(), e.err
		}
	}
	f, ok := c.flights[key]
	if ok {
		c.stats.Merged++
		f.waiters++
	} else {
		c.stats.Misses++
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
		c.flights[key] = f
		go c.run(fctx, key, f, fetch)
	}
	c.mu.Unlock()
	return c.wait(ctx, key, f)
}

func (c *Cache) wait(ctx context.Context, key cacheKey, f *flight) (answer, error) {
	select {
	case <-f.done:
		return f.a.clone(), f.err
	case <-ctx.Done():
	}
	select {
	case <-f.done: // both were ready: the answer is worth more
		return f.a.clone(), f.err
	default:
	}
	c.mu.Lock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if c.flights[key] == f {
			delete(c.flights, key) // a newcomer must not join a cancelled lookup
		}
	}
	c.mu.Unlock()
	return answer{}, fmt.Errorf("lookup %s %s: %w: %w", typeName(key.qtype), key.name, ErrTemporary, ctx.Err())
}

func (c *Cache) run(ctx context.Context, key cacheKey, f *flight, fetch func(context.Context) (answer, error)) {
	a, err := fetch(ctx)
	f.a, f.err = a, err
	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	if ctx.Err() == nil { // abandoned lookups say nothing about DNS
		c.count(err)
		c.store(key, a, err)
	}
	c.mu.Unlock()
	f.cancel()
	close(f.done)
}

func (c *Cache) count(err error) {
	if errors.Is(err, ErrTemporary) {
		c.stats.TempErrors++
		if errors.Is(err, ErrUnreachable) {
			c.stats.Unreachable++
		}
	}
}

func (c *Cache) store(key cacheKey, a answer, err error) {
	ttl := c.ttlFor(a, err)
	if old, ok := c.entries[key]; ok {
		c.order.Remove(old)
		delete(c.entries, key)
	}
	if ttl <= 0 {
		return
	}
	e := &entry{key: key, a: a, err: err, expires: c.opts.Now().Add(ttl)}
	c.entries[key] = c.order.PushBack(e)
	for c.order.Len() > c.opts.MaxEntries {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry).key)
		c.stats.Evictions++
	}
}

// ttlFor says how long a result stays: its own TTL when the resolver gave
// one (RFC 1035 §3.2.1; negative answers RFC 2308 §5), capped by MaxTTL; a
// TTL of 0 means "use once" and is not stored.
func (c *Cache) ttlFor(a answer, err error) time.Duration {
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNoData) {
		return c.opts.FailureTTL
	}
	if !a.hasTTL {
		return min(c.opts.DefaultTTL, c.opts.MaxTTL)
	}
	return min(a.ttl, c.opts.MaxTTL)
}

func typeName(qtype uint16) string {
	if qtype == typeIP {
		return "A/AAAA"
	}
	return mdns.TypeToString[qtype]
}
