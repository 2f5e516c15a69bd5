package analyze

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Lookalike rules: a sender's domain built to be read as another one.
func init() {
	register(&Rule{
		ID: "lookalike-domain", Severity: SeverityMedium,
		Field: "From",
		Title: "Sender domain imitates a well-known or the recipient's domain",
		Explain: "The From domain is an internationalised name (RFC 5891 punycode) whose letters look like " +
			"those of a well-known domain or of the recipient's own (Cyrillic \"а\" for Latin \"a\"), or an " +
			"ASCII name that reads the same (paypa1, rn for m): high. A name one typing error away from " +
			"such a domain (micros0ft, bieberdorff) is medium; a mixed-script label with no target is low. " +
			"Reply-To, Sender and the envelope sender (Return-Path) are judged the same way, at most medium: " +
			"replies and bounces going to a lookalike, while the sender shown is not the one imitated. So " +
			"is a hop's client named (HELO or reverse DNS) under an internationalised domain that reads as a " +
			"well-known one (mail.xn--ggle-55da.com, gооgle.com in Cyrillic): medium.",
		Example: "From: PayPal <service@xn--pypal-4ve.com>   (pаypal.com with a Cyrillic а)",
		Check:   checkLookalike,
	})
}

// wellKnown are domains spoofers imitate most; the recipient's own
// domain is added per message.
var wellKnown = []string{"paypal.com", "apple.com", "microsoft.com", "google.com", "gmail.com", "outlook.com",
	"office.com", "office365.com", "live.com", "hotmail.com", "yahoo.com", "amazon.com", "facebook.com",
	"instagram.com", "whatsapp.com", "netflix.com", "linkedin.com", "dropbox.com", "docusign.com",
	"chase.com", "wellsfargo.com", "bankofamerica.com", "citibank.com", "hsbc.com", "barclays.co.uk",
	"americanexpress.com", "mastercard.com", "visa.com", "dhl.com", "fedex.com", "usps.com", "adobe.com",
	"icloud.com", "twitter.com", "ebay.com", "irs.gov", "github.com", "coinbase.com", "binance.com",
	"booking.com", "airbnb.com", "intuit.com", "salesforce.com", "zoom.us", "slack.com", "wetransfer.com"}

// confusables maps characters that render like ASCII letters (Unicode
// TR39 confusables, the ones phishers use) to the letter they imitate.
var confusables = map[rune]string{
	'а': "a", 'е': "e", 'о': "o", 'р': "p", 'с': "c", 'у': "y", 'х': "x", 'і': "i", 'ј': "j", 'ѕ': "s",
	'ԁ': "d", 'ɡ': "g", 'һ': "h", 'ӏ': "l", 'ԛ': "q", 'ԝ': "w", 'ո': "n", 'ս': "u", 'ց': "g",
	'ο': "o", 'α': "a", 'ν': "v", 'ι': "i", 'κ': "k", 'τ': "t", 'ρ': "p", 'ε': "e", 'χ': "x", 'υ': "u",
	'ı': "i", 'ł': "l", 'ø': "o", 'đ': "d", 'ħ': "h", 'ŀ': "l", 'ß': "ss", 'æ': "ae", 'œ': "oe",
	'ⅼ': "l", 'ℓ': "l", '０': "0", '１': "1",
}

// skeleton reduces a name to the ASCII letters it looks like: accents
// removed (NFD), confusable letters mapped, then the ASCII digit and
// letter pairs that read alike (0/o, 1/l, rn/m, vv/w) folded.
func skeleton(s string) string {
	if isASCII(s) {
		return digitFold.Replace(foldPairs(strings.ToLower(s)))
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if m, ok := confusables[r]; ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(r)
	}
	return digitFold.Replace(foldPairs(b.String()))
}

// foldPairs applies pairFold, which copies its input even when it holds
// no pair to fold; most names hold none.
func foldPairs(s string) string {
	if !strings.Contains(s, "rn") && !strings.Contains(s, "vv") && !strings.Contains(s, "cl") {
		return s
	}
	return pairFold.Replace(s)
}

var (
	pairFold  = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")
	digitFold = strings.NewReplacer("0", "o", "1", "l", "i", "l", "5", "s")
)

// target is a domain spoofers imitate, split once.
type target struct {
	domain, label, suffix, skel string
}

