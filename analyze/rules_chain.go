package analyze

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Chain rules: does each hop hand over to the next (RFC 5321 §4.4: the
// by-clause names the receiving host, the from-clause the host it heard
// from), and which lines below the genuine chain were written by hand.
func init() {
	register(&Rule{
		ID: "hop-continuity", Severity: SeverityMedium,
		Title: "Received chain broken between two hops",
		Explain: "Each hop's from-clause names the host that handed the message over, which must be the host " +
			"that wrote the hop below it (its by-clause). mailtrace compares them by IP, by name, by " +
			"organisational domain (public suffix list), by provider naming family (Microsoft 365, Google, " +
			"Yahoo, Proofpoint, Oracle, Amazon SES) and, when DNS is enabled, by resolving the by-host. " +
			"Between two servers inside Microsoft 365, where each names the one before it, the family is not " +
			"enough: the server names must agree, so a hop taken out or renamed there breaks the chain. An " +
			"unexpected host between two hops means the lines below were not written by the hosts that " +
			"carried the message: the classic sign of Received lines added by the sender. Placeholder " +
			"names (RFC 2606) and documentation addresses (RFC 5737) leave a link unknown only in an " +
			"anonymised sample, whose receiving side uses them too; under a real receiver they excuse nothing.",
		Example: "Received: from galangal.org ([104.128.23.115]) by mail.bieberdorf.edu ...\n" +
			"Received: from lemongrass.org by turmeric.com (8.7.3) ...",
		Check: checkContinuity,
	})
	register(&Rule{
		ID: "received-appended", Severity: SeverityHigh,
		Title: "Received line added by the sender",
		Explain: "A line below the trust boundary carries the marks of a hand-written line: it sits below a " +
			"continuity break, it names a client without the IP address every SMTP server records, it " +
			"has a shape no MTA writes, an MTA version far older than its own date (or not yet released), " +
			"an exact duplicate, or a missing or impossible date. Forgers append such lines to send " +
			"investigators to an innocent network. High when the line is below a break and has another " +
			"mark; medium when it has two marks without a break.",
		Example: "Received: from graprao.com by lemongrass.org (8.6.12) id AA04521; Tue, 18 Mar 1997 ...",
		Check:   checkAppended,
	})
	register(&Rule{
		ID: "received-duplicate", Severity: SeverityMedium,
		Title: "Duplicate Received line",
		Explain: "Two Received fields are byte-for-byte the same once unfolded. An MTA stamps its own queue " +
			"id and time on every pass, so a true loop produces different lines; an exact copy was " +
			"pasted, usually to pad a forged chain.",
		Example: "Received: from a.example (a.example [192.0.2.1]) by b.example id X; Mon, 1 Jan 2024 ...\n" +
			"Received: from a.example (a.example [192.0.2.1]) by b.example id X; Mon, 1 Jan 2024 ...",
		Check: checkDuplicates,
	})
	register(&Rule{
		ID: "received-too-many", Severity: SeverityMedium,
		Title: "More Received lines than any MTA passes on",
		Explain: "MTAs count a message's Received fields to stop mail loops and refuse the message past a " +
			"limit (RFC 5321 §6.3 asks for at least 100; Postfix refuses at 50, Exim at 30 and Sendmail " +
			"at 25 by default). A message that arrived with more than 100 carries lines no chain of such " +
			"servers wrote: they were added by hand, usually to pad a forged chain or to bury its start, " +
			"or the message looped through a server that counts none. Info when the receiving side wrote " +
			"the lines past the limit (a loop inside it). mailtrace analyses the newest " +
			"1000 hops and says how many older lines it left out.",
		Example: "150 Received fields: the oldest 50 are past the 100 an MTA counts before it refuses the message",
		Check:   checkTooMany,
	})
}

// hopLimit is the hop count past which MTAs refuse mail as looping: RFC
// 5321 §6.3's "at least 100", above every common MTA's default.
const hopLimit = 100

// checkTooMany points at the newest hop past hopLimit: the line below the
// hundred an MTA would have counted before refusing the message.
func checkTooMany(c *Context) []Finding {
	hops := c.Report.Hops
	if len(hops) <= hopLimit {
		return nil
	}
	total := 0
	for i := range c.Msg.Fields {
		if isReceived(c.Msg.Fields[i].Name) {
			total++
		}
	}
	h := &hops[len(hops)-hopLimit-1]
	past := fmt.Sprintf("the oldest %d, from hop %d down, are", total-hopLimit, h.Index)
	if total == hopLimit+1 {
		past = fmt.Sprintf("the oldest, hop %d, is", h.Index)
	}
	msg := fmt.Sprintf("%d Received fields, more than the %d after which MTAs refuse mail as looping: %s past that limit",
		total, hopLimit, past)
	f := Finding{Hops: []int{h.Index}, Line: h.Line, Message: msg, Evidence: strings.TrimSpace(h.Raw)}
	if h.Trusted {
		// The receiving side wrote it: a loop inside one site, no forgery.
		f.Severity, f.Message = SeverityInfo, msg+"; the receiving side wrote them: a loop inside it"
	}
	return []Finding{f}
}

// linkStatus is what continuity says about one adjacent pair.
type linkStatus int

const (
	linkUnknown linkStatus = iota // not enough on either side to compare
	linkOK
	linkBreak
)

// link is the continuity verdict between hops[i-1] (older) and hops[i].
// A break says why in how; a match or an unknown pair says how in how and
// what, put together only when shown (String), since every pair of every
// message gets one.
type link struct {
	status linkStatus
	how    string // how it matched, or why it broke
	what   string // the name or address it matched on, if any
}

// String says how the pair matched or why it broke.
func (l link) String() string {
	if l.what == "" {
		return l.how
	}
	return l.how + " " + l.what
}

// links computes continuity for every adjacent pair once per message;
// links()[i] compares hops[i-1] with hops[i] (links()[0] is unused).
func (c *Context) links() []link {
	if c.cacheReady&cachedLinks != 0 {
		return c.linkCache
	}
	hops, hf := c.Report.Hops, c.hopFacts()
	out := c.linkBuf[:0]
	if len(hops) > len(c.linkBuf) {
		out = make([]link, 0, len(hops))
	}
	out = out[:len(hops)]
	for i := 1; i < len(hops); i++ {
		out[i] = c.linkBetween(&hops[i-1], &hops[i], &hf[i-1], &hf[i])
	}
	c.linkCache, c.cacheReady = out, c.cacheReady|cachedLinks
	return out
}

// Bits of Context.cacheReady.
const (
	cachedLinks = 1 << iota
	cachedAuth
	cachedRcpt
	cachedKeys
	cachedDups
)

// linkBetween compares the older hop's by-clause with the newer hop's
// from-clause (of and nf are their facts).
func (c *Context) linkBetween(older, newer *received.Hop, of, nf *hopFacts) link {
	if older.Parsed == received.ParsedNone || newer.Parsed == received.ParsedNone {
		return link{status: linkUnknown, how: "unparsed line"}
	}
	f, by := &newer.From, of.by
	if by.clean == "" && older.By.IP == "" || f.IP == "" && f.RDNS == "" && f.HELO == "" {
		return link{status: linkUnknown, how: "nothing to compare"}
	}
	if l, ok := matchByIP(older, newer, of, nf); ok {
		return l
	}
	if nf.internal {
		// An internal hand-off: the names are internal too and often differ
		// from the public ones; an internal address cannot be checked.
		return link{status: linkOK, how: "internal address", what: f.IP}
	}
	names, n := fromFacts(nf.hopNames)
	if l, ok := msInternalLink(older, newer, by, nf.by, names[:n]); ok {
		return l
	}
	for _, name := range names[:n] {
		if name == nf.helo && heloDisproved(nf) {
			continue
		}
		if l, ok := matchName(by, name); ok {
			return l
		}
	}
	if c.espBranded(by, names[:n]) {
		return link{status: linkOK, how: "sending service relays under the sender's own names", what: by.clean}
	}
	if c.dnsConfirms(by.clean, f.IP) {
		return link{status: linkOK, how: "DNS: " + by.clean + " has address " + f.IP}
	}
	if why := unknowable(older, newer, by, names[:n], nf, c.sampleSide()); why != "" {
		return link{status: linkUnknown, how: why}
	}
	return link{status: linkBreak, how: fmt.Sprintf("hop %d was written by %s, but hop %d says it came from %s",
		older.Index, by.clean, newer.Index, describeFrom(*f))}
}

// heloDisproved reports a hop whose HELO names a provider whose outbound
// ranges are known in full while the address it came from is outside them, and no
// reverse DNS of that name backs it: the greeting is the client's own claim
// ("from EUR05-AM6-obe.outbound.protection.outlook.com (unknown
// [91.215.85.17])"), and the address disproves it, so it links nothing.
func heloDisproved(nf *hopFacts) bool {
	return nf.helo != nf.rdns && nf.outsideComplete(nf.helo)
}

// msInternalLink judges a hand-off between two servers inside Microsoft
// 365 (by is the older hop's by-host, newerBy the newer one's): there each
// server records the one before it by its own name (BN9P220CA0018.
// outlook.office365.com, then from BN9P220CA0018...), so the first labels
// must agree. The family match would let any Microsoft name stand in for
// any other, and so a hop taken out, swapped or rewritten.
func msInternalLink(older, newer *received.Hop, by, newerBy *nameFacts, names []*nameFacts) (link, bool) {
	if !by.msInternal || !newerBy.msInternal || !anyMSInternal(names) {
		return link{}, false
	}
	label := by.cleanLabel()
	for _, name := range names {
		if name.cleanLabel() == label {
			return link{status: linkOK, how: "same Microsoft 365 server", what: name.clean}, true
		}
	}
	return link{status: linkBreak, how: fmt.Sprintf("hop %d was written by %s, but hop %d says it came from %s; inside Microsoft 365 each server names the one before it",
		older.Index, by.clean, newer.Index, describeFrom(newer.From))}, true
}

// anyMSInternal reports a client that names itself as a server inside
// Microsoft 365. Mail from one tenant to another leaves through Exchange
// Online Protection's outbound side, which stamps no line of its own and
// greets the inbound side as *.outbound.protection.outlook.com: after the
// sender's mailbox server (by DU0PR07MB9456...) the recipient's front end
// records "from EUR05-DB8-obe.outbound.protection.outlook.com", and only the
// family (with the greeting checked against Microsoft's ranges) can link them.
func anyMSInternal(names []*nameFacts) bool {
	for _, n := range names {
		if n.msInternal {
			return true
		}
	}
	return false
}

// matchByIP matches the by-host's address (its by-clause address, or the
// by-host when it is an address literal) with the connecting address, or
// with an address literal the client greeted with.
func matchByIP(older, newer *received.Hop, of, nf *hopFacts) (link, bool) {
	f := &newer.From
	if older.By.IP == "" && !of.by.ip {
		return link{}, false
	}
	if f.IP != "" && (older.By.IP == f.IP || sameAddr(of.byAddr(older), nf.ip)) {
		return link{status: linkOK, how: "same IP", what: f.IP}, true
	}
	for _, n := range [2]*nameFacts{nf.helo, nf.rdns} {
		if n.ip && sameAddr(n.addr, of.byAddr(older)) {
			return link{status: linkOK, how: "HELO literal matches", what: of.byAddr(older).String()}, true
		}
	}
	return link{}, false
}

// sameAddr reports two valid addresses that are the same once unmapped,
// zones aside.
func sameAddr(x, y netip.Addr) bool {
	return x.IsValid() && y.IsValid() && x.Unmap().WithZone("") == y.Unmap().WithZone("")
}

// fromFacts lists the names of a from-clause: rDNS first (the receiver's
// lookup), then the HELO (the client's claim); IP literals and "unknown"
// left out (nameFacts.fromName).
func fromFacts(nn hopNames) ([2]*nameFacts, int) {
	var out [2]*nameFacts
	n := 0
	if nn.rdns.fromName {
		out[0], n = nn.rdns, 1
	}
	if nn.helo.fromName {
		out[n] = nn.helo
		n++
	}
	return out, n
}

// unknowable says why a pair whose names differ still proves nothing.
func unknowable(older, newer *received.Hop, by *nameFacts, names []*nameFacts, nf *hopFacts, sample bool) string {
	f := &newer.From
	anyFQDN, anyPlaceholder := false, false
	for _, n := range names {
		anyFQDN = anyFQDN || n.fqdn
		anyPlaceholder = anyPlaceholder || n.placeholderClean()
	}
	switch {
	case !by.fqdn || !anyFQDN:
		return "internal or missing names"
	case sample && (by.placeholderClean() || anyPlaceholder || nf.documentation()):
		// RFC 2606 names and RFC 5737 addresses are anonymised stand-ins,
		// when the receiving side is one too: under a real receiver, a
		// placeholder in a claimed line is no excuse for a break.
		return "placeholder names"
	case older.From.IP == "" && older.From.RDNS == "" && older.From.HELO == "" && !outsideOwnRanges(by, nf):
		// An origin line ("by host id ...") names the machine as it calls
		// itself, often an internal name unrelated to its public one.
		return "origin line names the host as it calls itself"
	case nf.with(newer).retrieval:
		// A retrieval (fetchmail) names the mailbox server as the user
		// configured it, often an alias of the host that stored the message.
		return "retrieval from a mailbox server"
	case f.IP == "" && sameHost(f.HELO, newer.By.Host) || f.IP == "" && sameHost(f.RDNS, newer.By.Host):
		// "from list.example by list.example with spool": a re-injection
		// whose reception was recorded by another component.
		return "local re-injection"
	case !nf.by.fqdn && f.HELO != "" &&
		(sameHost(f.HELO, older.From.HELO) || sameHost(f.HELO, older.From.RDNS)):
		// A transparent proxy in front of a back-end MTA passes the
		// client's own greeting through.
		return "back-end of a transparent proxy"
	}
	return ""
}

// outsideOwnRanges reports a by-host of a provider whose outbound ranges
// are known in full (Google's mail-sor-f41.google.com, which Gmail's
// forwarding writes as an origin line) handing over from a public address
// outside them: whatever the host calls itself, it is the provider's, and
// the provider sends from nowhere else. A forger pastes such a line under
// his own relay to dress a spoof as Gmail forwarding.
func outsideOwnRanges(by *nameFacts, nf *hopFacts) bool {
	return !nf.internal && nf.reserved == "" && nf.outsideComplete(by)
}

// isPlaceholder reports names reserved for examples: RFC 2606 ones and
// the "example" label under any suffix (example.co.jp).
func isPlaceholder(name string) bool {
	if isExampleDomain(name) {
		return true
	}
	label, _ := splitOrg(name)
	return label == "example"
}

// sampleSide reports an anonymised sample: the receiving side's own hops
// name placeholder hosts (RFC 2606 domains; "localhost" is plumbing, not a
// placeholder) or record documentation addresses, or no hop is known to be
// the receiving side's.
func (c *Context) sampleSide() bool {
	hops, hf := c.Report.Hops, c.hopFacts()
	if c.Trust == nil || c.Trust.Boundary < 1 || c.Trust.Boundary > len(hops) {
		return true
	}
	for i := c.Trust.Boundary - 1; i < len(hops); i++ {
		if by := hf[i].by; by.fqdn && by.placeholderClean() || hf[i].documentation() {
			return true
		}
	}
	return false
}

// matchName compares a by-host with one from-name: same name, same short
// name when one side is unqualified, same organisation or provider family.
func matchName(by, name *nameFacts) (link, bool) {
	switch {
	case by.clean == name.clean:
		return link{status: linkOK, how: "same name", what: name.clean}, true
	case (!by.fqdn || !name.fqdn) && by.cleanLabel() == name.cleanLabel():
		return link{status: linkOK, how: "same host name", what: name.cleanLabel()}, true
	case by.fqdn && name.fqdn && by.family == name.family:
		return link{status: linkOK, how: "same organisation", what: name.family}, true
	}
	return link{}, false
}

// espFamilies are bulk-sending services whose outbound hosts carry their
// customers' names (SendGrid's o1.ptr123.example.com): a hop from such a
// name after the service's own hop is the service handing over.
var espFamilies = map[string]bool{
	"sendgrid.net": true, "mailgun": true, "mcsv.net": true, "rsgsv.net": true,
	"mcdlv.net": true, "mandrillapp.com": true, "sparkpostmail.com": true, "mtasv.net": true,
	"mailjet.com": true, "sendinblue.com": true, "amazon-ses": true, "exacttarget.com": true,
	"messagegears.net": true, "sailthru.com": true, "mailchimpapp.net": true, "postmarkapp.com": true,
}

// espBranded reports a by-host of a sending service followed by a
// from-name in the sender's own domain (From or Return-Path).
func (c *Context) espBranded(by *nameFacts, names []*nameFacts) bool {
	if !by.esp {
		return false
	}
	own := map[string]bool{family(domainOf(c.Report.Envelope.MailFrom)): true}
	for _, a := range c.Report.Header.From {
		own[family(domainOf(a.Address))] = true
	}
	for _, n := range names {
		if own[n.family] {
			return true
		}
	}
	return false
}

// dnsConfirms asks the resolver, when there is one, whether host has the
// address ip. Any DNS failure means "not confirmed", never a break.
func (c *Context) dnsConfirms(host, ip string) bool {
	return c.Trust != nil && c.Trust.dnsConfirms(host, ip)
}

func checkContinuity(c *Context) []Finding {
	var out []Finding
	hops := c.Report.Hops
	for i, l := range c.links() {
		if l.status != linkBreak {
			continue
		}
		older, newer := &hops[i-1], &hops[i]
		out = append(out, Finding{
			Hops: []int{older.Index, newer.Index}, Line: newer.Line,
			Message:  "continuity break: " + l.String(),
			Evidence: "by " + older.By.Host + " | from " + describeFrom(newer.From),
		})
	}
	return out
}

// belowBreak reports, for each hop, whether a continuity break sits at or
// above it within the untrusted part of the chain (up to the boundary),
// in buf when it has room.
func (c *Context) belowBreak(buf []bool) []bool {
	hops := c.Report.Hops
	out := boolsIn(buf, len(hops))
	links := c.links()
	broken := false
	top := len(hops) - 1
	if c.Trust != nil && c.Trust.Boundary > 0 {
		top = c.Trust.Boundary - 1
	}
	for i := top; i >= 0; i-- {
		if i+1 < len(links) && i+1 <= top && links[i+1].status == linkBreak {
			broken = true
		}
		out[i] = broken
	}
	return out
}

func checkAppended(c *Context) []Finding {
	hops := c.Report.Hops
	if c.Trust == nil || c.Trust.Boundary <= 1 {
		return nil
	}
	// Most chains are short: the two lists fit on the stack.
	var belowBuf, dupsBuf [16]bool
	below := c.belowBreak(belowBuf[:])
	dups := c.duplicateHops(dupsBuf[:])
	hf := c.hopFacts()
	final := c.finalStamp()
	var out []Finding
	for i := 0; i < c.Trust.Boundary-1; i++ {
		h := &hops[i]
		// Below a break one mark is enough (high); elsewhere it takes two
		// (medium).
		need, sev := 2, SeverityMedium
		if below[i] {
			need, sev = 1, SeverityHigh
		}
		marks := c.appendMarks(h, &hf[i], dups[i], need, &final)
		if len(marks) < need {
			continue
		}
		if below[i] {
			marks = append([]string{"below a continuity break"}, marks...)
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line, Severity: sev,
			Message:  fmt.Sprintf("hop %d looks added by hand: %s", h.Index, strings.Join(marks, "; ")),
			Evidence: unfold(h.Raw)})
	}
	return out
}

