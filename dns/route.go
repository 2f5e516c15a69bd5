package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Outcome is how one lookup ended, as a route tree shows it.
type Outcome string

const (
	OutcomeAnswer    Outcome = "answer"
	OutcomeNXDomain  Outcome = "nxdomain" // the name does not exist
	OutcomeNoData    Outcome = "nodata"   // the name exists, without records of the type
	OutcomeTempError Outcome = "temperror"
	OutcomePermError Outcome = "permerror"
	OutcomeOffline   Outcome = "offline" // not looked up
)

// OutcomeOf maps a lookup error to its Outcome.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeAnswer
	case errors.Is(err, ErrOffline):
		return OutcomeOffline
	case errors.Is(err, ErrNotFound):
		return OutcomeNXDomain
	case errors.Is(err, ErrNoData):
		return OutcomeNoData
	case errors.Is(err, ErrPermanent):
		return OutcomePermError
	default:
		return OutcomeTempError
	}
}

// Lookup records one lookup made while routing.
type Lookup struct {
	Type    string   `json:"type"` // "CNAME", "MX" or "A/AAAA"
	Name    string   `json:"name"`
	Outcome Outcome  `json:"outcome"`
	Answer  []string `json:"answer,omitempty"`
	Error   string   `json:"error,omitempty"`
}

func newLookup(typ, name string, answer []string, err error) Lookup {
	l := Lookup{Type: typ, Name: name, Outcome: OutcomeOf(err), Answer: answer}
	if err != nil && l.Outcome != OutcomeNXDomain && l.Outcome != OutcomeNoData {
		l.Error = err.Error()
	}
	return l
}

// RouteStatus sums up where mail for a domain goes.
type RouteStatus string

const (
	RouteMX         RouteStatus = "mx"          // to the MX hosts listed
	RouteImplicitMX RouteStatus = "implicit-mx" // no MX: to the domain's own address (RFC 5321 §5.1)
	RouteNullMX     RouteStatus = "null-mx"     // the domain accepts no mail (RFC 7505)
	RouteNoDomain   RouteStatus = "nxdomain"    // the domain does not exist
	RouteNoRoute    RouteStatus = "no-route"    // neither MX nor address
	// RouteNoUsableMX: MX records, but none of their hosts has an address
	// or can have one (RFC 5321 §5.1: reported as an error).
	RouteNoUsableMX RouteStatus = "no-usable-mx"
	// RouteAddressLiteral: the address names its host by address
	// ("user@[192.0.2.1]", RFC 5321 §4.1.3): no DNS is asked.
	RouteAddressLiteral RouteStatus = "address-literal"
	RouteTempError      RouteStatus = "temperror"
	RoutePermError      RouteStatus = "permerror" // CNAME loop, chain too long, invalid name, refused
	RouteNotChecked     RouteStatus = "not-checked"
)

// Describe says the status in words.
func (s RouteStatus) Describe() string {
	switch s {
	case RouteMX:
		return "delivered to its MX hosts"
	case RouteImplicitMX:
		return "no MX record: delivered to the domain's own address"
	case RouteNullMX:
		return "accepts no mail (null MX)"
	case RouteNoDomain:
		return "domain does not exist"
	case RouteNoRoute:
		return "no MX record and no address: cannot receive mail"
	case RouteNoUsableMX:
		return "MX hosts listed, but none has an address: mail cannot be delivered"
	case RouteAddressLiteral:
		return "an address literal: delivered to that address, no DNS asked"
	case RouteTempError:
		return "DNS failed temporarily"
	case RoutePermError:
		return "DNS data is broken"
	case RouteNotChecked:
		return "not checked: DNS is offline"
	}
	return string(s)
}

