package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// maxCNAMEHops bounds the CNAME chain followed inside one answer. Loops are
// detected as soon as a name repeats.
const maxCNAMEHops = 16

// question is one lookup: a record type and a canonical name (see
// canonName). For PTR the name is the reverse name and ip the address it
// came from, so resolvers that only have LookupPTR can still answer.
type question struct {
	qtype uint16
	name  string
	ip    netip.Addr
}

func (q question) String() string { return mdns.TypeToString[q.qtype] + " " + q.name }

// answer is what a lookup found, with how long it may be kept. On a
// negative answer (ErrNotFound, ErrNoData) only ttl is meaningful.
type answer struct {
	addrs  []netip.Addr // A, AAAA
	names  []string     // PTR targets, or the one CNAME target
	mx     []MX
	txt    []string
	ttl    time.Duration
	hasTTL bool // false: the resolver does not know, a cache uses its default
	// restart is where the CNAME chain of a NOERROR answer without the
	// records asked for left off, when nothing in the answer says that
	// name has none (no SOA of its zone): a server authoritative for the
	// alias but not for its target gives the CNAME alone (RFC 1034 §4.3.2
	// step 3a), and the query is to be restarted at the target (§5.3.3).
	// restartTTL is the smallest TTL of the chain to it.
	restart    string
	restartTTL time.Duration
}

func (a answer) clone() answer {
	a.addrs = slices.Clone(a.addrs)
	a.names = slices.Clone(a.names)
	a.mx = slices.Clone(a.mx)
	a.txt = slices.Clone(a.txt)
	return a
}

// looker is the richer interface behind the Resolver methods: one question
// at a time, with TTLs, so that the Cache can honour them. Network, Zone,
// Cache and the zone-over-network overlay implement it.
type looker interface {
	lookup(ctx context.Context, q question) (answer, error)
}

// front implements Resolver on top of a looker.
type front struct{ l looker }

// LookupPTR returns the names of ip's PTR records.
func (f front) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	name, err := reverseName(ip)
	if err != nil {
		return nil, fmt.Errorf("lookup PTR %s: %w", ip, err)
	}
	a, err := f.l.lookup(ctx, question{qtype: mdns.TypePTR, name: name, ip: ip})
	return a.names, err
}

// LookupIP returns the A and AAAA addresses of host, queried concurrently,
// IPv4 first. As with net.LookupIP, when one family has addresses the other
// family's failure is not reported.
func (f front) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	name, err := canonName(host)
	if err != nil {
		return nil, fmt.Errorf("lookup A/AAAA: %w", err)
	}
	v4, v6 := lookupBoth(ctx, f.l, name)
	return mergeFamilies(v4, v6)
}

// LookupMX returns the MX records of domain in answer order.
func (f front) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	a, err := f.lookupName(ctx, mdns.TypeMX, domain)
	return a.mx, err
}

// LookupTXT returns one string per TXT record, its character-strings joined.
func (f front) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := f.lookupName(ctx, mdns.TypeTXT, name)
	return a.txt, err
}

// LookupCNAME returns the target of name's CNAME, or ErrNoData.
func (f front) LookupCNAME(ctx context.Context, name string) (string, error) {
	a, err := f.lookupName(ctx, mdns.TypeCNAME, name)
	if err != nil || len(a.names) == 0 {
		return "", err
	}
	return a.names[0], nil
}

func (f front) lookupName(ctx context.Context, qtype uint16, name string) (answer, error) {
	n, err := canonName(name)
	if err != nil {
		return answer{}, fmt.Errorf("lookup %s: %w", mdns.TypeToString[qtype], err)
	}
	return f.l.lookup(ctx, question{qtype: qtype, name: n})
}

type familyResult struct {
	a   answer
	err error
}