// newTarget takes the skeleton from d's name facts: worked out once per
// name, not once per message that names the recipient's domain.
func newTarget(d string) target { return targetOf(d, facts(d)) }

// targetOf is the target d, from facts whose org and skeleton are d's.
func targetOf(d string, f *nameFacts) target {
	label, suffix := splitOrgDomain(f.org)
	return target{domain: d, label: label, suffix: suffix, skel: f.skel}
}

// recipientTargets are the recipient's own families as targets, the
// families with a dot (organisational domains, not a provider's name).
// A family that is its domain's organisational domain takes that domain's
// facts, which recipientFamilies looked up already: their org and skeleton
// are the family's own (TestRecipientTargets).
func (c *Context) recipientTargets(buf []target) []target {
	families, rf := c.recipientFamilies(), c.recipientFacts()
	for i, fam := range families {
		if !strings.Contains(fam, ".") {
			continue
		}
		if i < len(rf) && rf[i].org == fam {
			buf = append(buf, targetOf(fam, rf[i]))
		} else {
			buf = append(buf, newTarget(fam))
		}
	}
	return buf
}

// wellKnownTargets are wellKnown, prepared once.
var wellKnownTargets = func() []target {
	out := make([]target, len(wellKnown))
	for i, d := range wellKnown {
		out[i] = newTarget(d)
	}
	return out
}()

// wellKnownIndex answers lookalike's questions of wellKnownTargets.
var wellKnownIndex = newTargetIndex(wellKnownTargets)

// targetIndex answers lookalike's questions of a fixed list of at most 64
// targets without comparing the domain with each: which target is the
// domain itself, and which it may imitate (the same skeleton, or a label
// of six letters or more one letter longer or shorter, or as long, whose
// bytes differ from the domain's by at most one each way), in the list's
// order. Every message asks them of the same list.
type targetIndex struct {
	targets []target
	// masks are the targets' labels' byteMasks: the candidates of one
	// length are told apart by them, not by their labels, which lie each
	// in memory of its own.
	masks []uint64
	// lacks[b] are the targets whose label's mask lacks bit b, as bits:
	// near counts with them, for all targets at once, the label's bytes
	// a target lacks.
	lacks [64]uint64
	// skelLen[n] and skelFirst[b] are the targets whose skeleton is n
	// long (n <= maxTargetLabel) and starts with b, as bits: only a target
	// in both can have a skeleton's skeleton, and few are, so they are
	// compared, not hashed.
	skelLen   [maxTargetLabel + 1]uint64
	skelFirst [256]uint64
	// byLen[n] are the targets whose label is n long, when that is six or
	// more, as bits: indexed, not hashed, as it is asked three times for
	// each domain judged.
	byLen [maxTargetLabel + 2]uint64
}

// maxTargetLabel bounds the labels of a targetIndex's targets: no
// well-known domain's is longer, and a recipient's own targets are not
// indexed.
const maxTargetLabel = 30

func newTargetIndex(targets []target) *targetIndex {
	if len(targets) > 64 {
		panic("targetIndex: more than 64 targets")
	}
	x := &targetIndex{targets: targets}
	for i, t := range targets {
		x.masks = append(x.masks, byteMask(t.label))
		bit := uint64(1) << i
		for b := range x.lacks {
			if x.masks[i]&(1<<b) == 0 {
				x.lacks[b] |= bit
			}
		}
		if len(t.label) > maxTargetLabel || len(t.skel) > maxTargetLabel || t.skel == "" {
			panic("targetIndex: a target's label or skeleton is longer than maxTargetLabel, or empty")
		}
		x.skelLen[len(t.skel)] |= bit
		x.skelFirst[t.skel[0]] |= bit
		if len(t.label) >= 6 {
			x.byLen[len(t.label)] |= bit
		}
	}
	return x
}

// sameSkel are the targets whose skeleton is skel, as bits.
func (x *targetIndex) sameSkel(skel string) uint64 {
	if skel == "" || len(skel) >= len(x.skelLen) {
		return 0
	}
	var set uint64
	for maybe := x.skelLen[len(skel)] & x.skelFirst[skel[0]]; maybe != 0; maybe &= maybe - 1 {
		if i := bits.TrailingZeros64(maybe); x.targets[i].skel == skel {
			set |= 1 << i
		}
	}
	return set
}

