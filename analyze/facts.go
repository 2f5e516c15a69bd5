package analyze

import (
	"net/netip"
	"strings"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/received"
)

// hopFacts are what the rules ask of one hop, worked out once per message
// (Context.hopFacts) instead of once per rule: the facts of its names, its
// client address parsed and placed, and what its with-clause says.
type hopFacts struct {
	hopNames
	ip netip.Addr // From.IP with brackets trimmed; invalid when absent or unparseable
	// byIP is the by-host's address: By.IP with brackets trimmed, or the
	// by-host itself when it is an address literal (hostAddr). Read when
	// first asked (byAddr): few links get that far.
	byIP     netip.Addr
	byIPRead bool
	reserved string // reservedWhy(From.IP)
	internal bool   // isInternalIP(From.IP)
	// rangeIP is set when From.IP is written bare: only such an address
	// is looked up in the providers' ranges (inRange).
	rangeIP bool
	// authed: authenticated submission (RFC 3848 ESMTPA, ESMTPSA, or an
	// "Authenticated sender" remark). Never over LMTP: there the delivering
	// MTA authenticates to the message store (Cyrus writes LMTPA).
	authed bool
	lmtp   bool // the with-clause starts with LMTP
	// withWords: what the rarer questions ask of the with-clause, read
	// when first asked (withKinds).
	withWords withKinds
}

// withKinds says which words of interest a with-clause holds.
type withKinds struct {
	read bool
	// notSMTP: MAPI, HTTP, LOCAL or LMTP (overSMTP).
	notSMTP bool
	// retrieval: IMAP or POP (fetchmail).
	retrieval bool
	// localTransport: a transport that never records a client address
	// (missingIP).
	localTransport bool
}

// with reads h's with-clause for the rarer questions, once.
func (f *hopFacts) with(h *received.Hop) *withKinds {
	k := &f.withWords
	if !k.read {
		*k = withKindsOf(h.With)
	}
	return k
}

// withKindsOf answers the with-clause questions in one pass over it, as
// substrings of the clause upper-cased: notSMTP holds MAPI, HTTP, LOCAL or
// LMTP, retrieval IMAP or POP, and a local transport either or UUCP,
// PIPE, NNTP, FILE or DAV. An ASCII clause is upper-cased byte by byte
// as it is read, and nothing is copied; another goes through
// strings.ToUpper first, which makes ASCII letters of some others ("ımap"
// is IMAP).
func withKindsOf(w string) withKinds {
	k := withKinds{read: true}
	if !isASCII(w) {
		w = strings.ToUpper(w)
	}
	local := false
	for i := 0; i < len(w); i++ {
		switch upperASCII(w[i]) {
		case 'M':
			k.notSMTP = k.notSMTP || wordAt(w, i, "MAPI")
		case 'H':
			k.notSMTP = k.notSMTP || wordAt(w, i, "HTTP")
		case 'L':
			k.notSMTP = k.notSMTP || wordAt(w, i, "LOCAL") || wordAt(w, i, "LMTP")
		case 'I':
			k.retrieval = k.retrieval || wordAt(w, i, "IMAP")
		case 'P':
			k.retrieval = k.retrieval || wordAt(w, i, "POP")
			local = local || wordAt(w, i, "PIPE")
		case 'U':
			local = local || wordAt(w, i, "UUCP")
		case 'N':
			local = local || wordAt(w, i, "NNTP")
		case 'F':
			local = local || wordAt(w, i, "FILE")
		case 'D':
			local = local || wordAt(w, i, "DAV")
		}
	}
	k.localTransport = k.notSMTP || k.retrieval || local
	return k
}

// wordAt reports the upper-case ASCII word at s[i:], in any case.
func wordAt(s string, i int, word string) bool {
	return len(s)-i >= len(word) && equalFoldASCII(s[i:i+len(word)], word)
}

// documentation reports a client address in a range reserved for examples
// (RFC 5737, RFC 3849): anonymised samples use them, real traffic never
// does.
func (f *hopFacts) documentation() bool { return strings.HasPrefix(f.reserved, "documentation") }

