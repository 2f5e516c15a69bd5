package analyze

import (
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Header rules: the originator fields the reader trusts (RFC 5322 §3.6).
func init() {
	register(&Rule{
		ID: "header-duplicate", Severity: SeverityMedium,
		Title: "Single-instance header field repeated",
		Explain: "RFC 5322 §3.6 allows From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, " +
			"References, Subject and Date at most once. Mail programs disagree on which copy they show " +
			"and which one DKIM and DMARC check, so a second From is a known spoofing trick (high). Other " +
			"repeated fields with different values are medium; identical copies are low (a software glitch).",
		Example: "From: ceo@company.example\nFrom: attacker@evil.example",
		Check:   checkDuplicateFields,
	})
	register(&Rule{
		ID: "header-missing", Severity: SeverityLow,
		Title: "From or Date missing",
		Explain: "RFC 5322 §3.6 requires a From and a Date field in every message. Their absence means the " +
			"message was not written by an ordinary mail program.",
		Example: "Subject: hi (no From, no Date)",
		Check:   checkMissingFields,
	})
	register(&Rule{
		ID: "header-from-multiple", Severity: SeverityMedium,
		Field: "From",
		Title: "From lists several mailboxes and no Sender",
		Explain: "RFC 5322 §3.6.2 requires a Sender field when From holds more than one mailbox, to say " +
			"which of them sent the message. Without it a mail program shows one mailbox while DMARC may " +
			"check another (RFC 7489 §6.6.1 leaves receivers to choose), a known trick: medium when the " +
			"mailboxes are in different organisations, low when all are in one. With a Sender several " +
			"authors are legal and no finding.",
		Example: "From: PayPal <service@paypal.com>, <alerts@evil.example>",
		Check:   checkFromMailboxes,
	})
	register(&Rule{
		ID: "msgid-domain", Severity: SeverityLow,
		Field: "Message-ID",
		Title: "Message-ID domain matches neither From nor the chain",
		Explain: "The Message-ID (RFC 5322 §3.6.4) is usually made by the author's mail program or first " +
			"server, so its domain is the From domain or a host of the sending chain. One that matches " +
			"neither shows where the message was really made.",
		Example: "From: security@bank.example\nMessage-ID: <1234@bulk-mailer.example>",
		Check:   checkMessageID,
	})
	register(&Rule{
		ID: "display-name-spoof", Severity: SeverityMedium,
		Field: "From",
		Title: "Display name shows another address or domain",
		Explain: "The From display name contains an address or domain other than the real one, so a " +
			"reader who sees only the name sees the wrong sender. The name is read as it looks: without " +
			"invisible format characters (zero-width spaces), in NFKC (fullwidth letters and at signs), " +
			"with look-alike full stops (U+2024, U+3002) as dots. Medium for another address, even at the " +
			"same big provider (another gmail.com mailbox); low for another mailbox of the sender's own " +
			"organisation and for another domain. A name that is the address itself is no finding. A " +
			"mailing list's rewrite is info: the name says \"via\" or \"on behalf of\", the address is the " +
			"list's own (of the organisation its List-Id, List-Post or Mailing-List names) or a re-sender's " +
			"(Google Groups, groups.io), and the list handled the message: the receiving side took it from " +
			"a server of the list's organisation (its own servers are no list's), or a DKIM signature of " +
			"it passes. The words and the fields alone are anyone's to write.",
		Example: "From: \"service@paypal.com\" <alerts@evil.example>",
		Check:   checkDisplayName,
	})
}

// singleFields are the fields RFC 5322 §3.6 allows at most once.
var singleFields = [...]string{"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To",
	"References", "Subject", "Date"}

// Indexes in singleFields of the fields rules quote.
const (
	fieldFrom    = 0
	fieldSender  = 1
	fieldReplyTo = 2
	fieldDate    = 10
)

// singleFieldIndex returns the index of name in singleFields, or -1. A
// name from Split is printable ASCII (cutField): only a name of the same
// length and first letter can match, and the one that may is compared
// with it ignoring ASCII case a word at a time (foldWords), not a byte at
// a time: fields asks it of most fields of every message.
//
// It is strings.EqualFold of the two, for a name as long as the field's:
// only two runes not ASCII fold to ASCII ones (the Kelvin sign and the
// long s), and each is longer than the letter it folds to, so a name of
// the same length that folds equal is ASCII.
func singleFieldIndex(name string) int {
	n := len(name)
	if n < 2 || n >= len(singleSlot) {
		return -1
	}
	k := int(singleSlot[n][name[0]&31]) - 1
	if k < 0 {
		return -1
	}
	// Its words, as foldWords says, with nameWords written out: a call
	// cost as much as the compare.
	var lo, hi uint64
	switch {
	case n >= 8:
		lo, hi = load64(name), load64(name[n-8:])
	case n >= 4:
		lo, hi = uint64(load32(name)), uint64(load32(name[n-4:]))
	default:
		lo, hi = uint64(load16(name)), uint64(load16(name[n-2:]))
	}
	if f := &singleFold[k]; lo|f.loMask != f.lo || hi|f.hiMask != f.hi {
		return -1
	}
	return k
}

// singleSlot[n][b] is 1 + the index in singleFields of the field n long
// whose first letter's low five bits are b (the same in either case), 0
// when there is none: no two share a length and a first letter.
var singleSlot = func() (t [12][32]int8) {
	for i, f := range singleFields {
		if t[len(f)][f[0]&31] != 0 {
			panic("singleSlot: two fields of one length and first letter")
		}
		t[len(f)][f[0]&31] = int8(i + 1)
	}
	return t
}()

// singleFold are singleFields as foldWords.
var singleFold = func() (w [len(singleFields)]foldWords) {
	for i, f := range singleFields {
		w[i] = newFoldWords(f)
	}
	return w
}()

// foldWords is an ASCII name of two bytes or more as two little-endian
// words that cover it, its first bytes and its last (they overlap when it
// is shorter than 16), with 0x20 set at each letter, and the masks of its
// letters: a name as long equals it ignoring ASCII case (equalFoldASCII)
// when its words, with the masks set, are the same. Setting 0x20 makes a
// byte a lower-case letter only when it is that letter in either case, and
// a byte where the name has no letter must be the same.
type foldWords struct{ lo, hi, loMask, hiMask uint64 }

func newFoldWords(name string) foldWords {
	mask := make([]byte, len(name))
	for i := 0; i < len(name); i++ {
		if c := name[i] | 0x20; 'a' <= c && c <= 'z' {
			mask[i] = 0x20
		}
	}
	lo, hi := nameWords(name)
	loMask, hiMask := nameWords(string(mask))
	return foldWords{lo: lo | loMask, hi: hi | hiMask, loMask: loMask, hiMask: hiMask}
}

// nameWords are s's first and last eight bytes as little-endian words, or
// four, or two, as s is long (two bytes at least).
func nameWords(s string) (lo, hi uint64) {
	switch n := len(s); {
	case n >= 8:
		return load64(s), load64(s[n-8:])
	case n >= 4:
		return uint64(load32(s)), uint64(load32(s[n-4:]))
	}
	return uint64(load16(s)), uint64(load16(s[len(s)-2:]))
}

// load64, load32 and load16 are one little-endian load each, put together
// by the compiler.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func load16(s string) uint16 {
	_ = s[1]
	return uint16(s[0]) | uint16(s[1])<<8
}