// isReal reports a target that is label.suffix itself; same are the
// targets of the label's skeleton (sameSkel), among which it is: a name
// has the skeleton of its label.
func (x *targetIndex) isReal(same uint64, label, suffix string) bool {
	for ; same != 0; same &= same - 1 {
		if t := &x.targets[bits.TrailingZeros64(same)]; t.label == label && t.suffix == suffix {
			return true
		}
	}
	return false
}

// candidates are the targets a label with skeleton skel may imitate.
func (x *targetIndex) candidates(label, skel string) uint64 {
	return x.near(x.sameSkel(skel), label)
}

// near adds to set (the targets of the label's skeleton) the targets one
// typing error may have made label of: those of a length one away or the
// same whose byte masks are (oneEditMasks).
func (x *targetIndex) near(set uint64, label string) uint64 {
	if n := len(label); n >= 6 {
		m := byteMask(label)
		// oneEditMasks(m, mask) for each target of those lengths: first
		// at most one of the label's bytes lacking, counted for all
		// targets at once (once, twice), then at most one of the
		// target's lacking from the label, for the few left.
		var once, twice uint64
		for rest := m; rest != 0; rest &= rest - 1 {
			l := x.lacks[bits.TrailingZeros64(rest)]
			twice |= once & l
			once |= l
		}
		for near := (x.ofLen(n-1) | x.ofLen(n) | x.ofLen(n+1)) &^ set &^ twice; near != 0; near &= near - 1 {
			if i := bits.TrailingZeros64(near); bits.OnesCount64(x.masks[i]&^m) <= 1 {
				set |= 1 << i
			}
		}
	}
	return set
}

// byteMask is the set of a label's bytes, each as bit b%64: labels one
// typing error apart (oneEdit) have masks that oneEditMasks accepts.
func byteMask(label string) uint64 {
	var m uint64
	for i := 0; i < len(label); i++ {
		m |= 1 << (label[i] % 64)
	}
	return m
}

// oneEditMasks reports whether two labels with masks a and b may be one
// typing error apart: a letter changed, added or dropped brings at most
// one byte that the other label lacks into each, and a swap none. Bytes
// sharing a bit only make more labels pass.
func oneEditMasks(a, b uint64) bool {
	return bits.OnesCount64(a&^b) <= 1 && bits.OnesCount64(b&^a) <= 1
}

// ofLen are the targets whose label is n long (six or more), as bits.
func (x *targetIndex) ofLen(n int) uint64 {
	if n >= len(x.byLen) {
		return 0
	}
	return x.byLen[n]
}

// splitOrg splits an organisational domain into its label and suffix:
// "paypal.com" -> "paypal", "com".
func splitOrg(d string) (string, string) { return splitOrgDomain(orgDomain(d)) }

// splitOrgDomain is splitOrg of a name's organisational domain.
func splitOrgDomain(org string) (string, string) {
	if i := strings.IndexByte(org, '.'); i > 0 {
		return org[:i], org[i+1:]
	}
	return org, ""
}