// lookupBoth runs the A and AAAA questions for a canonical name concurrently.
func lookupBoth(ctx context.Context, l looker, name string) (v4, v6 familyResult) {
	var wg sync.WaitGroup
	wg.Go(func() { v6.a, v6.err = l.lookup(ctx, question{qtype: mdns.TypeAAAA, name: name}) })
	v4.a, v4.err = l.lookup(ctx, question{qtype: mdns.TypeA, name: name})
	wg.Wait()
	return v4, v6
}

// mergeFamilies combines A and AAAA results. With no address at all the
// most telling error wins: temporary over permanent over "no data" over
// "not found".
func mergeFamilies(v4, v6 familyResult) ([]netip.Addr, error) {
	addrs := append(slices.Clone(v4.a.addrs), v6.a.addrs...)
	if len(addrs) > 0 {
		return addrs, nil
	}
	for _, sentinel := range []error{ErrTemporary, ErrPermanent, ErrOffline, ErrNoData, ErrNotFound} {
		if errors.Is(v4.err, sentinel) {
			return nil, v4.err
		}
		if errors.Is(v6.err, sentinel) {
			return nil, v6.err
		}
	}
	if v4.err != nil {
		return nil, v4.err
	}
	if v6.err != nil {
		return nil, v6.err
	}
	return nil, fmt.Errorf("lookup A/AAAA: %w", ErrNoData)
}

// interpret reads the records answering q out of a response: it follows the
// CNAME chain inside the answer section (RFC 1034 §4.3.2 step 3a; records
// of other owners are ignored, as a resolver must not trust them), keeps the
// smallest TTL met on the way, and maps an empty result to ErrNotFound or
// ErrNoData with the negative TTL of the SOA in the authority section
// (RFC 2308 §5). The error is not yet wrapped with the question.
func interpret(q question, rcode int, ans, ns []mdns.RR) (answer, error) {
	var a answer
	ttl := uint32(1<<31 - 1)
	name := mdns.Fqdn(q.name)
	seen := map[string]bool{strings.ToLower(name): true}
	for hop := 0; ; hop++ {
		if found := collect(&a, q.qtype, name, ans, &ttl); found {
			a.ttl, a.hasTTL = time.Duration(ttl)*time.Second, true
			return a, nil
		}
		if q.qtype == mdns.TypeCNAME {
			break
		}
		target, cttl, ok := cnameOf(name, ans)
		if !ok {
			break
		}
		ttl = min(ttl, cttl)
		key := strings.ToLower(target)
		if seen[key] {
			return a, fmt.Errorf("CNAME loop at %s: %w", canonTarget(target), ErrPermanent)
		}
		if hop >= maxCNAMEHops {
			return a, fmt.Errorf("CNAME chain longer than %d: %w", maxCNAMEHops, ErrPermanent)
		}
		seen[key] = true
		name = target
	}
	if a.ttl, a.hasTTL = negativeTTL(ns); a.hasTTL {
		a.ttl = min(a.ttl, time.Duration(ttl)*time.Second) // the CNAMEs followed count too
	}
	switch rcode {
	case mdns.RcodeNameError:
		return a, ErrNotFound
	case mdns.RcodeYXDomain:
		// RFC 6672 §2.2: a DNAME made the name too long. Not an answer
		// about the name, as a server's YXDOMAIN is not (Network.try).
		return a, fmt.Errorf("%w: a DNAME substitution gives a name longer than DNS allows (YXDOMAIN)", ErrTemporary)
	}
	if !strings.EqualFold(name, mdns.Fqdn(q.name)) && !soaAbove(name, ns) {
		a.restart, a.restartTTL = canonTarget(name), time.Duration(ttl)*time.Second
	}
	return a, ErrNoData
}

// soaAbove reports whether the authority section holds the SOA of the zone
// of name, or of a zone above it: a NODATA answer about name (RFC 2308 §2.2).
func soaAbove(name string, ns []mdns.RR) bool {
	for _, rr := range ns {
		if soa, ok := rr.(*mdns.SOA); ok && mdns.IsSubDomain(soa.Hdr.Name, name) {
			return true
		}
	}
	return false
}