func checkDuplicateFields(c *Context) []Finding {
	// Nearly every message has each field once, and only a repeated field
	// needs its copies gathered.
	x := c.fields()
	if !x.repeated {
		return nil
	}
	count := &x.count
	// Each repeated field's copies, as the finding needs them: the first
	// value, the second line, whether all are the same, the first
	// maxShown quoted. A flood of copies is not gathered.
	type copies struct {
		first    string
		n, line2 int
		same     bool
		ev       []string
	}
	var byName [len(singleFields)]copies
	for _, f := range c.Msg.Fields {
		i := singleFieldIndex(f.Name)
		if i < 0 || count[i] < 2 {
			continue
		}
		cp, v := &byName[i], f.Unfolded()
		switch cp.n++; cp.n {
		case 1:
			cp.first, cp.same = v, true
		case 2:
			cp.line2 = f.Line
		}
		cp.same = cp.same && v == cp.first
		if cp.n <= maxShown {
			cp.ev = append(cp.ev, fmt.Sprintf("line %d: %s: %s", f.Line, f.Name, v))
		}
	}
	var out []Finding
	for i, name := range singleFields {
		cp := &byName[i]
		if cp.n < 2 {
			continue
		}
		sev := SeverityMedium
		switch {
		case cp.same:
			sev = SeverityLow
		case name == "From" || name == "Sender":
			sev = SeverityHigh
		}
		out = append(out, Finding{Severity: sev, Line: cp.line2,
			Message:  fmt.Sprintf("%d %s fields", cp.n, name),
			Evidence: strings.Join(cp.ev, " | ") + andMore(" | ", cp.n-maxShown)})
	}
	return out
}

