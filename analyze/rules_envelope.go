package analyze

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Envelope rules: the SMTP envelope (RFC 5321 §2.3.1, read from
// Return-Path and delivery fields, or seen live) against the header the
// reader sees (RFC 5322 §3.6.2, §3.6.3). They differ for honest reasons
// (bulk senders, lists, Bcc), so they are context for the other rules.
func init() {
	register(&Rule{
		ID: "envelope-from-mismatch", Severity: SeverityInfo,
		Field: "From",
		Title: "Envelope sender domain differs from From",
		Explain: "The envelope sender (Return-Path, RFC 5321 §4.4) is in another organisation than the From " +
			"address. Bulk senders and mailing lists do this honestly (bounces go to them); DMARC " +
			"alignment exists because spoofers do it too.",
		Example: "Return-Path: <bounce-123@mailer.example.net>\nFrom: Bank <service@bank.example>",
		Check:   checkEnvelopeFrom,
	})
	register(&Rule{
		ID: "sender-mismatch", Severity: SeverityInfo,
		Field: "Sender",
		Title: "Sender differs from From",
		Explain: "The Sender field (RFC 5322 §3.6.2) names another organisation than From: someone sent on " +
			"the author's behalf, as lists and assistants do. Outlook shows \"X on behalf of Y\".",
		Example: "From: ceo@company.example\nSender: someone@elsewhere.example",
		Check:   checkSender,
	})
	register(&Rule{
		ID: "reply-to-mismatch", Severity: SeverityInfo,
		Field: "Reply-To",
		Title: "Reply-To goes to another organisation",
		Explain: "Replies go to an organisation other than the From address. Support desks and lists do " +
			"this; so do fraudsters who spoof a From and collect answers elsewhere. Low when replies go " +
			"to a free-mail box while the From is not one.",
		Example: "From: CEO <ceo@company.example>\nReply-To: <ceo.private@gmail.com>",
		Check:   checkReplyTo,
	})
	register(&Rule{
		ID: "envelope-rcpt-hidden", Severity: SeverityInfo,
		Title: "Envelope recipient not in To or Cc",
		Explain: "A recipient from the envelope (Received \"for\", Delivered-To, X-Original-To) is in neither " +
			"To nor Cc. That is what Bcc and mailing lists look like; in a targeted message it shows the " +
			"visible recipients are decoys.",
		Example: "Delivered-To: victim@example.net\nTo: undisclosed-recipients:;",
		Check:   checkHiddenRcpt,
	})
}

// fromAddress returns the first From address, or "".
func (c *Context) fromAddress() string {
	if len(c.Report.Header.From) == 0 {
		return ""
	}
	return c.Report.Header.From[0].Address
}

// otherOrg reports whether two addresses are in different organisations.
func otherOrg(a, b string) bool {
	da, db := addrDomain(a), addrDomain(b)
	return da != "" && db != "" && family(da) != family(db)
}

// fromDomainFacts are the facts of the domain of the first From address
// (fromAddress), noFacts when there is none: several rules compare other
// addresses with it, and it is looked up once per message.
func (c *Context) fromDomainFacts() *nameFacts {
	if c.fromDomain == nil {
		c.fromDomain = facts(addrDomain(c.fromAddress()))
	}
	return c.fromDomain
}

// otherOrgThanFrom is otherOrg(addr, c.fromAddress()) of the address
// whose domain's facts are f (facts(domainOf(addr))). The facts' name is
// the domain they are of.
func (c *Context) otherOrgThanFrom(f *nameFacts) bool {
	from := c.fromDomainFacts()
	return f.name != "" && from.name != "" && f.family != from.family
}

// addrFacts are facts(domainOf(addr)), kept in *slot once worked out:
// the envelope, lookalike and provider rules each look at the same few
// addresses.
func (c *Context) addrFacts(slot **nameFacts, addr string) *nameFacts {
	if *slot == nil {
		*slot = c.domainFacts(addrDomain(addr))
	}
	return *slot
}

// domainFacts are facts(d). The envelope sender, the Sender, Reply-To and
// the Message-ID are often in the From domain, or the envelope sender's:
// their facts are those already looked up, found by comparing the names,
// not by hashing d into the name cache again.
func (c *Context) domainFacts(d string) *nameFacts {
	if f := c.fromDomainFacts(); f.name == d {
		return f
	}
	if f := c.mailFrom; f != nil && f.name == d {
		return f
	}
	return facts(d)
}

// addrDomain is domainOf(addr), in one walk back from the end: to the
// last "@", noting on the way whether the domain is plain (isPlainDomain:
// ASCII without upper-case letters; its ends are looked at after). An
// address's domain nearly always is, and is returned as it stands.
func addrDomain(addr string) string {
	// Eight bytes at a time while none of them is "@" (a word with a zero
	// byte once "@" is taken away). For a byte below 0x80, adding 0x3F sets
	// its top bit from "A" up, and adding 0x25 from past "Z", with no carry
	// into the next byte.
	const ones, high = 0x0101010101010101, 0x8080808080808080
	i := len(addr) - 1
	var odd byte
	for ; i >= 7; i -= 8 {
		w := load64(addr[i-7 : i+1])
		if x := w ^ '@'*ones; (x-ones)&^x&high != 0 {
			// The word holds the last "@": its place is the highest
			// zero byte of x, told by the exact mask (no byte carries
			// into the next), and the bytes above it are the domain's
			// first, looked at as the words before were (zero bytes
			// shifted in are plain).
			const lows = ones * 0x7F
			at := bits.Len64(^((x&lows + lows) | x | lows)) / 8 // 1 + its place in the word
			if at < 8 && isUnplainWord(w>>(8*at)) {
				odd = 1
			}
			i -= 8 - at
			break
		}
		if isUnplainWord(w) {
			odd = 1
		}
	}
	for ; i >= 0; i-- {
		c := addr[i]
		if c == '@' {
			break
		}
		odd |= unplainByte[c]
	}
	if i < 0 {
		return ""
	}
	d := addr[i+1:]
	if odd == 0 && (d == "" || !domainEdge(d[0]) && !domainEdge(d[len(d)-1])) {
		return d
	}
	return domainOf(addr)
}

// isUnplainWord reports eight bytes of which one is not plain
// (unplainByte): a byte of 0x80 or more, or one below that to which
// adding 0x3F sets the top bit ("A" and up) and adding 0x25 does not
// (up to "Z"), with no carry into the next byte.
func isUnplainWord(w uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	return w&high != 0 || (w+0x3F*ones)&^(w+0x25*ones)&high != 0
}

// unplainByte marks the bytes that make a domain other than plain
// (isPlainDomain): upper-case ASCII letters and every byte of 0x80 or more.
var unplainByte = func() (t [256]byte) {
	for c := range t {
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			t[c] = 1
		}
	}
	return t
}()

