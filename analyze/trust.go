package analyze

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/received"
)

// The trust boundary. Every Received line is written by the host named in
// its by-clause, but only the receiving side's hosts are known to be
// honest. The newest hop was written by the final receiver; walking down
// the chain, a hop stays trusted while the host that handed the message
// over (the from-clause of the hop above it) is itself the receiving side:
// an internal address, a name of the same organisation (public suffix list)
// or provider family, a filtering gateway feeding the organisation, or
// --trusted. The first hop taken from outside is the boundary: its
// from-clause is the last thing the receiving side saw for itself, and
// everything below it is what the sender claims.

// Trust describes where the receiving side's own records end.
type Trust struct {
	// Boundary is the index (1 = oldest) of the newest hop whose from-clause
	// is outside the receiving side; hops with Index >= Boundary are trusted.
	// 0 when the message has no Received line.
	Boundary int
	// reason says why the walk stopped at the boundary (Reason); outside
	// is the hop taken from outside, when that is why.
	reason  string
	outside *received.Hop
	// families are the organisational domains and provider families of
	// the receiving side, read from the trusted hops' by-hosts, each once:
	// a chain names one or two, so a list beats a map.
	families []string
	// Captured is set when mailtrace received the message itself: the newest
	// hop is ground truth, written by mailtrace.
	Captured bool
	list     trustedList
	// lookupIP resolves a name for the DNS confirmation; nil when offline.
	lookupIP func(host string) ([]netip.Addr, error)
	// lookupMX gives a domain's MX hosts, to tell whose a gateway is; nil
	// when offline. rcptDomain is an envelope recipient's domain, for hops
	// that name none.
	lookupMX   func(domain string) ([]dns.MX, error)
	rcptDomain string
	// mx is the last domain's MX hosts (mxDomain), asked once: each hop
	// the walk judges may ask it several times over.
	mxDomain string
	mx       []dns.MX
	// facts are the hops' facts, worked out once for every rule.
	facts []hopFacts
	// The lists start in these: most chains have a few hops, naming one
	// or two families.
	factsBuf    [6]hopFacts
	familiesBuf [2]string
}

// hasFamily reports a family of the receiving side.
func (t *Trust) hasFamily(family string) bool { return slices.Contains(t.families, family) }

// dnsConfirms reports whether DNS says host has address ip. A DNS failure
// is "not confirmed", never evidence.
func (t *Trust) dnsConfirms(host, ip string) bool {
	if t.lookupIP == nil || ip == "" || !isFQDN(host) {
		return false
	}
	want, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addrs, err := t.lookupIP(cleanHost(host))
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Unmap() == want.Unmap() {
			return true
		}
	}
	return false
}

// trustedList is --trusted parsed: networks and names (a host, or a domain
// and every name below it).
type trustedList struct {
	prefixes []netip.Prefix
	names    []string
}

// ValidTrusted reports whether s is usable with --trusted: a CIDR, an IP
// address, or a host or domain name.
func ValidTrusted(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return fmt.Errorf("empty --trusted value")
	}
	if strings.Contains(s, "/") {
		if _, err := netip.ParsePrefix(s); err != nil {
			return fmt.Errorf("--trusted %q: %w", s, err)
		}
		return nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	for _, r := range strings.TrimSuffix(s, ".") {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("--trusted %q: not a CIDR, address or host name", s)
		}
	}
	return nil
}