func checkMissingFields(c *Context) []Finding {
	x := c.fields()
	from, date := x.count[fieldFrom] > 0, x.count[fieldDate] > 0
	if from && date {
		return nil // nearly every message
	}
	// The texts are constants: no string is built for a finding.
	out := make([]Finding, 0, 2)
	if !from {
		out = append(out, Finding{Message: "no From field", Evidence: "(absent) From"})
	}
	if !date {
		out = append(out, Finding{Message: "no Date field", Evidence: "(absent) Date"})
	}
	return out
}

// checkFromMailboxes reports a From of several mailboxes without the
// Sender field RFC 5322 §3.6.2 then requires.
func checkFromMailboxes(c *Context) []Finding {
	from := c.Report.Header.From
	if len(from) < 2 || c.fields().count[fieldSender] > 0 {
		return nil
	}
	sev := SeverityLow
	addrs := make([]string, len(from))
	for i, a := range from {
		addrs[i] = a.Address
		if otherOrg(a.Address, from[0].Address) {
			sev = SeverityMedium
		}
	}
	return []Finding{{Severity: sev,
		Message:  fmt.Sprintf("From lists %d mailboxes (%s) and no Sender field says which one sent the message", len(from), joinFirst(addrs, maxShown)),
		Evidence: "From: " + c.firstValue(fieldFrom) + " | (absent) Sender"}}
}

// msgIDDomain returns the domain of a Message-ID "<left@right>".
func msgIDDomain(id string) string {
	// The facts hold the name cleaned (cleanHost), which the rules ask
	// about next: no new string for a domain with an upper-case letter.
	return facts(msgIDRawDomain(id)).clean
}

// msgIDRawDomain is the domain of a Message-ID as written, "" when it has
// no "@".
//
// It is the text after the last "@" of strings.TrimSpace(id) cut at its
// first ">", found with IndexByte: the space trimmed from the start holds
// no "@", and from the end matters only when there is no ">" to cut at.
func msgIDRawDomain(id string) string {
	if i := strings.IndexByte(id, '>'); i >= 0 {
		id = id[:i]
	} else {
		id = strings.TrimRightFunc(id, unicode.IsSpace) // TrimSpace's end
	}
	i := lastAt(id)
	if i < 0 {
		return ""
	}
	return id[i+1:]
}

// lastAt is strings.LastIndexByte(s, '@') eight bytes at a time from the
// end, where LastIndexByte looks at one a step: the domain after it is a
// word or two. The "@" of a word is the highest zero byte of the word
// xored with "@"s, told by the exact mask (no byte carries into the next).
func lastAt(s string) int {
	const ones, lows = 0x0101010101010101, 0x7F7F7F7F7F7F7F7F
	i := len(s)
	for ; i >= 8; i -= 8 {
		x := load64(s[i-8:i]) ^ '@'*ones
		if m := ^((x&lows + lows) | x | lows); m != 0 {
			return i - 8 + bits.Len64(m)/8 - 1
		}
	}
	for i--; i >= 0; i-- {
		if s[i] == '@' {
			return i
		}
	}
	return -1
}

