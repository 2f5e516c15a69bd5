package analyze

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailtrace/mailtrace/received"
)

// HELO rules: what one line says about its client. The HELO/EHLO name is
// the client's own claim (RFC 5321 §4.1.1.1); the rDNS name and the IP are
// what the receiver saw. Only the receiver's view is evidence, so these
// rules read the claim against it.
func init() {
	register(&Rule{
		ID: "helo-ip-literal", Severity: SeverityLow,
		Title: "HELO address literal is not the connecting address",
		Explain: "The client greeted with an address literal (RFC 5321 §4.1.3) that is a public address other " +
			"than the one it connected from. Clients behind NAT greet with their private address, which " +
			"is normal and not reported; a different public address is a borrowed identity.",
		Example: "Received: from [203.0.113.9] (unknown [198.51.100.7]) by mx.example.net ...",
		Check:   checkHELOLiteral,
	})
	register(&Rule{
		ID: "helo-impersonation", Severity: SeverityMedium,
		Title: "HELO claims a big provider or the recipient's domain",
		Explain: "The client greeted with a name of Google, Microsoft, Yahoo or Amazon SES, or of the " +
			"recipient's own domain, but its rDNS name and address belong elsewhere. Spammers greet with " +
			"names that filters trust; a real provider's host has reverse DNS in the provider's own domain. " +
			"Medium when the rDNS names another host, or the address is outside Google's or Microsoft's " +
			"ranges (published in full: no host of theirs sends to the internet from elsewhere; between " +
			"the provider's own hosts, past its inbound MX, it stays low); low when only the address " +
			"contradicts the claim of another provider, whose ranges mailtrace knows in part, because the " +
			"receiver recorded no rDNS.",
		Example: "Received: from mail-wr1-f41.google.com (dsl-1-2-3-4.example-isp.net [192.0.2.4]) by mx.example.net ...",
		Check:   checkHELOImpersonation,
	})
	register(&Rule{
		ID: "helo-injection", Severity: SeverityHigh,
		Title: "HELO carries a hop of its own",
		Explain: "The client greeted with text that reads as trace: a client comment such as " +
			"\"(mail.example [192.0.2.1])\", a by-clause or a \"; date\". A receiver that writes the greeting " +
			"as given (Postfix joins a HELO of several words with spaces) then wrote a Received line that " +
			"seems to name another client, another receiver and another date. The receiver's own text comes " +
			"after the greeting, so mailtrace reads the last client comment before the last by-clause as the " +
			"hop's client and all before it as the HELO. No mail server greets like this: it is an attempt to " +
			"plant a hop in the trace.",
		Example: "Received: from x (mail-sor-f41.google.com [209.85.220.41]) by mx.google.com; Mon, 1 Jan 2024 " +
			"00:00:00 +0000 (unknown [198.51.100.7]) by mx.example.net (Postfix) ...",
		Check: checkHELOInjection,
	})
	register(&Rule{
		ID: "helo-rdns-mismatch", Severity: SeverityInfo,
		Title: "HELO and reverse DNS disagree at the boundary",
		Explain: "On the hop the receiving side took from outside, the HELO name and the rDNS name belong to " +
			"different organisations, or Sendmail marked the client name \"(may be forged)\". Many honest " +
			"servers greet with a name that differs from their PTR, so this is context, not a sign.",
		Example: "Received: from mail.example.org (host-1.example-isp.net [192.0.2.1]) by mx.example.net ...",
		Check:   checkHELORDNS,
	})
}

func checkHELOLiteral(c *Context) []Finding {
	var out []Finding
	hf := c.hopFacts()
	hops := c.Report.Hops
	for i := range hops {
		h, f := &hops[i], &hf[i]
		if !f.helo.ip || h.From.IP == "" || f.authed {
			continue
		}
		lit := f.helo.addr
		if isInternalAddr(lit) || reservedWhyAddr(lit) != "" {
			continue
		}
		if sameAddr(lit, f.ip) {
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: HELO [%s] from %s", h.Index, lit, h.From.IP),
			Evidence: "from " + describeFrom(h.From)})
	}
	return out
}