func parseTrusted(list []string) trustedList {
	var t trustedList
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			t.prefixes = append(t.prefixes, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			t.prefixes = append(t.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else if s != "" {
			t.names = append(t.names, cleanHost(s))
		}
	}
	return t
}

func (t trustedList) hasIP(ip string) bool {
	if len(t.prefixes) == 0 {
		return false
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (t trustedList) hasName(name string) bool {
	name = cleanHost(name)
	if name == "" {
		return false
	}
	for _, n := range t.names {
		if name == n || strings.HasSuffix(name, "."+n) {
			return true
		}
	}
	return false
}

// inferTrust walks the chain from the newest hop down and marks the
// trusted hops in place.
func inferTrust(ctx context.Context, hops []received.Hop, opts *Options, captured bool) *Trust {
	return inferTrustFor(ctx, hops, opts, captured, "")
}

// inferTrustFor is inferTrust knowing an envelope recipient (rcpt, "" when
// none), whose domain's MX tells a gateway of the recipient's from one of
// the sender's where the hops write no "for".
func inferTrustFor(ctx context.Context, hops []received.Hop, opts *Options, captured bool, rcpt string) *Trust {
	t := new(Trust)
	t.infer(ctx, hops, opts, captured, rcpt)
	return t
}

// infer is inferTrustFor into t, which it resets first: judge keeps the
// trust in the Context it reuses. Every field is reset but factsBuf,
// where factsOf clears what it uses (some 600 bytes most messages leave
// alone); TestTrustReset holds it to a Trust zeroed whole.
func (t *Trust) infer(ctx context.Context, hops []received.Hop, opts *Options, captured bool, rcpt string) {
	t.Boundary, t.reason, t.outside, t.families, t.Captured = 0, "", nil, nil, captured
	t.list, t.lookupIP, t.lookupMX, t.rcptDomain = trustedList{}, nil, nil, domainOf(rcpt)
	if len(opts.Trusted) > 0 {
		t.list = parseTrusted(opts.Trusted) // most runs have no --trusted
	}
	t.mxDomain, t.mx, t.facts, t.familiesBuf = "", nil, nil, [2]string{}
	if opts.Resolver != nil {
		if ctx == nil {
			ctx = context.Background()
		}
		t.lookupIP = func(host string) ([]netip.Addr, error) { return opts.Resolver.LookupIP(ctx, host) }
		t.lookupMX = func(domain string) ([]dns.MX, error) { return opts.Resolver.LookupMX(ctx, domain) }
	}
	if len(hops) == 0 {
		return
	}
	t.facts = factsOf(hops, t.factsBuf[:0])
	n := len(hops)
	j := n - 1
	for ; j >= 0; j-- {
		hops[j].Trusted = true
		t.addSideFacts(t.facts[j].by)
		var below *hopFacts // the hop the walk would trust next
		if j > 0 {
			below = &t.facts[j-1]
		}
		why, inside := t.fromInside(&hops[j], &t.facts[j], below, j == n-1)
		if !inside {
			t.reason = why
			if why == "" {
				t.outside = &hops[j]
			}
			break
		}
	}
	if j < 0 {
		j = 0
		t.reason = "every hop is the receiving side's"
	}
	t.Boundary = j + 1
}

// addSide records a receiving-side host name.
func (t *Trust) addSide(host string) { t.addSideFacts(facts(host)) }

func (t *Trust) addSideFacts(f *nameFacts) {
	// A filtering gateway's service serves every customer under one
	// domain (esa1.hc1000-1.iphmx.com, esa2.hc4711-12.iphmx.com): its
	// family is no organisation's, and another customer's appliance would
	// pass for the receiving side.
	if f.gateway {
		return
	}
	if f.fqdn || strings.Contains(f.clean, ":") {
		if t.families == nil {
			t.families = t.familiesBuf[:0]
		}
		if !t.hasFamily(f.family) {
			t.families = append(t.families, f.family)
		}
	}
}

// isSide reports whether a name belongs to the receiving side.
func (t *Trust) isSide(name string) bool { return t.isSideFacts(facts(name)) }

func (t *Trust) isSideFacts(f *nameFacts) bool {
	if f.clean == "" {
		return false
	}
	if len(t.list.names) > 0 && t.list.hasName(f.clean) {
		return true
	}
	return f.fqdn && t.hasFamily(f.family)
}

// feeds reports a filtering gateway gw (a confirmed name of h's client)
// handing mail to the organisation's own servers, so that the hop below,
// which it wrote, is the receiving side's too: the hop's by-host is the
// organisation's and no gateway itself (another customer's appliance
// delivering to this one's is outside), the line below is that gateway's
// (a line below that names another receiver was not written by it), and
// DNS does not show the gateway to be the sender's (othersGateway).
func (t *Trust) feeds(h *received.Hop, nf *hopFacts, gw *nameFacts, below *hopFacts) bool {
	return t.ownServer(nf.by) && !nf.by.gateway && (below == nil || below.by.family == gw.family) &&
		!t.othersGateway(h, gw)
}

// othersGateway reports a filtering gateway that DNS shows is not the
// recipient's: the domain h delivered for has MX hosts, none of them the
// gateway's service by name or the gateway's address (mx1.example.com may
// be the organisation's name for its Proofpoint host). The sender's own
// outbound gateway (its Mimecast or IronPort delivering straight to the
// recipient's MX) is then what h took from outside. Without DNS, or
// without a recipient or an MX to go by, the gateway is taken for the
// recipient's, as it mostly is.
func (t *Trust) othersGateway(h *received.Hop, gw *nameFacts) bool {
	mx := t.recipientMX(h)
	if len(mx) == 0 {
		return false
	}
	for _, m := range mx {
		if facts(m.Host).family == gw.family || t.dnsConfirms(m.Host, h.From.IP) {
			return false // the service's own MX name, or a vanity one with the gateway's address
		}
	}
	return true
}

// recipientsMX reports a host (name, confirmed by the caller) of the
// service that the MX hosts of the domain h delivered for belong to.
// Without DNS, a recipient or MX records it reports nothing.
func (t *Trust) recipientsMX(h *received.Hop, name *nameFacts) bool {
	if !name.fqdn {
		return false
	}
	for _, m := range t.recipientMX(h) {
		if facts(m.Host).family == name.family {
			return true
		}
	}
	return false
}

// recipientMX returns the MX hosts of the domain h delivered for (its
// "for", else the envelope recipient's), or nothing when DNS, the domain
// or its records are missing.
func (t *Trust) recipientMX(h *received.Hop) []dns.MX {
	if t.lookupMX == nil {
		return nil // offline: the domain is not even read
	}
	domain := domainOf(angleAddr(h.For))
	if domain == "" {
		domain = t.rcptDomain
	}
	if domain == "" {
		return nil
	}
	if domain != t.mxDomain {
		t.mxDomain, t.mx = domain, nil
		if mx, err := t.lookupMX(domain); err == nil {
			t.mx = mx
		}
	}
	return t.mx
}

// ownServer reports the by-host of a trusted hop as one of the receiving
// organisation's servers: a public name of the receiving side, or an
// internal one (EXCH01.corp.example.local) that the organisation names
// under no public suffix.
func (t *Trust) ownServer(by *nameFacts) bool {
	return t.isSideFacts(by) || by.clean != "" && !by.fqdn && !by.ip
}

// fromInside decides whether the host in h's from-clause is the receiving
// side, so that the hop below h is trusted too. It returns why not; ""
// with false means the hop was taken from outside (Reason words it).
func (t *Trust) fromInside(h *received.Hop, nf *hopFacts, below *hopFacts, newest bool) (string, bool) {
	f := &h.From
	switch {
	case len(t.list.prefixes) > 0 && t.list.hasIP(f.IP) || len(t.list.names) > 0 && t.list.hasName(f.RDNS):
		return "", true
	case t.Captured && newest:
		// mailtrace wrote this hop: its from-clause is the peer it saw.
		return "mailtrace received the message from this peer", false
	case h.Parsed == received.ParsedNone:
		return "the line above it could not be parsed", false
	case nf.authed:
		return "authenticated submission: the client is the sender", false
	case f.IP == "" && f.RDNS == "" && f.HELO == "":
		// A hand-off inside one host (local pickup, content filter, Google's
		// "by 2002:..." lines): nothing came from outside.
		return "", true
	case nf.internal && !nf.documentation() && !privateAtProvider(nf):
		return "", true
	case f.IP == "" && f.RDNS == "" && (!nf.helo.fqdn || t.isSideFacts(nf.helo)):
		// "from localhost by ...", a bare internal name, or another of the
		// receiving side's hosts without an address: a local transport
		// (LMTP over a socket, a pipe), not a public connection.
		return "", true
	case h.MayBeForged:
		return "the receiver marked the client name as possibly forged", false
	case nf.lmtp:
		// RFC 2033 §1: LMTP is for delivery inside one site, never across
		// the internet.
		return "", true
	case below != nil && (below.by.fqdn && below.by.family == nf.helo.family || below.by.ip) && nf.with(h).retrieval:
		// fetchmail ("from imap.gmail.com [142.250.110.109] by localhost
		// with IMAP") took the message from the mailbox the user keeps at
		// a provider, which received it for him: the line below is that
		// provider's (its name's, or Gmail's "by 2002:a05:..."), as much
		// the receiving side as the local server.
		return "", true
	}
	verified := nf.rdns
	if verified.clean == "" && isEximVerified(h) {
		verified = nf.helo
	}
	// Whether DNS gives the greeting's name the client's address: asked
	// once, and only by a case that needs it.
	heloByDNS, asked := false, false
	dnsHELO := func() bool {
		if !asked {
			heloByDNS, asked = t.dnsConfirms(f.HELO, f.IP), true
		}
		return heloByDNS
	}
	switch {
	case t.isSideFacts(verified):
		return "", true
	case verified.gateway && t.feeds(h, nf, verified, below):
		return "", true
	case nf.helo.gateway && t.feeds(h, nf, nf.helo, below) &&
		(nf.inRanges(nf.helo.ranges) || dnsHELO() && t.recipientsMX(h, nf.helo)):
		// A filtering gateway, named by its greeting and its own address
		// range, or by DNS (Exchange writes no reverse DNS name: "from
		// esa3.hc3370-68.iphmx.com (216.71.145.155) by EXCH01...") when
		// the recipient domain's MX is at that service, feeding the
		// organisation's servers.
		return "", true
	case t.isSideFacts(nf.helo) && (nf.inRanges(nf.helo.ranges) || dnsHELO()):
		// The greeting names a host of the receiving side and the address
		// is that provider's, or DNS says so.
		return "", true
	case t.ownServer(nf.by) && (t.recipientsMX(h, verified) ||
		(nf.inRanges(nf.helo.ranges) || dnsHELO()) && t.recipientsMX(h, nf.helo)):
		// The service the recipient domain's MX points at, handing its
		// mail on to the organisation's servers: Exchange Online
		// Protection in front of an Exchange on the premises ("from
		// EUR05-AM6-obe.outbound.protection.outlook.com (104.47.17.111)
		// by EXCH01..."), Google in front of a split delivery.
		return "", true
	}
	// Most messages end their trust walk here: Reason words it when asked.
	return "", false
}

// Reason says why the walk stopped at the boundary, for explanations.
func (t *Trust) Reason() string {
	if h := t.outside; h != nil {
		return "hop " + strconv.Itoa(h.Index) + " was taken from outside: " + describeFrom(h.From)
	}
	return t.reason
}

// isEximVerified reports an Exim line whose leading name is the verified
// rDNS: Exim writes the looked-up name first, and the HELO as "helo=" only
// when it differs (Exim spec, $sender_rcvhost), so a name without "helo="
// is the receiver's own lookup.
func isEximVerified(h *received.Hop) bool {
	// strings.EqualFold(h.MTA, "exim"): no letter of it has a fold
	// outside ASCII, so only four bytes can match.
	if h.From.HELO == "" || h.From.RDNS != "" || len(h.MTA) != 4 || !equalFoldASCII(h.MTA, "exim") {
		return false
	}
	if strings.Contains(h.Raw, "helo=") || strings.Contains(h.Raw, "HELO=") {
		return false
	}
	_, isIP := hostAddr(h.From.HELO)
	return !isIP
}

// withAuthenticated reports, of an upper-cased with-clause, authenticated
// submission (RFC 3848 ESMTPA and ESMTPSA); hopFacts.authed adds an
// "Authenticated sender" remark. RFC 3848's LMTPA and LMTPSA are left out:
// LMTP is delivery inside one site (RFC 2033 §1), and the client that
// authenticates there is the site's own MTA handing the message to the
// store, not a sender submitting it.
func withAuthenticated(w string) bool {
	return strings.HasSuffix(w, "SMTPA") || strings.HasSuffix(w, "SMTPSA")
}

// describeFrom renders a from-clause as "helo (rdns [ip])".
func describeFrom(f received.From) string {
	s := f.HELO
	inner := strings.TrimSpace(f.RDNS + " [" + f.IP + "]")
	if f.IP == "" {
		inner = f.RDNS
	}
	if inner != "" {
		s = strings.TrimSpace(s + " (" + inner + ")")
	}
	if s == "" {
		return "nothing recorded"
	}
	return s
}

// privateAtProvider reports an internal client address recorded by a big
// provider's host for a client named in another organisation ("from
// mail.acme-supplies.com (... [172.16.5.5]) by mx.google.com"): no such
// host hears another organisation over a private network, so the line is
// a claim, not a hand-off inside the receiving side.
func privateAtProvider(nf *hopFacts) bool {
	if !nf.by.provider {
		return false
	}
	names, n := fromFacts(nf.hopNames)
	for _, name := range names[:n] {
		if name.fqdn && name.family != nf.by.family {
			return true
		}
	}
	return false
}