// appendMarks lists what makes one untrusted line look hand-written, or
// returns nil when they are fewer than need, which it may tell before
// searching the line for a Sendmail version (versionMark): the rule
// reports no such line, and most lines bear no mark. final is
// c.finalStamp().
func (c *Context) appendMarks(h *received.Hop, f *hopFacts, dup bool, need int, final *finalStamp) []string {
	none, missing := h.Parsed == received.ParsedNone, missingIP(h, f)
	date := c.dateMark(h, final)
	n := 0
	for _, b := range [...]bool{none, missing, dup, date != ""} {
		if b {
			n++
		}
	}
	if n+1 < need {
		return nil // the version's mark would be one more at most
	}
	var marks []string
	if none {
		marks = append(marks, "a shape no MTA writes")
	}
	if missing {
		marks = append(marks, "names a client without its IP address")
	}
	if m := versionMark(h); m != "" {
		marks = append(marks, m)
	}
	if dup {
		marks = append(marks, "exact duplicate of another Received line")
	}
	if date != "" {
		marks = append(marks, date)
	}
	return marks
}

// missingIP: an SMTP server always records the connecting address (RFC
// 5321 §4.4 "TCP-info"); a line naming a client of another organisation
// without one, over SMTP, was not written by a server. f are the hop's
// facts.
func missingIP(h *received.Hop, f *hopFacts) bool {
	if h.Parsed == received.ParsedNone || h.From.IP != "" || h.By.IP != "" {
		return false
	}
	name := f.rdns
	if !name.fqdn {
		name = f.helo
	}
	if !name.fqdn || !f.by.fqdn || name.family == f.by.family {
		// Inside one organisation hand-offs without an address are common
		// (daemons, queues, list expanders); a forged line crosses to another.
		return false
	}
	if f.with(h).localTransport {
		return false
	}
	return !strings.Contains(h.Raw, "[") && !containsFold(h.Raw, "unix socket")
}