// collect adds the records of qtype owned by name to a.
func collect(a *answer, qtype uint16, name string, rrs []mdns.RR, ttl *uint32) bool {
	found := false
	for _, rr := range rrs {
		h := rr.Header()
		if h.Rrtype != qtype || h.Class != mdns.ClassINET || !strings.EqualFold(h.Name, name) {
			continue
		}
		if !addRecord(a, rr) {
			continue
		}
		found = true
		*ttl = min(*ttl, h.Ttl)
	}
	return found
}

func addRecord(a *answer, rr mdns.RR) bool {
	switch rr := rr.(type) {
	case *mdns.A:
		ip, ok := netip.AddrFromSlice(rr.A)
		if !ok {
			return false
		}
		a.addrs = append(a.addrs, ip.Unmap())
	case *mdns.AAAA:
		ip, ok := netip.AddrFromSlice(rr.AAAA)
		if !ok {
			return false
		}
		a.addrs = append(a.addrs, ip)
	case *mdns.MX:
		a.mx = append(a.mx, MX{Preference: rr.Preference, Host: canonTarget(rr.Mx)})
	case *mdns.TXT:
		a.txt = append(a.txt, joinTXT(rr.Txt))
	case *mdns.PTR:
		a.names = append(a.names, canonTarget(rr.Ptr))
	case *mdns.CNAME:
		a.names = append(a.names[:0], canonTarget(rr.Target))
	default:
		return false
	}
	return true
}

func cnameOf(name string, rrs []mdns.RR) (target string, ttl uint32, ok bool) {
	for _, rr := range rrs {
		c, isCNAME := rr.(*mdns.CNAME)
		if isCNAME && c.Hdr.Class == mdns.ClassINET && strings.EqualFold(c.Hdr.Name, name) {
			return c.Target, c.Hdr.Ttl, true
		}
	}
	return "", 0, false
}

// negativeTTL is min(SOA TTL, SOA MINIMUM) of the authority section's SOA
// (RFC 2308 §5); without a SOA the TTL is unknown.
func negativeTTL(ns []mdns.RR) (time.Duration, bool) {
	for _, rr := range ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second, true
		}
	}
	return 0, false
}

// checkOwners rejects an answer section that answers nothing about q but
// holds records of an unrelated owner: neither q's name nor a name its
// CNAME chain reaches (nor a DNAME above one, RFC 6672 §2.3). Such a
// response is bogus (RFC 1035 §7.3): read as NODATA it would make "no
// record" out of an answer about another name. When the chain does reach
// records of the type asked, strays are ignored as interpret ignores them.
func checkOwners(q question, ans []mdns.RR) error {
	chain := map[string]bool{}
	name := strings.ToLower(mdns.Fqdn(q.name))
	for hop := 0; hop <= maxCNAMEHops && !chain[name]; hop++ {
		chain[name] = true
		if q.qtype == mdns.TypeCNAME {
			break
		}
		target, _, ok := cnameOf(name, ans)
		if !ok {
			break
		}
		name = strings.ToLower(target)
	}
	var stray string
	for _, rr := range ans {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		if chain[owner] && h.Rrtype == q.qtype && h.Class == mdns.ClassINET {
			return nil // the question is answered
		}
		if stray == "" && !chain[owner] && !(h.Rrtype == mdns.TypeDNAME && aboveAny(owner, chain)) {
			stray = owner
		}
	}
	if stray != "" {
		return fmt.Errorf("answer about %s, not %s", canonTarget(stray), q.name)
	}
	return nil
}

// aboveAny reports whether owner is a proper ancestor of one of names.
func aboveAny(owner string, names map[string]bool) bool {
	for n := range names {
		if n != owner && mdns.IsSubDomain(owner, n) {
			return true
		}
	}
	return false
}
