package dns

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
)

// MaxIPRevNames bounds the PTR names whose addresses are checked: the PTR
// set belongs to whoever controls the reverse zone (RFC 8601 §3 lets a
// verifier limit it).
const MaxIPRevNames = 10

// IPRevResult is the outcome of a forward-confirmed reverse DNS check.
type IPRevResult struct {
	IP        netip.Addr `json:"ip"`
	Names     []string   `json:"names,omitempty"`     // PTR names
	Confirmed []string   `json:"confirmed,omitempty"` // those resolving back to IP
	Status    Status     `json:"status"`
	Error     string     `json:"error,omitempty"`
}

// CheckIPRev checks ip as RFC 8601 §3 "iprev" does: its PTR names are
// looked up (concurrently, in ip's address family), and the check passes
// when one of them has ip among its addresses. Status is pass, fail (PTR
// names exist but none resolves back), none (no PTR record: RFC 8601
// would say permerror; a forensic report wants the plainer word),
// temperror (DNS failed and nothing was confirmed), permerror or
// not-checked (offline).
func CheckIPRev(ctx context.Context, r Resolver, ip netip.Addr) IPRevResult {
	res := IPRevResult{IP: ip}
	names, err := r.LookupPTR(ctx, ip)
	if err != nil || len(names) == 0 {
		res.Status, res.Error = StatusOf(err), errorText(err)
		if err == nil {
			res.Status = StatusNone
		}
		return res
	}
	res.Names = names
	check := names[:min(len(names), MaxIPRevNames)]
	errs := make([]error, len(check))
	ok := make([]bool, len(check))
	var wg sync.WaitGroup
	for i, name := range check {
		wg.Go(func() {
			addrs, err := familyAddrs(ctx, r, name, ip)
			ok[i], errs[i] = containsIP(addrs, ip), err
		})
	}
	wg.Wait()
	for i, name := range check {
		if ok[i] {
			res.Confirmed = append(res.Confirmed, name)
		}
	}
	res.Status = StatusFail
	if len(res.Confirmed) > 0 {
		res.Status = StatusPass
		return res
	}
	for _, err := range errs {
		if StatusOf(err) == StatusTempError {
			res.Status, res.Error = StatusTempError, err.Error()
			break
		}
	}
	return res
}

// HostIPResult says whether a host name resolves to an address.
type HostIPResult struct {
	Host   string       `json:"host"`
	IP     netip.Addr   `json:"ip"`
	Addrs  []netip.Addr `json:"addrs,omitempty"` // what Host resolves to
	Status Status       `json:"status"`
	Error  string       `json:"error,omitempty"`
}

// CheckHostIP checks whether host (a name, or an address literal such as
// "[192.0.2.1]" or "[IPv6:2001:db8::1]" from a HELO) has ip among its
// addresses. Status: pass, fail (it resolves, not to ip), none (no address
// at all), temperror (ip's family could not be looked up), permerror
// (invalid name) or not-checked.
func CheckHostIP(ctx context.Context, r Resolver, host string, ip netip.Addr) HostIPResult {
	res := HostIPResult{Host: host, IP: ip}
	if lit, ok := addressLiteral(host); ok {
		res.Addrs, res.Status = []netip.Addr{lit}, StatusFail
		if lit.Unmap() == ip.Unmap().WithZone("") {
			res.Status = StatusPass
		}
		return res
	}
	name, err := canonName(host)
	if err != nil {
		res.Status, res.Error = StatusPermError, err.Error()
		return res
	}
	res.Host = name
	var mine error // the lookup of ip's own family
	if l, ok := familyLooker(r); ok {
		v4, v6 := lookupBoth(ctx, l, name)
		res.Addrs = append(slices.Clone(v4.a.addrs), v6.a.addrs...)
		mine = v4.err
		if ip.Unmap().Is6() {
			mine = v6.err
		}
	} else {
		res.Addrs, mine = r.LookupIP(ctx, name)
	}
	res.Status = hostIPStatus(res.Addrs, ip, mine)
	if res.Status != StatusPass && res.Status != StatusFail {
		res.Error = errorText(mine)
	}
	return res
}

func hostIPStatus(addrs []netip.Addr, ip netip.Addr, mine error) Status {
	switch {
	case containsIP(addrs, ip):
		return StatusPass
	case mine != nil && !errors.Is(mine, ErrNotFound) && !errors.Is(mine, ErrNoData):
		return StatusOf(mine)
	case len(addrs) == 0:
		return StatusNone
	default:
		return StatusFail
	}
}

// familyAddrs looks up host's addresses in ip's family only when r can ask
// for one family; other resolvers give both, which is as good for a
// membership test.
func familyAddrs(ctx context.Context, r Resolver, host string, ip netip.Addr) ([]netip.Addr, error) {
	l, ok := familyLooker(r)
	if !ok {
		return r.LookupIP(ctx, host)
	}
	name, err := canonName(host)
	if err != nil {
		return nil, err
	}
	qtype := mdns.TypeA
	if ip.Unmap().Is6() {
		qtype = mdns.TypeAAAA
	}
	a, err := l.lookup(ctx, question{qtype: qtype, name: name})
	return a.addrs, err
}

func containsIP(addrs []netip.Addr, ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, a := range addrs {
		if a.Unmap() == ip {
			return true
		}
	}
	return false
}

// addressLiteral parses the address forms a host name field may hold
// instead of a name (RFC 5321 §4.1.3): "[192.0.2.1]", "[IPv6:2001:db8::1]",
// and the bare address some software writes.
func addressLiteral(s string) (netip.Addr, bool) {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
		if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
			s = s[5:]
		}
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}
