package dns

import (
	"context"
	"net/netip"

	mdns "github.com/miekg/dns"
)

// FamilyResolver is a Resolver that can ask for one address family alone.
// The checks need it: "does host resolve to this IPv6 address" must fail
// as temperror when the AAAA question failed, not as "no" because the A
// question answered. A resolver that wraps another (to count lookups, say)
// implements it with LookupIPFamily, so that the checks still see it.
type FamilyResolver interface {
	Resolver
	LookupIPFamily(ctx context.Context, host string, v6 bool) ([]netip.Addr, error)
}

// LookupIPFamily returns host's addresses of one family (AAAA when v6,
// else A) with that question's own error, through r's single-family
// lookups when it has them. A resolver without them can only answer
// both families at once: their addresses of the family asked for are
// returned, with the merged error.
func LookupIPFamily(ctx context.Context, r Resolver, host string, v6 bool) ([]netip.Addr, error) {
	if l, ok := familyLooker(r); ok {
		name, err := canonName(host)
		if err != nil {
			return nil, err
		}
		a, err := l.lookup(ctx, familyQuestion(name, v6))
		return a.addrs, err
	}
	all, err := r.LookupIP(ctx, host)
	var out []netip.Addr
	for _, a := range all {
		if a.Unmap().Is6() == v6 {
			out = append(out, a)
		}
	}
	return out, err
}

func familyQuestion(name string, v6 bool) question {
	if v6 {
		return question{qtype: mdns.TypeAAAA, name: name}
	}
	return question{qtype: mdns.TypeA, name: name}
}

// familyLooker returns r's single-family side: r itself when it is one of
// this package's resolvers, or an adapter over its LookupIPFamily.
func familyLooker(r Resolver) (looker, bool) {
	if l, ok := r.(looker); ok {
		return l, true
	}
	if f, ok := r.(FamilyResolver); ok {
		return familyAdapter{f}, true
	}
	return nil, false
}

// familyAdapter asks a FamilyResolver the address questions of the checks.
type familyAdapter struct{ f FamilyResolver }

func (a familyAdapter) lookup(ctx context.Context, q question) (answer, error) {
	addrs, err := a.f.LookupIPFamily(ctx, q.name, q.qtype == mdns.TypeAAAA)
	return answer{addrs: addrs}, err
}
