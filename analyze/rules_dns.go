package analyze

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/received"
)

// DNS checks: do the names and addresses a Received line pairs up agree
// with DNS today? All lookups of one message are gathered first and run in
// parallel (the resolver's cache merges duplicates); the rules then read
// the answers. DNS that fails or times out is "unknown", never evidence,
// and DNS today may differ from DNS when the message was sent, so these
// rules weigh less than the chain's own contradictions.

// dnsBudget bounds the DNS phase of one message.
const dnsBudget = 8 * time.Second

// maxDNSChecks bounds the lookups one message can trigger: a message with
// 100,000 Received lines must not send 100,000 queries.
const maxDNSChecks = 64

func init() {
	register(&Rule{
		ID: "iprev-fail", Severity: SeverityLow,
		Title:   "Reverse DNS not forward-confirmed",
		Explain: "The hop's IP has PTR names, but none of them resolves back to the IP (RFC 8601 §3 iprev). Legitimate mail servers almost always have forward-confirmed reverse DNS; a host whose PTR points elsewhere is often a compromised or rented machine. DNS may have changed since delivery.",
		Example: "Received: from x (mail.bank.example [203.0.113.9]) ... where 9.113.0.203.in-addr.arpa PTR mail.bank.example but mail.bank.example A 198.51.100.1",
		Check:   checkIPRev,
	})
	register(&Rule{
		ID: "rdns-unconfirmed", Severity: SeverityMedium,
		Title:   "Recorded rDNS name not confirmed by DNS",
		Explain: "The Received line pairs an IP with a reverse DNS name (`from galangal.org (turmeric.com [104.128.23.115])`), but today's DNS neither lists that name in the IP's PTR records nor resolves the name to the IP. Below the trust boundary this is a sign the line was written by hand; on a trusted hop it means DNS changed since.",
		Example: "Received: from galangal.org (turmeric.com [104.128.23.115]) by mail.bieberdorf.edu",
		Check:   checkRecordedRDNS,
	})
	register(&Rule{
		ID: "helo-dns-mismatch", Severity: SeverityInfo,
		Title:   "HELO name does not resolve to the connecting IP",
		Explain: "The client's HELO/EHLO name resolves to other addresses than the one it connected from. Many legitimate servers announce a name that does not resolve exactly, so this is weak evidence alone; it matters when the name claims a domain whose hosts are elsewhere.",
		Example: "Received: from mail.bigbank.example (unknown [198.51.100.66]) where mail.bigbank.example A 203.0.113.5",
		Check:   checkHELODNS,
	})
	register(&Rule{
		ID: "by-dns-mismatch", Severity: SeverityLow,
		Title:   "By-host does not resolve to the next hop's peer address",
		Explain: "A hop says host X received the message; the next hop says it received it from IP Y. When X resolves to addresses and Y is not among them, one of the two lines is not telling the truth (or the host has several names). The check is continuity through DNS.",
		Example: "Received: from relay.example (relay.example [198.51.100.7]) ...\nReceived: from a by relay.example ... where relay.example A 203.0.113.20",
		Check:   checkByDNS,
	})
	register(&Rule{
		ID: "mx-entry-mismatch", Severity: SeverityLow,
		Title:   "Message did not enter the recipient's domain at one of its MX hosts",
		Explain: "Mail for a domain is delivered to its MX hosts (RFC 5321 §5.1: CNAMEs chased, MX by preference, else the domain's own address). The hop where the message entered the recipient's side should be written by one of them, by name, organisation or address. Only the envelope recipient's domain is routed so (a To: address may be a list's), and an authenticated submission is not MX delivery: neither is checked. A different entry point suggests a hand-made chain, a backup route or a forwarding service.",
		Example: "To: bob@example.net, entry hop by smtp.other.example, example.net MX 10 mx.example.net",
		Check:   checkMXEntry,
	})
}

// dnsEvidence is everything DNS said about one message.
type dnsEvidence struct {
	iprev       map[netip.Addr]dns.IPRevResult
	hostIP      map[hostIPKey]dns.HostIPResult
	route       *dns.RouteResult
	recipDomain string
}

type hostIPKey struct {
	host string
	ip   netip.Addr
}

// dnsEvidenceOf gathers the lookups once per message; nil when offline.
func (c *Context) dnsEvidenceOf() *dnsEvidence {
	if !c.dnsDone {
		c.dnsEv, c.dnsDone = c.gatherDNS(), true
	}
	return c.dnsEv
}