// RouteResult is every step of routing mail to a domain (RFC 5321 §5.1),
// shaped so that a renderer can draw it as a tree: domain, CNAME chain,
// MX lookup, then each host with its own CNAME chain and addresses.
type RouteResult struct {
	Domain    string      `json:"domain"`
	CNAMEs    []string    `json:"cname_chain,omitempty"` // targets followed from Domain, in order
	Canonical string      `json:"canonical"`             // the name whose MX was asked
	Lookups   []Lookup    `json:"lookups"`               // CNAME steps, then MX
	MX        []MX        `json:"mx,omitempty"`          // as published, by preference
	NullMX    bool        `json:"null_mx,omitempty"`
	Implicit  bool        `json:"implicit_mx,omitempty"`
	Hosts     []RouteHost `json:"hosts,omitempty"` // by preference, ties in answer order
	// Truncated is set when the MX set was larger than MaxRouteHosts: the
	// hosts beyond it were not resolved.
	Truncated bool        `json:"truncated,omitempty"`
	Status    RouteStatus `json:"status"`
	Error     string      `json:"error,omitempty"` // what stopped routing
}

// RouteHost is one mail exchanger and what its name resolves to.
type RouteHost struct {
	Preference uint16       `json:"preference"`
	Host       string       `json:"host"`
	Implicit   bool         `json:"implicit,omitempty"` // the domain itself, RFC 5321 §5.1
	CNAMEs     []string     `json:"cname_chain,omitempty"`
	Canonical  string       `json:"canonical"`
	Lookups    []Lookup     `json:"lookups"` // CNAME steps, then A/AAAA
	Addrs      []netip.Addr `json:"addrs,omitempty"`
	Outcome    Outcome      `json:"outcome"` // of the address lookup (or of what stopped it)
	Error      string       `json:"error,omitempty"`
	// Warnings name what the DNS standards forbid in this host's records,
	// though mail may still reach it.
	Warnings []string `json:"warnings,omitempty"`
}

// MaxCNAMEDepth is how many CNAMEs Route follows from one name.
const MaxCNAMEDepth = 8

// MaxRouteHosts bounds the MX hosts resolved for one domain: the MX set
// comes from whoever owns the domain.
const MaxRouteHosts = 32

// routeParallel bounds the host lookups in flight for one Route.
const routeParallel = 8

// Route finds where mail for domain goes: CNAMEs of the domain are chased,
// then its MX records sorted by preference (ties keep the answer order,
// where RFC 5321 §5.1 would shuffle them, so that reports are
// reproducible); no MX means the implicit MX of the domain's own address, a
// lone "0 ." the null MX of RFC 7505; then each host's addresses, through
// its CNAMEs too. Lookup failures are recorded, never returned.
func Route(ctx context.Context, r Resolver, domain string) RouteResult {
	res := RouteResult{Domain: domain, Canonical: domain, Lookups: []Lookup{}}
	if ip, ok := AddressLiteral(domain); ok {
		res.Hosts = []RouteHost{{Host: domain, Canonical: domain, Lookups: []Lookup{}, Addrs: []netip.Addr{ip}, Outcome: OutcomeAnswer}}
		res.Status = RouteAddressLiteral
		return res
	}
	name, err := canonName(domain)
	if err != nil {
		return res.stop(RoutePermError, fmt.Errorf("route %q: %w", domain, err))
	}
	res.Domain, res.Canonical = name, name
	ch := chase(ctx, r, name)
	res.CNAMEs, res.Canonical, res.Lookups = ch.targets, ch.canonical, ch.lookups
	if ch.err != nil {
		return res.stop(routeStatusOf(ch.err), ch.err)
	}
	mx, err := r.LookupMX(ctx, res.Canonical)
	res.Lookups = append(res.Lookups, newLookup("MX", res.Canonical, mxStrings(mx), err))
	switch {
	case errors.Is(err, ErrNoData):
		return res.implicit(ctx, r)
	case err != nil:
		return res.stop(routeStatusOf(err), err)
	}
	res.MX = slices.Clone(mx)
	slices.SortStableFunc(res.MX, func(a, b MX) int { return int(a.Preference) - int(b.Preference) })
	if len(res.MX) == 1 && res.MX[0].Host == "." { // RFC 7505 §3
		res.NullMX, res.Status = true, RouteNullMX
		return res
	}
	res.Hosts = resolveHosts(ctx, r, res.MX, &res.Truncated)
	res.Status = RouteMX
	if !res.Truncated {
		res.Status = hostsStatus(res.Hosts)
	}
	return res
}