func checkLookalike(c *Context) []Finding {
	var ownBuf [2]target // a message has one or two recipient families
	own := c.recipientTargets(ownBuf[:0])
	var out []Finding
	var seenBuf [4]string
	seen := seenBuf[:0] // From has one address, or a few
	from := c.Report.Header.From
	for i := range from {
		df := c.fromFacts(i)
		d := df.name
		if d == "" || slices.Contains(seen, d) {
			continue
		}
		seen = append(seen, d)
		if f, ok := lookalikeFacts("From domain", d, df, wellKnownIndex, own); ok {
			f.Evidence = "From: " + c.firstValue(fieldFrom)
			out = append(out, f)
		}
	}
	// Where replies and bounces go: a reply-to hijack or an envelope
	// sender built to be read as the brand's. Medium at most: the sender
	// shown is not the one imitated.
	// They are judged in turn, as they are found: a list of them, each
	// copied in and out, cost more than the judging of most.
	other := func(field, what, addr string, of *nameFacts) {
		d := of.name
		if d == "" || slices.Contains(seen, d) || c.fromOrg(of.org) {
			return // the From's own organisation (bounces@mail.example.com), judged with it
		}
		seen = append(seen, d)
		if f, ok := lookalikeFacts(what, d, of, wellKnownIndex, own); ok {
			if SeverityWeight(f.Severity) > SeverityWeight(SeverityMedium) {
				f.Severity = SeverityMedium
			}
			f.Evidence = field + ": " + addr
			out = append(out, f)
		}
	}
	for i := range c.Report.Header.ReplyTo {
		other("Reply-To", "Reply-To domain", c.Report.Header.ReplyTo[i].Address, c.replyToFacts(i))
	}
	if s := c.Report.Header.Sender; s != nil && s.Address != "" {
		other("Sender", "Sender domain", s.Address, c.senderFacts())
	}
	if mf := c.Report.Envelope.MailFrom; mf != "" {
		other("Return-Path", "Return-Path domain", mf, c.mailFromFacts())
	}
	// A client named as a big brand in another script ("mail-sor-f41.
	// xn--ggle-55da.com", gооgle.com with Cyrillic о): only internationalised
	// names that read the same count here, since host names one letter away
	// from a brand are common, and every hop's names are looked at, so the
	// plain ASCII ones, nearly all, are passed over at once.
	hf := c.hopFacts()
	for i := range hf {
		// A client that greets with its reverse DNS name has one name's
		// facts for both (factsOf): it is looked at once.
		if helo, rdns := hf[i].helo, hf[i].rdns; !idnName(helo) && (rdns == helo || !idnName(rdns)) {
			continue
		}
		h := &c.Report.Hops[i]
		for _, n := range [2]*nameFacts{hf[i].helo, hf[i].rdns} {
			if !idnName(n) || slices.Contains(seen, n.org) {
				continue
			}
			seen = append(seen, n.org)
			what := fmt.Sprintf("hop %d: the client's name %s: its domain", h.Index, n.clean)
			if f, ok := lookalike(what, n.org, wellKnownIndex, nil); ok && f.Severity == SeverityHigh {
				f.Severity, f.Hops, f.Line = SeverityMedium, []int{h.Index}, h.Line
				f.Evidence = "from " + describeFrom(h.From)
				out = append(out, f)
			}
		}
	}
	return out
}

// idnName reports a public name whose organisational domain holds an
// internationalised label.
// It is a fact of the name (nameFacts.idn), worked out once.
func idnName(n *nameFacts) bool { return n.idn }

// hasACE is strings.Contains(s, "xn--"), the prefix of an
// internationalised label (RFC 5890 §2.3.2.1): most names have no "x", and
// IndexByte finds that out at once.
func hasACE(s string) bool {
	for {
		i := strings.IndexByte(s, 'x')
		if i < 0 || len(s)-i < len("xn--") {
			return false
		}
		if s[i+1] == 'n' && s[i+2] == '-' && s[i+3] == '-' {
			return true
		}
		s = s[i+1:]
	}
}

// fromFacts are the facts of the domain of the i-th From address: the
// first's are the Context's (fromDomainFacts).
func (c *Context) fromFacts(i int) *nameFacts {
	if i == 0 {
		return c.fromDomainFacts()
	}
	return facts(addrDomain(c.Report.Header.From[i].Address))
}

// fromOrg reports an organisational domain of one of the From addresses.
func (c *Context) fromOrg(org string) bool {
	for i := range c.Report.Header.From {
		if c.fromFacts(i).org == org {
			return true
		}
	}
	return false
}

// lookalike judges one domain against the well-known targets (through
// their index) and the recipient's own; what names the domain in the
// finding ("From domain").
func lookalike(what, domain string, known *targetIndex, own []target) (Finding, bool) {
	return lookalikeFacts(what, domain, facts(domain), known, own)
}