func (c *Context) gatherDNS() *dnsEvidence {
	if c.Opts.Resolver == nil {
		// Its own copy: a report is the caller's to change.
		c.Report.DNS = &DNSSummary{Mode: "offline", Note: "DNS checks not checked (--offline)"}
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Ctx, dnsBudget)
	defer cancel()
	r := &countingResolver{Resolver: c.Opts.Resolver}
	ev := &dnsEvidence{iprev: map[netip.Addr]dns.IPRevResult{}, hostIP: map[hostIPKey]dns.HostIPResult{}}
	g := &lookupGroup{}
	hops := c.Report.Hops
	for i := range hops {
		c.planHop(ctx, r, g, ev, hops, i)
	}
	if d := recipientDomain(c.Report); d != "" {
		ev.recipDomain = d
		g.goLimited(func() {
			route := dns.Route(ctx, r, d)
			g.mu.Lock()
			ev.route = &route
			g.mu.Unlock()
		})
	}
	g.wg.Wait()
	c.Report.DNS = r.summary(c.Opts.DNSMode)
	return ev
}

// planHop queues the checks one hop needs: iprev of its peer, its recorded
// rDNS and HELO names against that IP, and the older hop's by-host against
// it (continuity through DNS).
func (c *Context) planHop(ctx context.Context, r dns.Resolver, g *lookupGroup, ev *dnsEvidence, hops []received.Hop, i int) {
	h := &hops[i]
	ip, ok := publicIP(h.From.IP)
	if !ok {
		return
	}
	if g.claim(ip) {
		g.goLimited(func() {
			res := dns.CheckIPRev(ctx, r, ip)
			g.mu.Lock()
			ev.iprev[ip] = res
			g.mu.Unlock()
		})
	}
	names := []string{h.From.RDNS, h.From.HELO}
	if i > 0 {
		names = append(names, hops[i-1].By.Host)
	}
	for _, name := range names {
		name = cleanHost(name)
		if !isFQDN(name) {
			continue
		}
		key := hostIPKey{name, ip}
		if !g.claim(key) {
			continue
		}
		g.goLimited(func() {
			res := dns.CheckHostIP(ctx, r, name, ip)
			g.mu.Lock()
			ev.hostIP[key] = res
			g.mu.Unlock()
		})
	}
}

// lookupGroup runs checks concurrently, each key once, at most
// maxDNSChecks per message.
type lookupGroup struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	claimed map[any]bool
}

func (g *lookupGroup) claim(key any) bool {
	if g.claimed == nil {
		g.claimed = map[any]bool{}
	}
	if g.claimed[key] || len(g.claimed) >= maxDNSChecks {
		return false
	}
	g.claimed[key] = true
	return true
}

func (g *lookupGroup) goLimited(f func()) { g.wg.Go(f) }

// countingResolver counts one message's lookups and DNS failures, so the
// report can say whether DNS answered at all.
type countingResolver struct {
	dns.Resolver
	lookups, failed atomic.Int64
}

func (r *countingResolver) note(err error) {
	r.lookups.Add(1)
	if dns.StatusOf(err) == dns.StatusTempError {
		r.failed.Add(1)
	}
}

func (r *countingResolver) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	v, err := r.Resolver.LookupPTR(ctx, ip)
	r.note(err)
	return v, err
}

func (r *countingResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	v, err := r.Resolver.LookupIP(ctx, host)
	r.note(err)
	return v, err
}

// LookupIPFamily keeps the inner resolver's single-family lookups: the
// checks ask the family of the address they test, and a failed AAAA
// question must not read as "no" when the A question answered.
func (r *countingResolver) LookupIPFamily(ctx context.Context, host string, v6 bool) ([]netip.Addr, error) {
	v, err := dns.LookupIPFamily(ctx, r.Resolver, host, v6)
	r.note(err)
	return v, err
}

func (r *countingResolver) LookupMX(ctx context.Context, domain string) ([]dns.MX, error) {
	v, err := r.Resolver.LookupMX(ctx, domain)
	r.note(err)
	return v, err
}

func (r *countingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	v, err := r.Resolver.LookupTXT(ctx, name)
	r.note(err)
	return v, err
}

func (r *countingResolver) LookupCNAME(ctx context.Context, name string) (string, error) {
	v, err := r.Resolver.LookupCNAME(ctx, name)
	r.note(err)
	return v, err
}