// msgIDFacts are the facts of the Message-ID's domain (msgIDDomain), the
// name they are of: the Message-ID and provider rules both look at it.
func (c *Context) msgIDFacts() *nameFacts {
	if c.msgID == nil {
		// msgIDDomain is the raw domain's clean name, whose facts are the
		// raw domain's when it is clean already, as most are.
		if raw := msgIDRawDomain(c.Report.Header.MessageID); raw != "" {
			f := c.domainFacts(raw)
			if f.clean != f.name {
				f = c.domainFacts(f.clean)
			}
			c.msgID = f
		} else {
			c.msgID = &noFacts
		}
	}
	return c.msgID
}

func checkMessageID(c *Context) []Finding {
	id, from := c.msgIDFacts(), c.fromDomainFacts()
	d := id.name
	if !id.fqdn || from.name == "" || id.family == from.family {
		return nil
	}
	fam := id.family
	hf := c.hopFacts()
	for i := range hf {
		for _, n := range [3]*nameFacts{hf[i].by, hf[i].rdns, hf[i].helo} {
			if n.fqdn && n.family == fam {
				return nil
			}
		}
	}
	first := 0
	if len(c.Report.Hops) > 0 {
		first = 1
	}
	msg, ev := messageEvidence("Message-ID domain "+d+" is neither the From domain "+from.name+" nor a host of the chain"+
		"Message-ID: "+c.Report.Header.MessageID+" | From: "+c.firstValue(fieldFrom),
		len("Message-ID domain ")+len(d)+len(" is neither the From domain ")+len(from.name)+len(" nor a host of the chain"))
	f := Finding{Message: msg, Evidence: ev}
	if first > 0 {
		f.Hops = []int{first}
	}
	return c.one(f)
}