func checkHELOInjection(c *Context) []Finding {
	var out []Finding
	hops := c.Report.Hops
	for i := range hops {
		h := &hops[i]
		if !h.HELOInjection {
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: the client at %s greeted with trace text of its own, a hop it wants read as real", h.Index, orDash(h.From.IP)),
			Evidence: "HELO " + h.From.HELO})
	}
	return out
}

// providerRanges are the published outbound ranges of the providers whose
// names spammers borrow, so a claim can be checked when rDNS is missing.
// Google's and Microsoft's are their SPF records in full (completeRanges);
// the others are the main blocks only.
var providerRanges = map[string][]netip.Prefix{
	// Google: _netblocks, _netblocks2 and _netblocks3.google.com, which _spf.google.com includes.
	"google": prefixes("209.85.128.0/17", "74.125.0.0/16", "64.233.160.0/19", "66.102.0.0/20",
		"66.249.80.0/20", "72.14.192.0/18", "108.177.8.0/21", "108.177.96.0/19", "172.217.0.0/16",
		"172.253.0.0/16", "173.194.0.0/16", "216.58.192.0/19", "216.239.32.0/19", "35.190.247.0/24",
		"35.191.0.0/16", "130.211.0.0/22",
		"2001:4860::/32", "2607:f8b0::/32", "2a00:1450::/32", "2404:6800::/32", "2800:3f0::/32", "2c0f:fb50::/32"),
	"microsoft": prefixes("40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
		"65.54.0.0/16", "65.55.0.0/16", "207.46.0.0/16", "157.55.0.0/16", "2a01:111::/32", "2603:1000::/24"),
	"yahoo": prefixes("98.136.0.0/14", "66.163.160.0/19", "74.6.0.0/16", "67.195.0.0/16",
		"68.142.192.0/18", "69.147.64.0/18", "206.190.32.0/19", "216.39.32.0/19", "212.82.96.0/19", "106.10.128.0/17"),
	"proofpoint": prefixes("148.163.128.0/19", "67.231.144.0/20"),
	"amazon-ses": prefixes("54.240.0.0/18", "69.169.224.0/20", "23.249.208.0/20", "23.251.224.0/19",
		"76.223.176.0/20", "199.255.192.0/22", "199.127.232.0/22", "54.239.0.0/17"),
}

// completeRanges are the families whose every outbound address
// providerRanges lists, so an address outside them is not theirs.
var completeRanges = map[string]bool{"google": true, "microsoft": true}

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// addrInPrefixes reports whether a, unmapped, is in one of ranges.
func addrInPrefixes(a netip.Addr, ranges []netip.Prefix) bool {
	if len(ranges) == 0 {
		return false
	}
	a = a.Unmap()
	for _, p := range ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func checkHELOImpersonation(c *Context) []Finding {
	var rcpt []string // only a hop greeting with a public name needs them
	var out []Finding
	hf := c.hopFacts()
	hops := c.Report.Hops
	for i := range hops {
		h, f := &hops[i], &hf[i]
		if h.From.HELO == "" || !f.helo.fqdn {
			continue
		}
		if rcpt == nil {
			rcpt = c.recipientFamilies() // nil again when there are none: cached
		}
		claim, what := heloClaim(f.helo, rcpt)
		if claim == "" || !overSMTP(h, f) {
			continue
		}
		if h.From.RDNS != "" && f.rdns.family == claim || f.inRanges(f.helo.ranges) {
			continue
		}
		if what == "the recipient's domain" && !h.Trusted {
			continue // only the receiving side knows which of its own hosts are real
		}
		if c.heloVerifiedElsewhere(f.helo) {
			continue
		}
		sev := SeverityMedium
		if h.From.RDNS == "" {
			// Only the address to hold the claim against; receivers that
			// do not record rDNS make this common. It is enough where the
			// provider's ranges are complete and the client came from
			// outside: no host of theirs sends to the internet from
			// elsewhere. Between its own hosts (a by-host of the provider
			// that is not its inbound MX) it may use addresses it does
			// not publish.
			if f.helo.ranges == nil {
				continue
			}
			if !completeRanges[claim] || f.by.family == claim && !providerMX(f.by) {
				sev = SeverityLow
			}
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line, Severity: sev,
			Message:  fmt.Sprintf("hop %d: HELO %s claims %s but the client is %s", h.Index, h.From.HELO, what, clientView(h.From)),
			Evidence: "from " + describeFrom(h.From)})
	}
	return out
}