// hostsStatus is RouteMX while some MX host has an address; else a
// temporary error if one of them may yet have one, or RouteNoUsableMX.
func hostsStatus(hosts []RouteHost) RouteStatus {
	temporary := false
	for _, h := range hosts {
		switch h.Outcome {
		case OutcomeAnswer:
			return RouteMX
		case OutcomeTempError, OutcomeOffline:
			temporary = true
		}
	}
	if temporary {
		return RouteTempError
	}
	return RouteNoUsableMX
}

// AddressLiteral reports whether domain is the address literal of an
// address ("[192.0.2.1]", "[IPv6:2001:db8::1]", RFC 5321 §4.1.3), and
// which address.
func AddressLiteral(domain string) (netip.Addr, bool) {
	inner, open := strings.CutPrefix(domain, "[")
	inner, closed := strings.CutSuffix(inner, "]")
	if !open || !closed {
		return netip.Addr{}, false
	}
	v6 := len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:")
	if v6 {
		inner = inner[5:]
	}
	ip, err := netip.ParseAddr(inner)
	if err != nil || ip.Zone() != "" || ip.Is4() == v6 {
		return netip.Addr{}, false
	}
	return ip, true
}

func (res RouteResult) stop(s RouteStatus, err error) RouteResult {
	res.Status = s
	if s != RouteNoDomain {
		res.Error = err.Error()
	}
	return res
}

// implicit applies RFC 5321 §5.1: with no MX the domain itself, preference
// 0, is the one host.
func (res RouteResult) implicit(ctx context.Context, r Resolver) RouteResult {
	res.Implicit = true
	h := RouteHost{Host: res.Canonical, Canonical: res.Canonical, Implicit: true}
	h.resolveAddrs(ctx, r)
	res.Hosts = []RouteHost{h}
	switch h.Outcome {
	case OutcomeAnswer:
		res.Status = RouteImplicitMX
	case OutcomeNXDomain, OutcomeNoData:
		res.Status = RouteNoRoute
	default:
		res.Status, res.Error = outcomeRouteStatus(h.Outcome), h.Error
	}
	return res
}

func resolveHosts(ctx context.Context, r Resolver, mx []MX, truncated *bool) []RouteHost {
	if len(mx) > MaxRouteHosts {
		mx, *truncated = mx[:MaxRouteHosts], true
	}
	hosts := make([]RouteHost, len(mx))
	sem := make(chan struct{}, routeParallel)
	var wg sync.WaitGroup
	for i, m := range mx {
		hosts[i] = RouteHost{Preference: m.Preference, Host: m.Host, Canonical: m.Host, Lookups: []Lookup{}}
		if m.Host == "." {
			hosts[i].Outcome = OutcomePermError
			hosts[i].Error = "null MX target among other MX records (RFC 7505 §3)"
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			hosts[i].resolve(ctx, r)
		})
	}
	wg.Wait()
	return hosts
}

// resolve chases the host's CNAMEs (RFC 2181 §10.3 forbids them as MX
// targets, but mail still flows through them) and looks up its addresses.
func (h *RouteHost) resolve(ctx context.Context, r Resolver) {
	if _, err := netip.ParseAddr(h.Host); err == nil {
		h.Warnings = append(h.Warnings, "the MX target is an address; it must be a host name (RFC 1035 §3.3.9, RFC 5321 §5.1)")
	}
	ch := chase(ctx, r, h.Host)
	h.CNAMEs, h.Canonical, h.Lookups = ch.targets, ch.canonical, ch.lookups
	if len(h.CNAMEs) > 0 {
		h.Warnings = append(h.Warnings, "the MX target is an alias (CNAME), which RFC 2181 §10.3 forbids")
	}
	if ch.err != nil {
		h.Outcome, h.Error = OutcomeOf(ch.err), errorText(ch.err)
		return
	}
	h.resolveAddrs(ctx, r)
}