// inRange reports a client address in the provider's published ranges.
func (f *hopFacts) inRange(provider string) bool { return f.inRanges(providerRanges[provider]) }

// inRanges is inRange of the provider whose ranges are r (nameFacts.ranges).
func (f *hopFacts) inRanges(r []netip.Prefix) bool { return f.rangeIP && addrInPrefixes(f.ip, r) }

// outsideComplete reports a client address, written bare, outside the
// outbound ranges of nf's provider where they are known in full
// (completeRanges): no host of that provider sends from there.
func (f *hopFacts) outsideComplete(nf *nameFacts) bool {
	return completeRanges[nf.family] && f.rangeIP && !f.inRanges(nf.ranges)
}

// factsOf works out the facts of every hop, in buf when it has room.
func factsOf(hops []received.Hop, buf []hopFacts) []hopFacts {
	out := buf[:0]
	if cap(buf) < len(hops) {
		out = make([]hopFacts, 0, len(hops))
	}
	out = out[:len(hops)]
	// buf may have been filled before: every fact starts from zero.
	clear(out)
	prevBy := &noFacts // a relay's name as the receiver of one hop is often its HELO or rDNS in the next
	for i := range hops {
		h, f := &hops[i], &out[i]
		f.hopNames = hopNames{by: facts(h.By.Host), rdns: factsOrPrev(h.From.RDNS, prevBy)}
		f.helo = factsOrPrev2(h.From.HELO, f.rdns, prevBy) // a client often greets with its rDNS name
		prevBy = f.by
		f.setIP(h.From.IP)
		f.setWith(h)
	}
	return out
}

// byAddr returns h's by-host address (byIP), read once.
func (f *hopFacts) byAddr(h *received.Hop) netip.Addr {
	if !f.byIPRead {
		f.byIPRead = true
		if h.By.IP != "" {
			f.byIP, _ = parseAddr(trimBrackets(h.By.IP))
		} else if f.by.ip {
			f.byIP = f.by.addr
		}
	}
	return f.byIP
}

// setIP parses and places the client address once.
func (f *hopFacts) setIP(ip string) {
	if ip == "" {
		return
	}
	s := trimBrackets(ip)
	a, ok := parseAddr(s)
	if !ok {
		return
	}
	// Written bare: no bracket around it (trimBrackets took none) nor in
	// it. An address ParseAddr takes has none but in an IPv6 zone.
	f.ip, f.rangeIP = a, len(s) == len(ip) && (a.Zone() == "" || strings.IndexByte(s, '[') < 0 && strings.IndexByte(s, ']') < 0)
	f.reserved = reservedWhyAddr(a)
	// Every internal address (loopback, RFC 1918, unique local,
	// link-local, CGNAT) lies in a reserved range, and an IPv4-mapped one
	// is reserved as written: a public address is no internal one.
	f.internal = f.reserved != "" && isInternalAddr(a)
}

// parseAddr is netip.ParseAddr, reporting success: a dotted quad (most
// client addresses) is read here, a field at a time, and anything else,
// or anything ParseAddr would refuse, goes to ParseAddr, which costs some
// 250 instructions for an IPv4 address. ParseAddr's rules: four decimal
// fields of one to three digits, each at most 255, and no leading zero.
func parseAddr(s string) (netip.Addr, bool) {
	var b [4]byte
	i := 0
	for k := range b {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return parseAddrSlow(s)
			}
			i++
		}
		// One to three digits, read one by one (a fourth is no dot).
		if i >= len(s) || s[i]-'0' > 9 {
			return parseAddrSlow(s)
		}
		v := uint(s[i] - '0')
		i++
		if i < len(s) && s[i]-'0' <= 9 {
			if v == 0 {
				return parseAddrSlow(s) // a leading zero
			}
			v = v*10 + uint(s[i]-'0')
			i++
			if i < len(s) && s[i]-'0' <= 9 {
				v = v*10 + uint(s[i]-'0')
				i++
				if v > 255 {
					return parseAddrSlow(s)
				}
			}
		}
		b[k] = byte(v)
	}
	if i != len(s) {
		return parseAddrSlow(s)
	}
	return netip.AddrFrom4(b), true
}