// containsFold is strings.Contains(strings.ToLower(s), word) for a
// non-empty lower-case ASCII word, without the copy when s is ASCII. It
// compares only where the word's first letter stands, in either case,
// found by IndexByte: every Authentication-Results field is searched for
// "fail", and most hold none.
func containsFold(s, word string) bool {
	if !isASCII(s) {
		return strings.Contains(strings.ToLower(s), word)
	}
	lo, up := word[0], upperASCII(word[0])
	nextLo, nextUp := -1, -1 // where each stands next, at or after pos; -1 not looked for yet
	for pos := 0; pos+len(word) <= len(s); {
		nextLo = nextAt(s, lo, pos, nextLo)
		nextUp = nextAt(s, up, pos, nextUp)
		at := min(nextLo, nextUp)
		if at == len(s) || at+len(word) > len(s) {
			return false
		}
		if equalFoldASCII(s[at:at+len(word)], word) {
			return true
		}
		pos = at + 1
	}
	return false
}

// nextAt is the index of the first c in s at or after pos, len(s) when
// there is none; last is what it answered before (-1 for nothing), kept
// while it is still ahead of pos.
func nextAt(s string, c byte, pos, last int) int {
	if last >= pos {
		return last
	}
	if k := strings.IndexByte(s[pos:], c); k >= 0 {
		return pos + k
	}
	return len(s)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// sendmailMinor finds Sendmail's by-clause version, "(8.7.3/8.7.3)" or
// "(Sendmail 8.7.3)", and returns its minor number: the first match of
// `\((?:Sendmail )?8\.(\d{1,2})\.\d` in raw, without the regexp engine
// (every line of every message is searched).
func sendmailMinor(raw string) (string, bool) {
	for i := strings.IndexByte(raw, '('); i >= 0; {
		rest := raw[i+1:]
		// Only "8." or "Sendmail " can follow: most parentheses hold
		// neither, told by their first byte.
		if len(rest) > 0 && (rest[0] == '8' || rest[0] == 'S') {
			if after, ok := strings.CutPrefix(rest, "Sendmail "); ok {
				if m, ok := versionMinor(after); ok {
					return m, true
				}
			}
			if m, ok := versionMinor(rest); ok {
				return m, true
			}
		}
		k := strings.IndexByte(rest, '(')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return "", false
}

// versionMinor reads "8." followed by one or two digits, a dot and a
// digit, preferring two digits as the regexp does.
func versionMinor(s string) (string, bool) {
	s, ok := strings.CutPrefix(s, "8.")
	if !ok {
		return "", false
	}
	for _, n := range [2]int{2, 1} {
		if len(s) > n+1 && isDigits(s[:n]) && s[n] == '.' && isDigit(s[n+1]) {
			return s[:n], true
		}
	}
	return "", false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// sendmailReleased is the year each Sendmail 8.x minor version came out.
var sendmailReleased = map[int]int{6: 1993, 7: 1995, 8: 1996, 9: 1998, 10: 2000, 11: 2000, 12: 2001,
	13: 2004, 14: 2007, 15: 2014, 16: 2020, 17: 2021, 18: 2023}

// versionMark compares a Sendmail version with the line's own date: a
// version released after the date is impossible, one more than fifteen
// years older than it is an ancient MTA few real chains still carry.
func versionMark(h *received.Hop) string {
	if h.Time == nil {
		return ""
	}
	m, ok := sendmailMinor(h.Raw)
	if !ok {
		return ""
	}
	minor, _ := strconv.Atoi(m)
	year, ok := sendmailReleased[minor]
	if !ok {
		return ""
	}
	switch {
	case h.Time.Year() < year:
		return fmt.Sprintf("Sendmail 8.%d is stamped %d, before its release in %d", minor, h.Time.Year(), year)
	case h.Time.Year()-year > 15:
		return fmt.Sprintf("Sendmail 8.%d (%d) is ancient for a line dated %d", minor, year, h.Time.Year())
	}
	return ""
}

// finalStamp is what dateMark compares every line's date with: the
// final receiver's stamp (newestTime, nil when no hop has a date) and it
// plus the skew, worked out once per message.
type finalStamp struct {
	last *time.Time
	// limit is last.Add(skew) when bounded: laterBy(t, *last, skew) is
	// bounded && t.After(limit).
	limit   time.Time
	bounded bool
	skew    time.Duration
}

func (c *Context) finalStamp() finalStamp {
	fs := finalStamp{last: newestTime(c.Report.Hops), skew: c.skew()}
	if fs.last != nil {
		fs.limit, fs.bounded = fs.last.Add(fs.skew), fs.skew < math.MaxInt64
	}
	return fs
}

// dateMark: RFC 5321 §4.4 requires the date; one before SMTP existed
// (RFC 821, 1982) or after the final receiver's own stamp is impossible.
// final is c.finalStamp().
func (c *Context) dateMark(h *received.Hop, final *finalStamp) string {
	if h.Parsed == received.ParsedNone {
		return ""
	}
	if h.Time == nil {
		return "no date"
	}
	if h.Time.Year() < 1982 {
		return "dated before SMTP existed"
	}
	if final.last != nil && final.bounded && h.Time.After(final.limit) {
		if sev, _ := clockError(h.Time.Sub(*final.last), final.skew); sev != SeverityInfo {
			return "dated after the final receiver's stamp"
		}
	}
	return ""
}

func newestTime(hops []received.Hop) *time.Time {
	for i := len(hops) - 1; i >= 0; i-- {
		if hops[i].Time != nil {
			return hops[i].Time
		}
	}
	return nil
}

func (c *Context) skew() time.Duration {
	if c.Opts == nil || c.Opts.ClockSkew <= 0 {
		return 5 * time.Minute
	}
	return c.Opts.ClockSkew
}

// hopKeys are hashes of the hops' lines with white space normalised
// (folding differs between copies of one line), computed once.
func (c *Context) hopKeys() []uint64 {
	if c.cacheReady&cachedKeys != 0 {
		return c.keyCache
	}
	out := make([]uint64, len(c.Report.Hops))
	for i, h := range c.Report.Hops {
		out[i] = normHash(h.Raw)
	}
	c.keyCache, c.cacheReady = out, c.cacheReady|cachedKeys
	return out
}

// normHash is FNV-1a over the words of s separated by single spaces.
func normHash(s string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	space := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' {
			space = true
			continue
		}
		if space {
			h = (h ^ ' ') * prime
			space = false
		}
		h = (h ^ uint64(ch)) * prime
	}
	return h
}

// sameParse compares what the parser read from two lines.
func sameParse(a, b *received.Hop) bool {
	return a.ID == b.ID && a.From == b.From && a.By == b.By && a.With == b.With && a.For == b.For &&
		a.DateText == b.DateText && len(a.Raw) > 0 && len(b.Raw) > 0
}

// parseShape is the lengths of what sameParse compares of a hop, one in
// each byte (modulo 256): hops that parse alike have the same shape, and
// in a chain hardly any two others do.
func parseShape(h *received.Hop) uint64 {
	return uint64(len(h.ID)) | uint64(len(h.DateText))<<8 | uint64(len(h.From.HELO))<<16 |
		uint64(len(h.From.RDNS))<<24 | uint64(len(h.From.IP))<<32 | uint64(len(h.By.Host))<<40 |
		uint64(len(h.With))<<48 | uint64(len(h.For))<<56
}

// sameLine compares two lines with white space normalised.
func sameLine(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// duplicatePairs returns, for each hop, the older hop it duplicates, or -1.
func (c *Context) duplicatePairs() []int {
	if c.cacheReady&cachedDups != 0 {
		return c.dupCache
	}
	hops := c.Report.Hops
	out := c.dupBuf[:0]
	if len(hops) > len(c.dupBuf) {
		out = make([]int, 0, len(hops))
	}
	out = out[:len(hops)]
	if len(hops) > maxPairwiseHops {
		c.duplicatesByKey(out)
	} else {
		c.duplicatesPairwise(out)
	}
	c.dupCache, c.cacheReady = out, c.cacheReady|cachedDups
	return out
}

// duplicatesPairwise fills out for duplicatePairs, comparing every hop
// with every older one.
func (c *Context) duplicatesPairwise(out []int) {
	hops := c.Report.Hops
	// Copies parse alike, so their parses are of one shape (parseShape):
	// a pair of another shape, nearly every pair, is passed over with one
	// comparison.
	var shapeBuf [8]uint64
	shapes := shapeBuf[:]
	if len(out) > len(shapeBuf) {
		shapes = make([]uint64, len(out))
	}
	shapes = shapes[:len(out)]
	for i := range shapes {
		shapes[i] = parseShape(&hops[i])
	}
	for i, si := range shapes {
		out[i] = -1
		for j, sj := range shapes[:i] {
			// Copies of one line parse alike: compare the parse first, the
			// text only when it agrees.
			if sj == si && sameParse(&hops[j], &hops[i]) && sameCopy(hops[j].Raw, hops[i].Raw) {
				out[i] = j
				break
			}
		}
	}
}

// sameCopy is what duplicatesPairwise asks of two lines: the same hash
// (normHash) and the same words (sameLine). When the words normHash reads
// are the same (sameWords), so is the hash, and so are the words
// strings.Fields reads (its white space takes in normHash's): true, without
// building the lines. Otherwise, nearly always, hash and words differ.
func sameCopy(a, b string) bool {
	return sameWords(a, b) || normHash(a) == normHash(b) && sameLine(a, b)
}

// sameWords reports two lines that normHash reads as the same words: the
// same runs of other bytes, between runs of its white space, and white
// space before the first word in both or in neither (normHash reads it as
// one space; after the last word it reads none).
func sameWords(a, b string) bool {
	i, j := 0, 0
	for {
		i0, j0 := i, j
		for i < len(a) && hashSpace(a[i]) {
			i++
		}
		for j < len(b) && hashSpace(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if (i > i0) != (j > j0) {
			return false
		}
		for i < len(a) && j < len(b) && a[i] == b[j] && !hashSpace(a[i]) {
			i, j = i+1, j+1
		}
		if (i < len(a) && !hashSpace(a[i])) || (j < len(b) && !hashSpace(b[j])) {
			return false // the words differ here
		}
	}
}

// hashSpace is the white space of normHash.
func hashSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// maxPairwiseHops is the longest chain whose hops duplicatePairs compares
// pair by pair: 100,000 Received fields made five billion comparisons,
// which took minutes.
const maxPairwiseHops = 64

// duplicatesByKey fills out for duplicatePairs on a long chain: each hop
// is compared only with the older hops whose lines hash alike (hopKeys),
// as a copy's must, oldest first, so that out is what duplicatesPairwise
// gives.
func (c *Context) duplicatesByKey(out []int) {
	hops, keys := c.Report.Hops, c.hopKeys()
	byKey := make(map[uint64][]int)
	for i := range out {
		out[i] = -1
		for _, j := range byKey[keys[i]] {
			if sameParse(&hops[j], &hops[i]) && sameLine(hops[j].Raw, hops[i].Raw) {
				out[i] = j
				break
			}
		}
		byKey[keys[i]] = append(byKey[keys[i]], i)
	}
}

// duplicateHops marks every hop whose unfolded line equals another's, in
// buf when it has room.
func (c *Context) duplicateHops(buf []bool) []bool {
	pairs := c.duplicatePairs()
	out := boolsIn(buf, len(pairs))
	for i, j := range pairs {
		if j >= 0 {
			out[i], out[j] = true, true
		}
	}
	return out
}

// boolsIn is n false values: buf's first n when it has room, else new.
func boolsIn(buf []bool, n int) []bool {
	if n > len(buf) {
		return make([]bool, n)
	}
	clear(buf[:n])
	return buf[:n]
}

func checkDuplicates(c *Context) []Finding {
	hops := c.Report.Hops
	var out []Finding
	for i, j := range c.duplicatePairs() {
		if j < 0 || strings.TrimSpace(hops[i].Raw) == "" {
			continue
		}
		out = append(out, Finding{Hops: []int{hops[j].Index, hops[i].Index}, Line: hops[i].Line,
			Message:  fmt.Sprintf("hops %d and %d are the same line", hops[j].Index, hops[i].Index),
			Evidence: strings.Join(strings.Fields(hops[i].Raw), " ")})
	}
	return out
}