// domainEdge marks the bytes domainOf trims from a domain's ends.
func domainEdge(c byte) bool {
	switch c {
	case ' ', '>', '.', '[', ']':
		return true
	}
	return false
}

// mailFromFacts are the facts of the envelope sender's domain.
func (c *Context) mailFromFacts() *nameFacts {
	return c.addrFacts(&c.mailFrom, c.Report.Envelope.MailFrom)
}

// senderFacts are the facts of the Sender address's domain, noFacts
// without a Sender.
func (c *Context) senderFacts() *nameFacts {
	if c.Report.Header.Sender == nil {
		return &noFacts
	}
	return c.addrFacts(&c.sender, c.Report.Header.Sender.Address)
}

// replyToFacts are the facts of the domain of the i-th Reply-To address;
// the first's are kept.
func (c *Context) replyToFacts(i int) *nameFacts {
	if a := c.Report.Header.ReplyTo[i].Address; i > 0 {
		return c.domainFacts(addrDomain(a))
	}
	return c.addrFacts(&c.replyTo, c.Report.Header.ReplyTo[0].Address)
}

func checkEnvelopeFrom(c *Context) []Finding {
	mf, from := c.Report.Envelope.MailFrom, c.fromAddress()
	if !c.otherOrgThanFrom(c.mailFromFacts()) {
		return nil
	}
	// The envelope rules fire on much honest mail: concatenations, not
	// Sprintf, and one for the message and the evidence together.
	msg, ev := messageEvidence("envelope sender "+mf+", From "+from+"MAIL FROM:<"+mf+"> | From: "+c.firstValue(fieldFrom),
		len("envelope sender ")+len(mf)+len(", From ")+len(from))
	return c.one(Finding{Message: msg, Evidence: ev})
}

// messageEvidence cuts a finding's message and evidence, written one after
// the other into both, apart after the message's n bytes: one string
// made, not two.
func messageEvidence(both string, n int) (message, evidence string) {
	return both[:n], both[n:]
}

func checkSender(c *Context) []Finding {
	s := c.Report.Header.Sender
	if s == nil || !c.otherOrgThanFrom(c.senderFacts()) {
		return nil
	}
	from := c.fromAddress()
	msg, ev := messageEvidence("Sender "+s.Address+", From "+from+"Sender: "+c.firstValue(fieldSender)+" | From: "+c.firstValue(fieldFrom),
		len("Sender ")+len(s.Address)+len(", From ")+len(from))
	return c.one(Finding{Message: msg, Evidence: ev})
}