// lookalikeFacts is lookalike of a domain whose facts the caller has.
func lookalikeFacts(what, domain string, df *nameFacts, known *targetIndex, own []target) (Finding, bool) {
	uni, uf := domain, df
	ascii := !hasACE(domain) && isASCII(domain) // then uni is domain, and its label ASCII
	if !ascii {
		if u, err := idna.Lookup.ToUnicode(domain); err == nil {
			uni = u
		}
		uf = facts(uni)
	}
	label, suffix := splitOrgDomain(uf.org)
	if label == "" {
		return Finding{}, false
	}
	sk := uf.skel // skeleton(label)
	same := known.sameSkel(sk)
	if known.isReal(same, label, suffix) {
		return Finding{}, false // it is the real one
	}
	for i := range own {
		if t := &own[i]; t.label == label && t.suffix == suffix {
			return Finding{}, false
		}
	}
	shown := domain
	if uni != domain {
		shown = fmt.Sprintf("%s (%s)", domain, uni)
	}
	for set := known.near(same, label); set != 0; set &= set - 1 {
		t := &known.targets[bits.TrailingZeros64(set)]
		if f, ok := imitates(what, label, sk == t.skel, shown, t); ok {
			return f, true
		}
	}
	for i := range own {
		t := &own[i]
		// What imitates needs, checked here first: most targets are
		// ruled out by a length.
		same := sk == t.skel
		if !same && !(len(label) >= 6 && len(t.label) >= 6 && abs(len(label)-len(t.label)) <= 1) {
			continue
		}
		if f, ok := imitates(what, label, same, shown, t); ok {
			return f, true
		}
	}
	if !ascii && mixedScripts(label) {
		return Finding{Severity: SeverityLow,
			Message: fmt.Sprintf("%s %s mixes Latin with another script in one label", what, shown)}, true
	}
	return Finding{}, false
}

// imitates compares one label with one target; sameSkel says their
// skeletons are the same.
func imitates(what, label string, sameSkel bool, shown string, t *target) (Finding, bool) {
	switch {
	case t.label == label:
		// The same name under another suffix is the brand's own, usually.
	case sameSkel:
		return Finding{Severity: SeverityHigh,
			Message: what + " " + shown + " reads as " + t.domain}, true
	case len(t.label) >= 6 && len(label) >= 6 && abs(len(label)-len(t.label)) <= 1 &&
		oneEdit(label, t.label) && !numberedSibling(label, t.label):
		return Finding{Severity: SeverityMedium,
			Message: what + " " + shown + " is one letter away from " + t.domain}, true
	}
	return Finding{}, false
}

// isASCII reports whether s is ASCII alone. It looks at eight bytes at a
// time, the words' top bits gathered and tested once: most of what the
// rules ask about is a name or an address of a few dozen bytes, nearly
// always ASCII. The bytes past the last whole word are read as the last
// eight (or four, or two) bytes of s, which overlap the words before
// them, instead of one at a time.
func isASCII(s string) bool {
	const high = 0x8080808080808080
	n := len(s)
	switch {
	case n >= 8:
		acc := load64(s[n-8:])
		for i := 0; i+8 <= n; i += 8 {
			acc |= load64(s[i:])
		}
		return acc&high == 0
	case n >= 4:
		return (load32(s)|load32(s[n-4:]))&(high&0xffffffff) == 0
	case n >= 2:
		return (load16(s)|load16(s[n-2:]))&(high&0xffff) == 0
	}
	return n == 0 || s[0] < 0x80
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// numberedSibling reports names that differ only by trailing digits
// (company, company2): how organisations name their own sibling domains,
// not how a lookalike is made.
func numberedSibling(a, b string) bool {
	trim := func(s string) string { return strings.TrimRight(s, "0123456789") }
	return trim(a) == trim(b)
}

// mixedScripts reports a label that mixes Latin letters with Cyrillic or
// Greek ones, which no honest registrant needs (RFC 5893 bidi aside).
func mixedScripts(label string) bool {
	if isASCII(label) {
		return false // Latin alone
	}
	var latin, other bool
	for _, r := range label {
		switch {
		case r < 128 && unicode.IsLetter(r):
			latin = true
		case unicode.In(r, unicode.Cyrillic, unicode.Greek, unicode.Armenian):
			other = true
		}
	}
	return latin && other
}

// oneEdit reports whether a and b (different strings) are one typing
// error apart: a letter changed, added, dropped, or two neighbours
// swapped: a Damerau-Levenshtein distance of 1 (TestOneEdit), without the
// table.
func oneEdit(a, b string) bool {
	if a == b {
		return false
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case len(a) == len(b)+1:
		return a[i+1:] == b[i:]
	case len(b) == len(a)+1:
		return b[i+1:] == a[i:]
	}
	return false
}