func (h *RouteHost) resolveAddrs(ctx context.Context, r Resolver) {
	addrs, err := r.LookupIP(ctx, h.Canonical)
	strs := make([]string, len(addrs))
	for i, a := range addrs {
		strs[i] = a.String()
	}
	l := newLookup("A/AAAA", h.Canonical, strs, err)
	h.Lookups = append(h.Lookups, l)
	h.Addrs, h.Outcome, h.Error = addrs, l.Outcome, l.Error
}

// HasHost reports whether name is one of the hosts mail for the domain goes
// to, by its MX name (those beyond MaxRouteHosts included) or a name its
// CNAMEs lead to. An internationalised name matches its A-labels.
func (res RouteResult) HasHost(name string) bool {
	name, err := canonName(name)
	if err != nil {
		return false
	}
	for _, h := range res.Hosts {
		if h.Host == name || h.Canonical == name || slices.Contains(h.CNAMEs, name) {
			return true
		}
	}
	return slices.ContainsFunc(res.MX, func(m MX) bool { return m.Host == name })
}

// HasIP reports whether ip is an address of one of the hosts.
func (res RouteResult) HasIP(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, h := range res.Hosts {
		for _, a := range h.Addrs {
			if a.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// chain is the result of chasing CNAMEs from a name.
type chain struct {
	canonical string
	targets   []string
	lookups   []Lookup
	err       error // what stopped the chase; nil when a name without CNAME was reached
}

// chase follows CNAMEs from name one step at a time, at most MaxCNAMEDepth
// of them, and stops at a repeated name (RFC 1034 §3.6.2, RFC 5321 §5.1
// "the resulting name is processed as if it were the initial name").
func chase(ctx context.Context, r Resolver, name string) chain {
	ch := chain{canonical: name}
	seen := map[string]bool{name: true}
	for {
		target, err := r.LookupCNAME(ctx, ch.canonical)
		var ans []string
		if err == nil {
			ans = []string{target}
		}
		ch.lookups = append(ch.lookups, newLookup("CNAME", ch.canonical, ans, err))
		switch {
		case errors.Is(err, ErrNoData):
			return ch
		case err != nil:
			ch.err = err
			return ch
		case seen[target]:
			ch.err = fmt.Errorf("CNAME loop: %s points back to %s: %w", ch.canonical, target, ErrPermanent)
			return ch
		case len(ch.targets) == MaxCNAMEDepth:
			ch.err = fmt.Errorf("CNAME chain from %s longer than %d: %w", name, MaxCNAMEDepth, ErrPermanent)
			return ch
		}
		seen[target] = true
		ch.targets = append(ch.targets, target)
		ch.canonical = target
	}
}

func routeStatusOf(err error) RouteStatus { return outcomeRouteStatus(OutcomeOf(err)) }

func outcomeRouteStatus(o Outcome) RouteStatus {
	switch o {
	case OutcomeNXDomain:
		return RouteNoDomain
	case OutcomeNoData:
		return RouteNoRoute
	case OutcomeOffline:
		return RouteNotChecked
	case OutcomePermError:
		return RoutePermError
	default:
		return RouteTempError
	}
}

func errorText(err error) string {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoData) {
		return ""
	}
	return err.Error()
}

func mxStrings(mx []MX) []string {
	out := make([]string, len(mx))
	for i, m := range mx {
		out[i] = fmt.Sprintf("%d %s", m.Preference, m.Host)
	}
	return out
}