// overSMTP reports a hop where a client greeted over the network from an
// address that can be judged: not MAPI, HTTP or a local pipe, not an
// internal or placeholder address, not authenticated submission, not a
// retrieval. f are the hop's facts.
//
// A retrieval ("from imap.gmail.com [142.250.110.109] by localhost with
// IMAP (fetchmail-6.4.37)") names the mailbox server fetchmail polled, as
// the user configured it, and the address fetchmail connected to: nobody
// greeted, and the address is the provider's IMAP or POP server, which its
// outbound mail ranges do not list.
func overSMTP(h *received.Hop, f *hopFacts) bool {
	if h.From.IP == "" || f.internal || f.reserved != "" || f.authed || f.helo.placeholder {
		return false // the with-clause is read only past the facts at hand
	}
	w := f.with(h)
	return !w.notSMTP && !w.retrieval
}

// heloVerifiedElsewhere reports a HELO name (its facts) that
// another hop records with the claimed provider's own rDNS or address: the
// host is real, and a later hop saw the same greeting through a proxy or
// filter. The same greeting is the same clean name (sameHost).
func (c *Context) heloVerifiedElsewhere(nf *nameFacts) bool {
	if nf.clean == "" {
		return false
	}
	fam := nf.family
	hf := c.hopFacts()
	hops := c.Report.Hops
	for i := range hops {
		h := &hops[i]
		if hf[i].helo != nf && hf[i].helo.clean != nf.clean {
			continue
		}
		if h.From.RDNS != "" && hf[i].rdns.family == fam || hf[i].inRanges(nf.ranges) {
			return true
		}
	}
	return false
}

// heloClaim returns the family a HELO name claims when it is a big
// provider's or the recipient's own.
func heloClaim(helo *nameFacts, rcpt []string) (string, string) {
	if !helo.fqdn {
		return "", ""
	}
	f := helo.family
	switch {
	case helo.ranges != nil:
		return f, f
	case slices.Contains(rcpt, f):
		return f, "the recipient's domain"
	}
	return "", ""
}

func clientView(f received.From) string {
	if f.RDNS != "" {
		return f.RDNS + " [" + f.IP + "]"
	}
	return "[" + f.IP + "] without reverse DNS"
}

// recipientFamilies are the families of the final recipients: the true
// envelope when mailtrace captured the message, else the topmost delivery
// field (Delivered-To, X-Original-To: written at final delivery) when the
// receiving side wrote it (above the newest untrusted hop), and the
// "for" clauses of trusted hops, else To. Older delivery fields and for
// clauses name lists and forwarders on the way, not the recipient.
//
// They are a list in the order found, each once: a message has one or two.
func (c *Context) recipientFamilies() []string {
	if c.cacheReady&cachedRcpt != 0 {
		return c.rcptCache
	}
	fs := c.rcptFactsBuf[:0] // the first facts of each family; the families are theirs
	last := ""               // the trusted hops often name one recipient each: adding it again adds nothing
	add := func(addr string) {
		if addr == last {
			return
		}
		last = addr
		if f := facts(domainOf(angleAddr(addr))); f.fqdn && !hasFamily(fs, f.family) {
			fs = append(fs, f)
		}
	}
	if c.Captured {
		for _, r := range c.Report.Envelope.RcptTo {
			add(r)
		}
	} else {
		// The receiving side's own recipient fields: above the Received
		// line of the hop it took from outside. One among the sender's
		// fields is anyone's to plant ("X-Original-To: alice@victirn.org"
		// would make the lookalike the recipient's own domain).
		if r := c.recipientAbove(c.receiverZoneEnd()); r != "" {
			add(r)
		}
		for i := range c.Report.Hops {
			if h := &c.Report.Hops[i]; h.Trusted && h.For != "" {
				add(h.For)
			}
		}
	}
	if len(fs) == 0 {
		for _, a := range c.Report.Header.To {
			add(a.Address)
		}
	}
	var out []string // nil when there are none
	if len(fs) == 0 {
		fs = nil
	} else {
		out = c.rcptBuf[:0]
		for _, f := range fs {
			out = append(out, f.family)
		}
	}
	c.rcptCache, c.rcptFacts, c.cacheReady = out, fs, c.cacheReady|cachedRcpt
	return out
}