func parseAddrSlow(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// trimBrackets is strings.Trim(s, "[]"), without the set of cut bytes
// strings.Trim builds on every call: every hop's addresses pass here.
func trimBrackets(s string) string {
	for len(s) > 0 && (s[0] == '[' || s[0] == ']') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == '[' || s[len(s)-1] == ']') {
		s = s[:len(s)-1]
	}
	return s
}

// setWith answers the with-clause questions every hop is asked: does the
// clause upper-cased start with LMTP, end with SMTPA or SMTPSA. Upper-
// casing maps each character alone, and a byte below 0x80 is a character
// of its own, so when the clause's first four bytes and last six are
// ASCII, those of the upper-cased clause are theirs upper-cased: they are
// compared in place, ignoring case; when its first byte is ASCII but no L
// and its last ASCII but no A, it can neither start with LMTP nor end
// with SMTPA or SMTPSA. Another clause is upper-cased whole
// (strings.ToUpper makes ASCII letters of some others: "ſ" is S).
func (f *hopFacts) setWith(h *received.Hop) {
	w := h.With
	if n := len(w); n == 0 || w[0] < 0x80 && w[0]|0x20 != 'l' && w[n-1] < 0x80 && w[n-1]|0x20 != 'a' {
		// Most clauses: the upper-cased one starts with no L and ends
		// with no A (ESMTP, ESMTPS, "Microsoft SMTP Server").
		f.lmtp, f.authed = false, h.Auth != ""
		return
	}
	if isASCII(w[:min(len(w), 4)]) && isASCII(w[max(len(w)-6, 0):]) {
		f.lmtp = len(w) >= 4 && equalFoldASCII(w[:4], "LMTP")
		f.authed = !f.lmtp && (h.Auth != "" || hasSuffixFoldASCII(w, "SMTPA") || hasSuffixFoldASCII(w, "SMTPSA"))
		return
	}
	w = strings.ToUpper(w)
	f.lmtp = strings.HasPrefix(w, "LMTP")
	f.authed = !f.lmtp && (h.Auth != "" || withAuthenticated(w))
}