var (
	addrInName   = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)`)
	domainInName = regexp.MustCompile(`(?i)\b((?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,})\b`)
	viaList      = regexp.MustCompile(`(?i)\bvia\b|\bon behalf of\b`)
)

func checkDisplayName(c *Context) []Finding {
	var out []Finding
	for _, a := range c.Report.Header.From {
		if a.Name == "" {
			continue // no name shown: displayNameFinding finds nothing in ""
		}
		if f, ok := displayNameFinding(a); ok {
			if resentByList(c, a) {
				f.Severity, f.Message = SeverityInfo, f.Message+", as a mailing list's rewrite does"
			}
			out = append(out, f)
		}
	}
	return out
}

// hasFoldASCII reports whether s holds word (lower-case ASCII letters) in
// any case.
func hasFoldASCII(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && equalFoldASCII(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// resenders are the organisational domains of services that send a
// member's message from their own address and name the member in the
// display name ("alice@example.com via Group" <group@googlegroups.com>).
var resenders = map[string]bool{"googlegroups.com": true, "groups.io": true}

// resentByList reports a From a mailing list or a re-sending service
// rewrote: the name says "via" or "on behalf of", the address is the
// list's own (of the organisation its List-Id, List-Post or Mailing-List
// names) or a re-sender's, and the list handled the message
// (listCarried). The words, the fields and the From are anyone's to write.
func resentByList(c *Context, a Address) bool {
	// The regexp matches only where "via" or "behalf" is, in any case:
	// none of their letters folds to a rune not ASCII.
	if !hasFoldASCII(a.Name, "via") && !hasFoldASCII(a.Name, "behalf") || !viaList.MatchString(a.Name) {
		return false
	}
	d, fams := domainOf(a.Address), c.listFamilies()
	if !resenders[orgDomain(d)] && !slices.Contains(fams, family(d)) {
		return false
	}
	return c.handledBy(fams, c.authResult())
}

// displayNameFinding compares the addresses and domains inside a display
// name, as a reader sees it (nameAsSeen), with the real address. Most
// names hold neither (a dot is often an initial's, "John Q. Public"): the
// regexps run only on a name that holds an "@", or a dot between a letter
// or digit and two letters, which every match of addrInName or
// domainInName has. The evidence quotes the name as written.
func displayNameFinding(a Address) (Finding, bool) {
	name := a.Name
	if !isASCII(name) {
		if !maySeeDot(name) {
			return Finding{}, false // no "@" or "." however it is seen
		}
		name = nameAsSeen(name)
	}
	hasAt := strings.IndexByte(name, '@') >= 0
	if !hasAt && strings.IndexByte(name, '.') < 0 {
		return Finding{}, false
	}
	if !hasAt && !mayHoldDomain(name) {
		return Finding{}, false
	}
	real := strings.ToLower(a.Address)
	realDomain := addrDomain(real)
	if realDomain == "" {
		return Finding{}, false
	}
	realFam := family(realDomain)
	// The evidence and the message are worked out only for a finding.
	ev := func() string { return fmt.Sprintf("From: %q <%s>", a.Name, a.Address) }
	shown := func(s string) string {
		if name == a.Name || strings.Contains(strings.ToLower(a.Name), strings.ToLower(s)) {
			return s
		}
		return s + " (written with invisible or look-alike characters)"
	}
	rest := name
	if hasAt {
		var buf [4][4]int
		found := addrsInName(name, buf[:0])
		for _, m := range found {
			shownAddr, shownDomain := name[m[0]:m[1]], name[m[2]:m[3]]
			if sev, ok := otherAddressSeverity(name[:m[1]], shownAddr, shownDomain, a.Address, realFam); ok {
				return Finding{Severity: sev, Evidence: ev(),
					Message: fmt.Sprintf("display name shows %s, the address is %s", shown(shownAddr), a.Address)}, true
			}
		}
		rest = blankSpans(name, found)
		if !mayHoldDomain(rest) {
			return Finding{}, false // the addresses were all the name held
		}
	}
	var dbuf [4]string
	for _, m := range domainsInName(rest, dbuf[:0]) {
		d := strings.ToLower(m)
		// isFQDN holds the name under an ICANN suffix (nameFacts.fqdn), and
		// a match lower-cased is its own clean name: no suffix look-up of
		// its own is needed (TestDomainInNameFQDN).
		if !isFQDN(d) || family(d) == realFam {
			continue
		}
		return Finding{Severity: SeverityLow, Evidence: ev(),
			Message: fmt.Sprintf("display name shows domain %s, the address is %s", shown(d), a.Address)}, true
	}
	return Finding{}, false
}

// addrsInName is addrInName.FindAllStringSubmatchIndex(s, -1), appended
// to out: each address's start and end, and its domain's. The pattern
// needs no backtracking: a match starts where a run of local-part bytes
// ([A-Za-z0-9._%+-]) starts that ends at an "@" (no shorter run from a
// later start can end anywhere else), and its domain is the run of
// [A-Za-z0-9-] after it with every ".label" that follows, at least one.
// A run that does not end so holds no match; the search goes on after it,
// and after each match (TestAddrsInName holds it to the regexp).
func addrsInName(s string, out [][4]int) [][4]int {
	for p := 0; p < len(s); {
		if !localByte[s[p]] {
			p++
			continue
		}
		j := p + 1
		for j < len(s) && localByte[s[j]] {
			j++
		}
		if j == len(s) || s[j] != '@' {
			p = j
			continue
		}
		e, labels := labelEnd(s, j+1), 0
		if e == j+1 {
			p = j
			continue
		}
		for e+1 < len(s) && s[e] == '.' && labelByte[s[e+1]] {
			e = labelEnd(s, e+1)
			labels++
		}
		if labels == 0 {
			p = j
			continue
		}
		out = append(out, [4]int{p, e, j + 1, e})
		p = e
	}
	return out
}

// labelEnd is the end of the run of [A-Za-z0-9-] that starts at i.
func labelEnd(s string, i int) int {
	for i < len(s) && labelByte[s[i]] {
		i++
	}
	return i
}

// localByte and labelByte are addrInName's classes: [A-Za-z0-9._%+-] and
// [A-Za-z0-9-].
var localByte, labelByte = func() (local, label [256]bool) {
	for c := range 256 {
		b := byte(c)
		alnum := isAlnumASCII(b)
		label[c] = alnum || b == '-'
		local[c] = label[c] || strings.IndexByte("._%+", b) >= 0
	}
	return local, label
}()

// blankSpans is s with each span of found (addrsInName) put as one space:
// addrInName.ReplaceAllString(s, " ").
func blankSpans(s string, found [][4]int) string {
	if len(found) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for _, m := range found {
		b.WriteString(s[at:m[0]])
		b.WriteByte(' ')
		at = m[1]
	}
	b.WriteString(s[at:])
	return b.String()
}

// otherAddressSeverity judges an address shown in a display name (upTo
// is the name up to its end) against the real address, whose family is
// realFam. Whole addresses are compared first, case-insensitively and the
// local part as written (no dots or +tags dropped): the real address
// itself, or its tail where the name holds characters addrInName does not
// ("o'brien@..."), is no spoof. Another organisation's address is medium,
// as is another mailbox at a big provider, where anyone can open one
// ("john.smith@gmail.com" <j0hn.smith.billing@gmail.com>). Another
// mailbox of the sender's own organisation is low ("support@shop.example"
// <noreply@shop.example>), and the same mailbox under another of its
// names (alice@example.com <alice@mail.example.com>) nothing.
func otherAddressSeverity(upTo, addr, domain, real, realFam string) (Severity, bool) {
	if len(upTo) >= len(real) && strings.EqualFold(upTo[len(upTo)-len(real):], real) || !isFQDN(domain) {
		return "", false
	}
	f := facts(domain)
	switch {
	case f.family != realFam:
		return SeverityMedium, true
	case strings.EqualFold(localPart(addr), localPart(real)):
		return "", false
	case f.provider:
		return SeverityMedium, true
	}
	return SeverityLow, true
}

// localPart is the part of an address before its last "@".
func localPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// nameAsSeen is a display name as a reader sees it: without format
// characters (Unicode category Cf: zero-width spaces and joiners, U+2060,
// U+FEFF, bidi marks), in NFKC (fullwidth letters, the fullwidth at sign
// U+FF20 and the one-dot leader U+2024 become ASCII), and with the full
// stops NFKC leaves alone (the ideographic U+3002, which the halfwidth
// U+FF61 becomes) made '.'. A forger's "pay\u200bpal.com" is paypal.com.
func nameAsSeen(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u2024', '\uff0e', '\u3002', '\uff61':
			return '.'
		}
		return r
	}, norm.NFKC.String(s))
}

// domainsInName is what domainInName's FindAllStringSubmatch finds in s,
// each match's group (the match itself: the word boundaries take no
// text), appended to out. A match is labels, each ending at a ".", then
// two letters or more: where one starts, each label is the text to the
// next "." and either fits [a-z0-9]([a-z0-9-]*[a-z0-9])? or ends the
// labels, so the regexp's backtracking comes down to trying the letters
// after the last label, then after the one before it, and so on, each
// run of letters longest first, for one that ends at a word boundary.
// Case is folded as the regexp folds it: the Kelvin sign and the long s
// are letters too, though not word characters (Go's \b is ASCII). A
// long name goes to the regexp, to bound the work (TestDomainsInName
// holds the two alike).
func domainsInName(s string, out []string) []string {
	if len(s) > maxDomainScan {
		for _, m := range domainInName.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for p := 0; p < len(s); {
		if e := domainMatchAt(s, p); e > p {
			out = append(out, s[p:e])
			p = e
			continue
		}
		_, w := utf8.DecodeRuneInString(s[p:])
		p += w
	}
	return out
}

// maxDomainScan bounds the names domainsInName scans itself: it may look
// at the rest of the name from every place a label starts.
const maxDomainScan = 512

// domainMatchAt is the end of domainInName's match at p, -1 when none
// starts there.
func domainMatchAt(s string, p int) int {
	if r, _ := nameRune(s, p); r != runeLetter && r != runeAlnum || wordByteAt(s, p-1) == wordByteAt(s, p) {
		return -1
	}
	var qbuf [8]int
	after := qbuf[:0] // where the text after each label's "." starts
	for at := p; ; {
		end, ok := labelAt(s, at)
		if !ok || end >= len(s) || s[end] != '.' {
			break
		}
		at = end + 1
		after = append(after, at)
	}
	var ebuf [16]int
	for k := len(after) - 1; k >= 0; k-- {
		// The letters after the label: their ends, longest first.
		ends := ebuf[:0]
		for at := after[k]; ; {
			r, w := nameRune(s, at)
			if r != runeLetter {
				break
			}
			at += w
			ends = append(ends, at)
		}
		for j := len(ends) - 1; j >= 1; j-- {
			if e := ends[j]; wordByteAt(s, e-1) != wordByteAt(s, e) {
				return e
			}
		}
	}
	return -1
}

// labelAt reads a label of domainInName at at: an alphanumeric, then
// alphanumerics and hyphens ending in an alphanumeric. It returns where
// the run of those runes ends, and whether it is such a label.
func labelAt(s string, at int) (end int, ok bool) {
	last := runeOther
	for end = at; ; {
		r, w := nameRune(s, end)
		if r == runeOther {
			break
		}
		if end == at && r == runeHyphen {
			return end, false
		}
		end += w
		last = r
	}
	return end, end > at && last != runeHyphen
}

// The kinds of rune domainInName's classes tell apart, (?i) folded.
const (
	runeOther  = iota
	runeLetter // [a-zA-Z], the Kelvin sign, the long s
	runeAlnum  // a digit (a letter is alphanumeric too: see nameRune)
	runeHyphen
)

// nameRune is the kind of the rune at i and its width: a letter is
// runeLetter, a digit runeAlnum; as a label's rune either is alphanumeric.
func nameRune(s string, i int) (kind, width int) {
	if i >= len(s) {
		return runeOther, 0
	}
	c := s[i]
	switch {
	case isLetterASCII(c):
		return runeLetter, 1
	case isDigit(c):
		return runeAlnum, 1
	case c == '-':
		return runeHyphen, 1
	case c < utf8.RuneSelf:
		return runeOther, 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == '\u212a' || r == '\u017f' {
		return runeLetter, w
	}
	return runeOther, w
}

// wordByteAt reports whether s[i] is an ASCII word character ([0-9A-Za-z_],
// what \b looks at), false outside s: a rune not ASCII is none, and its
// bytes are all 0x80 or more.
func wordByteAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return isAlnumASCII(c) || c == '_'
}

// maySeeDot reports whether nameAsSeen(s) may hold an "@" or a ".": s
// holds one, or a rune whose compatibility decomposition holds one or
// the ideographic full stop (seenAsDot). Dropping format characters and
// composing take none away and make none.
func maySeeDot(s string) bool {
	for _, r := range s {
		if r == '.' || r == '@' || r >= 0x2024 && seenAsDot(r) {
			return true
		}
	}
	return false
}

// seenAsDot reports the runes whose NFKD holds ".", "@" or U+3002
// (TestSeenAsDot finds them all): the leaders and ellipses, the numbers
// with a full stop, the ideographic and small and fullwidth stops and
// at signs, and the squared "a.m.", "Co." and "p.m.".
func seenAsDot(r rune) bool {
	switch {
	case r >= 0x2024 && r <= 0x2026, r >= 0x2488 && r <= 0x249B:
		return true
	}
	switch r {
	case 0x3002, 0x33C2, 0x33C7, 0x33D8, 0xFE12, 0xFE19, 0xFE30, 0xFE52, 0xFE6B, 0xFF0E, 0xFF20, 0xFF61, 0x1F100:
		return true
	}
	return false
}

// mayHoldDomain reports a dot after an ASCII letter or digit and before
// two ASCII letters: where every domainInName match ends its last label
// but one and starts its top-level domain. Other text is left to the
// regexp, whose (?i) lets [a-z] match the Kelvin sign and the long s.
func mayHoldDomain(s string) bool {
	if !isASCII(s) {
		return true
	}
	for i := 1; i+2 < len(s); i++ {
		if s[i] == '.' && isAlnumASCII(s[i-1]) && isLetterASCII(s[i+1]) && isLetterASCII(s[i+2]) {
			return true
		}
	}
	return false
}