// hasFamily reports facts of the family among fs.
func hasFamily(fs []*nameFacts, family string) bool {
	for _, f := range fs {
		if f.family == family {
			return true
		}
	}
	return false
}

// recipientFacts are the facts of the recipient domains recipientFamilies
// found, in the same order as its list: the i-th is the facts of the
// first domain (as domainOf gave it) whose family is the list's i-th, so
// its family is that entry. They are the name cache's, shared and never to
// be changed. Whatever asks for them asks for the families first, or has
// them worked out here.
func (c *Context) recipientFacts() []*nameFacts {
	c.recipientFamilies()
	return c.rcptFacts
}

// receiverZoneEnd is the line of the boundary hop's Received field: what
// stands above it the receiving side wrote or kept. 0 without a boundary.
func (c *Context) receiverZoneEnd() int {
	hops := c.Report.Hops
	if c.Trust == nil || c.Trust.Boundary < 1 || c.Trust.Boundary > len(hops) {
		return 0
	}
	return hops[c.Trust.Boundary-1].Line
}

// deliveredTo is the envelope recipient the delivery wrote above every
// Received line (Delivered-To, X-Original-To...), or the true envelope's
// when mailtrace captured the message; "" when there is none. Trust is not
// known yet where it is asked, so only the top of the message counts: a
// recipient field among the sender's own is anyone's to plant.
func (c *Context) deliveredTo() string {
	if c.Captured {
		if r := c.Report.Envelope.RcptTo; len(r) > 0 {
			return r[0]
		}
		return ""
	}
	hops := c.Report.Hops
	if len(hops) == 0 {
		return ""
	}
	return angleAddr(c.recipientAbove(hops[len(hops)-1].Line))
}

// recipientAbove is the value of the first recipient field (Delivered-To,
// X-Original-To...) above line, "" when there is none.
func (c *Context) recipientAbove(line int) string {
	for _, i := range c.fields().recipients {
		if f := &c.Msg.Fields[i]; f.Line > 0 && f.Line < line {
			return c.unfolded(i)
		}
	}
	return ""
}

func isRecipientField(name string) bool {
	if len(name) < 11 || name[0]|0x20 != 'd' && name[0]|0x20 != 'x' && name[0]|0x20 != 'e' {
		return false
	}
	// strings.EqualFold: no letter of these names has a fold outside
	// ASCII (only K and S do), so only a name as long can match.
	for _, n := range recipientFields {
		if len(n) == len(name) && equalFoldASCII(n, name) {
			return true
		}
	}
	return false
}

func checkHELORDNS(c *Context) []Finding {
	if c.Trust == nil || c.Trust.Boundary == 0 {
		return nil
	}
	h := &c.Report.Hops[c.Trust.Boundary-1]
	if h.MayBeForged {
		return []Finding{{Hops: []int{h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d: the receiver marked the client name as possibly forged", h.Index),
			Evidence: "from " + describeFrom(h.From)}}
	}
	f := &c.hopFacts()[c.Trust.Boundary-1]
	helo, rdns := f.helo, f.rdns
	if !helo.fqdn || !rdns.fqdn || helo.family == rdns.family {
		return nil
	}
	return []Finding{{Hops: []int{h.Index}, Line: h.Line,
		Message:  fmt.Sprintf("hop %d: HELO %s but reverse DNS %s", h.Index, helo.clean, rdns.clean),
		Evidence: "from " + describeFrom(h.From)}}
}

// providerMX reports the by-host of a provider's inbound MX, which takes
// mail from the internet: Gmail's mx.google.com, Exchange Online
// Protection's *.mail.protection.outlook.com.
func providerMX(by *nameFacts) bool {
	return isGmailMX(by.clean) || strings.HasSuffix(by.clean, ".mail.protection.outlook.com")
}