// freemail are consumer mailbox providers anyone can open an account at.
var freemail = map[string]bool{"google": true, "microsoft": true, "yahoo": true, "apple": true,
	"gmx.net": true, "gmx.de": true, "web.de": true, "mail.ru": true, "yandex.ru": true, "protonmail.com": true,
	"proton.me": true, "zoho.com": true, "qq.com": true, "163.com": true}

func checkReplyTo(c *Context) []Finding {
	from := c.fromAddress()
	var out []Finding
	for i, r := range c.Report.Header.ReplyTo {
		rf := c.replyToFacts(i)
		if !c.otherOrgThanFrom(rf) {
			continue
		}
		sev := SeverityInfo
		if freemail[rf.family] && !freemail[c.fromDomainFacts().family] {
			sev = SeverityLow
		}
		msg, ev := messageEvidence("Reply-To "+r.Address+", From "+from+"Reply-To: "+c.firstValue(fieldReplyTo)+" | From: "+c.firstValue(fieldFrom),
			len("Reply-To ")+len(r.Address)+len(", From ")+len(from))
		out = append(out, Finding{Severity: sev, Message: msg, Evidence: ev})
	}
	return out
}

// notAddressed reports an envelope recipient in neither To nor Cc: Bcc, a
// list, or a resend.
func (c *Context) notAddressed(rcpt string) bool {
	return !listed(rcpt, c.Report.Header.To) && !listed(rcpt, c.Report.Header.Cc)
}

func checkHiddenRcpt(c *Context) []Finding {
	var buf [4]string // most messages hide one recipient, or a few
	hidden := buf[:0]
	for _, r := range c.Report.Envelope.RcptTo {
		if c.notAddressed(r) {
			hidden = append(hidden, r)
		}
	}
	if len(hidden) == 0 {
		return nil
	}
	// The message and the evidence are written one after the other into
	// one string, cut in two: one allocation for both.
	env := &c.Report.Envelope
	var b strings.Builder
	b.Grow(hiddenMessageSize(hidden) + evidenceSize(env))
	writeHiddenMessage(&b, hidden)
	n := b.Len()
	line := writeEnvelopeEvidence(&b, env, hidden)
	msg, ev := messageEvidence(b.String(), n)
	return c.one(Finding{Message: msg, Evidence: ev, Line: line})
}

// hiddenMessage is the hidden-recipient finding's message: "envelope
// recipient " + joinFirst(hidden, maxShown) + " is not in To/Cc: Bcc or a
// list".
func hiddenMessage(hidden []string) string {
	var b strings.Builder
	b.Grow(hiddenMessageSize(hidden))
	writeHiddenMessage(&b, hidden)
	return b.String()
}

const hiddenPrefix, hiddenSuffix = "envelope recipient ", " is not in To/Cc: Bcc or a list"

// hiddenMessageSize is the length of hiddenMessage(hidden).
func hiddenMessageSize(hidden []string) int {
	shown := hidden[:min(len(hidden), maxShown)]
	size := len(hiddenPrefix) + len(hiddenSuffix) + len(andMore(" ", len(hidden)-len(shown))) + len(", ")*(len(shown)-1)
	for _, h := range shown {
		size += len(h)
	}
	return size
}

// writeHiddenMessage writes hiddenMessage(hidden) to b, with no joined
// list made on the way.
func writeHiddenMessage(b *strings.Builder, hidden []string) {
	shown := hidden[:min(len(hidden), maxShown)]
	b.WriteString(hiddenPrefix)
	for i, h := range shown {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(h)
	}
	b.WriteString(andMore(" ", len(hidden)-len(shown)))
	b.WriteString(hiddenSuffix)
}

// maxShown is how many addresses or fields a finding names before it
// counts the rest.
const maxShown = 10

// joinFirst joins the first n items of list with ", " and counts the rest.
func joinFirst(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + andMore(" ", len(list)-n)
}

// andMore is how a list that names the first few items ends: after sep,
// "and N more", for the more left out; "" when none was.
func andMore(sep string, more int) string {
	if more <= 0 {
		return ""
	}
	return sep + "and " + strconv.Itoa(more) + " more"
}

// sameLower reports strings.ToLower(a) == strings.ToLower(b), without the
// copies. Unicode lower-cases some runes to other lengths and to ASCII
// (İ, K), so from the first byte that is not ASCII, in either, the rest is
// lower-cased and compared (refSameLower holds it to the definition).
func sameLower(a, b string) bool {
	i, same, decided := foldASCII(a, b)
	if decided {
		return same
	}
	// a[:i] and b[:i] are ASCII and lower-case alike, and a rune starts at
	// i in both.
	return strings.ToLower(a[i:]) == strings.ToLower(b[i:])
}