func (r *countingResolver) summary(mode string) *DNSSummary {
	s := &DNSSummary{Mode: mode, Lookups: int(r.lookups.Load())}
	failed := int(r.failed.Load())
	switch {
	case s.Lookups > 0 && failed == s.Lookups:
		s.Unavailable = true
		s.Note = "DNS was unavailable: every lookup failed; DNS checks are unknown"
	case failed > 0:
		s.Note = fmt.Sprintf("%d of %d lookups failed; those checks are unknown", failed, s.Lookups)
	}
	return s
}

// publicIP parses a hop address that DNS can say something about.
func publicIP(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil || reservedWhy(s) != "" || isInternalIP(s) {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

// recipientDomain is the domain the message was delivered to: the first
// envelope recipient, else the first To address.
func recipientDomain(r *MessageReport) string {
	for _, a := range r.Envelope.RcptTo {
		if d := routedDomain(a); d != "" {
			return d
		}
	}
	for _, a := range r.Header.To {
		if d := routedDomain(a.Address); d != "" {
			return d
		}
	}
	return ""
}

// routedDomain is the domain of addr when mail for it is routed through DNS;
// "" for an address literal ("bob@[192.0.2.1]", RFC 5321 §4.1.3), which
// names its host without one.
func routedDomain(addr string) string {
	d := domainOf(addr)
	if _, err := netip.ParseAddr(strings.TrimPrefix(d, "ipv6:")); err == nil {
		return ""
	}
	return d
}

// boundaryIndex is the hop where the receiving side took the message from
// outside (1-based), or 0 when unknown.
func (c *Context) boundaryIndex() int {
	if c.Trust == nil {
		return 0
	}
	return c.Trust.Boundary
}

// isClaim reports whether hop index i (1-based) lies below the trust
// boundary: written by someone the receiving side cannot vouch for.
func (c *Context) isClaim(i int) bool {
	b := c.boundaryIndex()
	return b > 0 && i < b
}

func checkIPRev(c *Context) []Finding {
	ev := c.dnsEvidenceOf()
	if ev == nil {
		return nil
	}
	var out []Finding
	for _, h := range c.Report.Hops {
		ip, ok := publicIP(h.From.IP)
		if !ok {
			continue
		}
		res, ok := ev.iprev[ip]
		if !ok || res.Status != dns.StatusFail {
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: %s has PTR %s, which does not resolve back to it", h.Index, ip, strings.Join(res.Names, ", ")),
			Evidence: fmt.Sprintf("PTR %s -> %s; none has %s among its addresses", ip, strings.Join(res.Names, ", "), ip)})
	}
	return out
}

func checkRecordedRDNS(c *Context) []Finding {
	ev := c.dnsEvidenceOf()
	if ev == nil {
		return nil
	}
	var out []Finding
	for _, h := range c.Report.Hops {
		name := cleanHost(h.From.RDNS)
		ip, ok := publicIP(h.From.IP)
		if !ok || !isFQDN(name) {
			continue
		}
		rev, fwd := ev.iprev[ip], ev.hostIP[hostIPKey{name, ip}]
		if !rdnsContradicted(name, rev, fwd) {
			continue
		}
		f := Finding{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: recorded name %s for %s is not confirmed by DNS", h.Index, name, ip),
			Evidence: fmt.Sprintf("%s; PTR %s -> %s; %s -> %s", strings.TrimSpace(firstLine(h.Raw)), ip, orNone(rev.Names), name, addrList(fwd.Addrs))}
		if !c.isClaim(h.Index) {
			f.Severity = SeverityLow
			f.Message += " (a trusted hop: DNS probably changed since delivery)"
		}
		out = append(out, f)
	}
	return out
}

// rdnsContradicted is true only when DNS answered both ways and neither
// direction pairs the name with the IP; any DNS failure is "unknown".
func rdnsContradicted(name string, rev dns.IPRevResult, fwd dns.HostIPResult) bool {
	if rev.Status == dns.StatusTempError || rev.Status == dns.StatusNotChecked || rev.Status == "" {
		return false
	}
	for _, n := range rev.Names {
		if sameHost(n, name) {
			return false
		}
	}
	return fwd.Status == dns.StatusFail || fwd.Status == dns.StatusNone
}

func checkHELODNS(c *Context) []Finding {
	ev := c.dnsEvidenceOf()
	if ev == nil {
		return nil
	}
	var out []Finding
	for _, h := range c.Report.Hops {
		helo := cleanHost(h.From.HELO)
		ip, ok := publicIP(h.From.IP)
		if !ok || !isFQDN(helo) || sameHost(helo, h.From.RDNS) {
			continue
		}
		res, ok := ev.hostIP[hostIPKey{helo, ip}]
		if !ok || res.Status != dns.StatusFail {
			continue
		}
		f := Finding{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: HELO %s resolves to %s, not to the connecting %s", h.Index, helo, addrList(res.Addrs), ip),
			Evidence: fmt.Sprintf("HELO %s; %s -> %s; peer %s", helo, helo, addrList(res.Addrs), ip)}
		// A HELO that claims another organisation than the IP's own name
		// is the "domain whose hosts are elsewhere" case.
		if rdns := cleanHost(h.From.RDNS); isFQDN(rdns) && orgDomain(rdns) != orgDomain(helo) {
			f.Severity = SeverityLow
		}
		out = append(out, f)
	}
	return out
}

func checkByDNS(c *Context) []Finding {
	ev := c.dnsEvidenceOf()
	if ev == nil {
		return nil
	}
	var out []Finding
	hops := c.Report.Hops
	for i := 1; i < len(hops); i++ {
		by, next := cleanHost(hops[i-1].By.Host), &hops[i]
		ip, ok := publicIP(next.From.IP)
		if !ok || !isFQDN(by) || sameHost(by, next.From.RDNS) || sameHost(by, next.From.HELO) {
			continue
		}
		res, ok := ev.hostIP[hostIPKey{by, ip}]
		if !ok || res.Status != dns.StatusFail {
			continue
		}
		out = append(out, Finding{Hops: []int{hops[i-1].Index, next.Index}, Line: next.Line,
			Message:  fmt.Sprintf("hop %d says %s received the message; hop %d got it from %s, which %s does not resolve to", hops[i-1].Index, by, next.Index, ip, by),
			Evidence: fmt.Sprintf("%s -> %s; hop %d peer %s", by, addrList(res.Addrs), next.Index, ip)})
	}
	return out
}

func checkMXEntry(c *Context) []Finding {
	ev := c.dnsEvidenceOf()
	b := c.boundaryIndex()
	if ev == nil || ev.route == nil || b == 0 || b > len(c.Report.Hops) {
		return nil
	}
	route := ev.route
	if route.Status != dns.RouteMX && route.Status != dns.RouteImplicitMX {
		return nil
	}
	// Mail is routed to the envelope recipient's MX (RFC 5321 §5.1): a To:
	// address may be a list's or an alias, and a submission (RFC 6409,
	// authenticated) is not MX delivery at all.
	if len(c.Report.Envelope.RcptTo) == 0 || c.hopFacts()[b-1].authed {
		return nil
	}
	entry := &c.Report.Hops[b-1]
	if enteredAtMX(entry, route) {
		return nil
	}
	hosts := make([]string, len(route.Hosts))
	for i, h := range route.Hosts {
		hosts[i] = h.Host
	}
	return []Finding{{Hops: []int{entry.Index}, Line: entry.Line,
		Message:  fmt.Sprintf("hop %d: the message entered %s at %s, which is not one of its MX hosts", entry.Index, ev.recipDomain, orNone([]string{entry.By.Host})),
		Evidence: fmt.Sprintf("%s MX: %s; entry hop by %s", route.Canonical, strings.Join(hosts, ", "), entry.By.Host)}}
}

// enteredAtMX accepts the entry hop when its by-host is an MX host, shares
// an organisation with one (providers name their front ends differently
// from their MX names), or its recorded by-IP is an MX address.
func enteredAtMX(entry *received.Hop, route *dns.RouteResult) bool {
	by := cleanHost(entry.By.Host)
	if by != "" && route.HasHost(by) {
		return true
	}
	if ip, err := netip.ParseAddr(entry.By.IP); err == nil && route.HasIP(ip) {
		return true
	}
	if !isFQDN(by) {
		return true // an IP literal or bare name: nothing to compare
	}
	for _, h := range route.Hosts {
		if orgDomain(h.Host) == orgDomain(by) || (family(h.Host) != "" && family(h.Host) == family(by)) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func orNone(list []string) string {
	if len(list) == 0 || (len(list) == 1 && list[0] == "") {
		return "(none)"
	}
	return strings.Join(list, ", ")
}

func addrList(addrs []netip.Addr) string {
	if len(addrs) == 0 {
		return "(no address)"
	}
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