// hasSuffixFoldASCII is strings.HasSuffix ignoring ASCII case.
func hasSuffixFoldASCII(s, suffix string) bool {
	return len(s) >= len(suffix) && equalFoldASCII(s[len(s)-len(suffix):], suffix)
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// hopFacts returns the hops' facts, from the trust walk when it ran.
func (c *Context) hopFacts() []hopFacts {
	if c.Trust != nil && len(c.Trust.facts) == len(c.Report.Hops) {
		return c.Trust.facts
	}
	if c.Trust == nil {
		c.Trust = &Trust{}
	}
	c.Trust.facts = factsOf(c.Report.Hops, c.Trust.factsBuf[:0])
	return c.Trust.facts
}

// fieldIndex is what the rules ask of the header fields' names, read in
// one pass over the header (Context.fields) instead of one per rule.
type fieldIndex struct {
	count [len(singleFields)]int // fields of each single-instance name (singleFieldIndex)
	first [len(singleFields)]int // index of the first of each, -1 when none
	// authResults, recipients and auth list the indexes of the
	// Authentication-Results fields, the delivery fields naming the
	// recipient (isRecipientField) and the fields package auth reads
	// without DNS (auth.ReadsOffline), in header order.
	authResults, recipients, auth []int
	repeated                      bool // a single-instance field occurs twice
	// originIP is 1 + the index of the first X-Originating-IP field, 0
	// when there is none.
	originIP int
	// msArrival lists the X-MS-Exchange-CrossTenant-OriginalArrivalTime
	// fields (msArrivalField), in header order.
	msArrival []int
	ready     bool
	// The lists start in these: a message has a few of each.
	buf [14]int
}

// fields indexes the header once per message.
func (c *Context) fields() *fieldIndex {
	x := &c.fieldIdx
	if x.ready {
		return x
	}
	x.ready = true
	x.authResults, x.recipients, x.auth, x.msArrival = x.buf[0:0:4], x.buf[4:4:8], x.buf[8:8:12], x.buf[12:12:14]
	for i := range x.first {
		x.first[i] = -1
	}
	fields := c.Msg.Fields
	for i := range fields {
		name := fields[i].Name
		if n := len(name); uint(n-1) >= uint(len(indexedEnds)-1) {
			// Empty, or longer than any name indexedEnds has.
			if n == len(msArrivalField) && equalFoldASCII(name, msArrivalField) {
				x.msArrival = append(x.msArrival, i)
			}
			continue
		}
		if indexedEnds[len(name)][name[0]&31]&(1<<(name[len(name)-1]&31)) == 0 {
			continue // most fields: no name asked about has that length and those ends
		}
		if k := singleFieldIndex(name); k >= 0 {
			if x.count[k] == 0 {
				x.first[k] = i
			}
			x.count[k]++
			x.repeated = x.repeated || x.count[k] > 1
			if !singleIndexedElse[k] {
				continue // none of the lists below takes it (From, which auth reads, is the one that goes on)
			}
		}
		switch {
		case len(name) == len("Authentication-Results") && equalFoldASCII(name, "Authentication-Results"):
			x.authResults = append(x.authResults, i)
		case isRecipientField(name):
			x.recipients = append(x.recipients, i)
		case x.originIP == 0 && len(name) == len(originIPField) && equalFoldASCII(name, originIPField):
			x.originIP = i + 1
		}
		if auth.ReadsOffline(name) {
			x.auth = append(x.auth, i)
		}
	}
	return x
}

// singleIndexedElse[k] reports the k-th single-instance field taken by
// another list of fields as well (Authentication-Results, the recipient
// fields, X-Originating-IP, those auth reads): fields asks of the others
// only those. The lists compare names ignoring case, as singleFieldIndex
// does, so a name it matches is in them exactly when singleFields[k] is
// (TestSingleIndexedElse).
var singleIndexedElse = func() (t [len(singleFields)]bool) {
	for k, n := range singleFields {
		t[k] = fieldIndexedElse(n)
	}
	return t
}()

// fieldIndexedElse reports a name one of fields' lists past the
// single-instance fields takes.
func fieldIndexedElse(name string) bool {
	return equalFoldASCII(name, "Authentication-Results") || isRecipientField(name) ||
		equalFoldASCII(name, originIPField) || auth.ReadsOffline(name)
}

// indexedEnds marks, for each length, the first and last letters of the
// names fields indexes: the single-instance fields,
// Authentication-Results, the recipient fields, X-Originating-IP and
// those auth reads. Split's names are printable ASCII, compared ignoring
// case, and only a name of one of these lengths, first letters and last
// letters can equal one of them: Received, the commonest, is the length
// of Reply-To and starts with its letter, but ends with another. A letter
// is its low five bits, the same in either case (other bytes may share
// them, and are then compared in full).
var indexedEnds = func() (t [32][32]uint32) {
	names := append(singleFields[:], "Authentication-Results", "DKIM-Signature", "ARC-Seal", "ARC-Message-Signature",
		"ARC-Authentication-Results", originIPField)
	for _, n := range append(names, recipientFields...) {
		t[len(n)][n[0]&31] |= 1 << (n[len(n)-1] & 31)
	}
	return t
}()

// firstValue is Msg.Get of a single-instance field (singleFields[k]).
func (c *Context) firstValue(k int) string {
	if i := c.fields().first[k]; i >= 0 {
		return c.unfolded(i)
	}
	return ""
}

// unfolded is Msg.Fields[i].Unfolded(), which reading the message already
// worked out for the report's header summary: most values a rule quotes
// are folded, and unfolding them again would copy them again.
func (c *Context) unfolded(i int) string {
	return unfoldedAt(c.Msg.Fields, c.Report.Header.Fields, i)
}

// unfoldedAt is fields[i].Unfolded(), taken from summary (the header
// summary's fields, one per field) when it has one per field.
func unfoldedAt(fields []Field, summary []FieldEntry, i int) string {
	if len(summary) == len(fields) {
		return summary[i].Value
	}
	return fields[i].Unfolded()
}