// equalFoldAddr is strings.EqualFold(a, b), decided by foldASCII while
// both are ASCII: only the Kelvin sign and the long s fold to ASCII
// letters, and neither is ASCII. From the first byte that is not ASCII,
// in either, strings.EqualFold decides.
func equalFoldAddr(a, b string) bool {
	if _, same, decided := foldASCII(a, b); decided {
		return same
	}
	return strings.EqualFold(a, b)
}

// foldASCII walks a and b side by side while both are ASCII, for
// sameLower and equalFoldAddr. It has decided, and same is the answer of
// both, when the ASCII bytes settle it: the strings are equal, two bytes
// differ once lowered (their lower-cased and folded texts differ there),
// or one is an ASCII prefix of the other (the longer one's rest lowers
// and folds to a rune at least). Otherwise i is the first byte that is
// not ASCII in either, where a rune starts in both.
func foldASCII(a, b string) (i int, same, decided bool) {
	if a == b {
		return 0, true, true // the usual answer, compared a word at a time
	}
	n := min(len(a), len(b))
	for i = 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca|cb >= utf8.RuneSelf {
			return i, false, false
		}
		if ca != cb && lowerASCII(ca) != lowerASCII(cb) {
			return i, false, true
		}
	}
	return n, len(a) == len(b), true
}

// listed reports whether addr is in list, ignoring case.
func listed(addr string, list []Address) bool {
	for i := range list {
		if equalFoldAddr(list[i].Address, addr) {
			return true
		}
	}
	return false
}

// evidenceLine is the line of the first field that named addr, 0 when none did.
func evidenceLine(env Envelope, addr string) int {
	for _, e := range env.Evidence {
		if e.Line > 0 && sameLower(e.Address, addr) {
			return e.Line
		}
	}
	return 0
}

// envelopeEvidence lists the trace fields that named addrs, the first
// maxShown of them, and counts the rest.
func envelopeEvidence(env Envelope, addrs []string) string {
	ev, _ := envelopeEvidenceLine(env, addrs)
	return ev
}

// envelopeEvidenceLine is envelopeEvidence, and evidenceLine of the first
// of addrs, found in the same walk over the fields.
func envelopeEvidenceLine(env Envelope, addrs []string) (ev string, line int) {
	var b strings.Builder
	b.Grow(evidenceSize(&env))
	line = writeEnvelopeEvidence(&b, &env, addrs)
	return b.String(), line
}

// evidenceSize is room for writeEnvelopeEvidence: every field, named or
// not, and the count of the rest.
func evidenceSize(env *Envelope) int {
	size := len(" | and  more") + 20
	for i := range env.Evidence {
		size += len(" | ") + len(env.Evidence[i].Field) + len(": ") + len(env.Evidence[i].Address)
	}
	return size
}

// writeEnvelopeEvidence writes envelopeEvidence(env, addrs) to b and
// returns evidenceLine(env, addrs[0]).
func writeEnvelopeEvidence(b *strings.Builder, env *Envelope, addrs []string) (line int) {
	var set map[string]bool
	if len(addrs) > maxShown {
		// A long list is looked up, not walked for every field.
		set = make(map[string]bool, len(addrs))
		for _, a := range addrs {
			set[strings.ToLower(a)] = true
		}
	}
	shown, more := 0, 0
	for i := range env.Evidence {
		e := &env.Evidence[i]
		// Whether the field named the first address is asked once, for
		// the line and for the list.
		var first, named bool
		if set == nil {
			first = sameLower(addrs[0], e.Address)
			named = first || namedIn(e.Address, addrs[1:], nil)
		} else {
			first = line == 0 && e.Line > 0 && sameLower(e.Address, addrs[0])
			named = namedIn(e.Address, addrs, set)
		}
		if line == 0 && e.Line > 0 && first {
			line = e.Line
		}
		switch {
		case !named:
		case shown == maxShown:
			more++
		default:
			if shown++; shown > 1 {
				b.WriteString(" | ")
			}
			b.WriteString(e.Field)
			b.WriteString(": ")
			b.WriteString(e.Address)
		}
	}
	b.WriteString(andMore(" | ", more))
	return line
}

// namedIn reports whether addr is one of addrs, lower-cased alike (set
// holds them lower-cased when the list is long).
func namedIn(addr string, addrs []string, set map[string]bool) bool {
	if set != nil {
		return set[strings.ToLower(addr)]
	}
	for _, a := range addrs {
		if sameLower(a, addr) {
			return true
		}
	}
	return false
}
