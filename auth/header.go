package auth

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// field is one header field as the DKIM verifier sees it: the raw lines
// joined with CRLF, the way go-msgauth's reader builds them, so that both
// verifiers hash the same bytes.
type field struct {
	Name string // trimmed, case kept
	// Raw is "Name: value" with folding, every line ending in CRLF. A
	// field taken from Input.Header offline has none: only its value is
	// read, in val, with the line ends the caller's message has (often a
	// bare LF; see adoptHeader).
	Raw  string
	Line int // 1-based line in the input
	val  string
	// kind is which of the fields a check without DNS reads it is, told
	// once by name when the field is made: a message's From, signatures
	// and ARC fields are each looked for among its fields, some more than
	// once.
	kind fieldKind
}

// fieldKind is which of offlineNames a field's name equals ignoring case
// (strings.EqualFold), counted from 1; kindOther for every other name.
type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindFrom
	kindDKIM
	kindSeal
	kindAMS
	kindAAR
)

// Field is one header field of a message its caller has split already
// (Input.Header), as Check would split it: the lines of Message up to the
// first empty line, each ending in LF or CRLF with no other CR among them;
// a line starting with SP or HTAB continues the field above it, every
// other line starts a field. An mbox "From " line before the header is
// not a field.
type Field struct {
	Name  string // the text before the first colon of its first line, white space around it removed
	Value string // everything after that colon: folding and line ends as written, the final one included
	Line  int    // 1-based line of the name in Message
}

// value returns everything after the first colon, line ends kept: CRLF,
// but in an adopted field's value (quotedValue).
func (f field) value() string {
	if f.Raw == "" {
		return f.val
	}
	_, v, _ := strings.Cut(f.Raw, ":")
	return v
}

// quotedValue is value with CRLF line ends, as the verifier reads it:
// for a reason that quotes the text. Most values need no copy.
func (f field) quotedValue() string { return crlfValue(f.value()) }

// lineEndsVary reports a value that quotedValue would change.
func (f field) lineEndsVary() bool { return f.Raw == "" && hasBareLF(f.val) }

// requote reports whether a reason found in f's value is to be found
// again in its quotedValue: the value has a bare LF, and the reason may
// quote a line end (%q writes an LF as `\n`). Whatever else is read from a
// value skips folding white space, CR and LF alike, so no other reason
// changes.
func (f field) requote(reason string) bool {
	return f.lineEndsVary() && strings.Contains(reason, `\n`)
}

// sameName is strings.EqualFold(a, b) for a b of ASCII starting with a
// letter, quick on the common mismatch: a rune that folds to an ASCII
// letter takes at least as many bytes as it (K and ſ take more), so a
// shorter a never matches, and an ASCII first byte must fold to b's.
func sameName(a, b string) bool {
	if len(a) < len(b) || len(a) == 0 {
		return false
	}
	if c := a[0]; c < utf8.RuneSelf && c|0x20 != b[0]|0x20 {
		return false
	}
	return strings.EqualFold(a, b)
}

// message is a raw message split for verification.
type message struct {
	fields []field
	body   []byte
	// verifyInput is what go-msgauth reads: the input without an mbox
	// "From " line, with a header terminator added when the input had none.
	verifyInput []byte
	firstLine   int // line number of the first header line (2 after an mbox line)

	mu   sync.Mutex // guards sums, so that signatures may be checked in parallel
	sums map[bodyKey]bodySum
}

// messageOf splits the input, or takes the caller's split offline. With
// DNS the message is split here: verifying signatures reads every field,
// and go-msgauth splits the message again anyway.
//
// buf is where an adopted header's message is built.
func messageOf(in *Input, verify bool, buf *offlineMessage) *message {
	if verify {
		return splitMessage(in.Message)
	}
	if m, ok := adoptHeader(in, buf); ok {
		return m
	}
	return splitFor(in.Message, true)
}

// readOffline reports the fields a check without DNS reads: From, DKIM
// signatures and ARC fields. A name is compared only with those of them
// whose first letter its first byte can start (offlineByFirst) and that a
// name of its length can equal (offlineByLen): most names are ruled out
// by these alone, before a byte of theirs past the first is read (in a
// long header, a cache line each). The first test inlines where the check
// is made: it rules out Received, the most common field, and most others
// without a call (analyze's field index asks ReadsOffline of every field).
func readOffline(name string) bool {
	return name != "" && offlineByFirst[name[0]] != 0 && offlineName(name) != kindOther
}

// kindOf is the kind of a field of that name.
func kindOf(name string) fieldKind {
	if name == "" || offlineByFirst[name[0]] == 0 {
		return kindOther
	}
	return offlineName(name)
}

// offlineName is kindOf past its first test.
func offlineName(name string) fieldKind {
	if len(name) >= len(offlineByLen) {
		return kindOther
	}
	for set := offlineByLen[len(name)] & offlineByFirst[name[0]]; set != 0; set &= set - 1 {
		if k := bits.TrailingZeros8(set); sameName(name, offlineNames[k]) {
			return fieldKind(k + 1)
		}
	}
	return kindOther
}

// offlineNames are the names readOffline accepts, in the order of their
// kinds (kindFrom...).
var offlineNames = [...]string{"From", "DKIM-Signature", "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"}

// offlineByLen has, for each length, a bit for each of offlineNames that a
// name of that length can equal ignoring case: from its own length to
// foldedLen's, since strings.EqualFold matches the Kelvin sign to k and ſ
// to s, which take more bytes than the letters.
var offlineByLen = func() (t [32]uint8) {
	for i, n := range offlineNames {
		for l := len(n); l <= foldedLen(n); l++ {
			t[l] |= 1 << i
		}
	}
	return t
}()

// offlineByFirst has, for each byte, a bit for each of offlineNames that
// a name starting with it can equal ignoring case: the ASCII letters of
// the case folding orbit of the name's first rune, and every non-ASCII
// byte should a rune outside ASCII fold to it (as the Kelvin sign folds to
// k).
var offlineByFirst = func() (t [256]uint8) {
	for i, n := range offlineNames {
		r0, _ := utf8.DecodeRuneInString(n)
		for r := r0; ; {
			if r < utf8.RuneSelf {
				t[r] |= 1 << i
			} else {
				for c := utf8.RuneSelf; c < len(t); c++ {
					t[c] |= 1 << i
				}
			}
			if r = unicode.SimpleFold(r); r == r0 {
				break
			}
		}
	}
	return t
}()

// foldedLen is the length of the longest string strings.EqualFold
// matches to s: each rune spelled by the longest rune it folds to.
func foldedLen(s string) int {
	n := 0
	for _, r := range s {
		longest := utf8.RuneLen(r)
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			longest = max(longest, utf8.RuneLen(f))
		}
		n += longest
	}
	return n
}

// offlineMessage is a message built from the caller's fields, with room
// for the few fields a check without DNS reads.
type offlineMessage struct {
	m   message
	buf [4]field
}

// adoptHeader builds the message from the caller's fields, in a. Only the
// fields that a check without DNS reads are kept (readOffline), in order,
// and only their values: nothing offline needs the others, the fields'
// positions in the header or their text as it is hashed.
//
// The values keep the caller's line ends: most stored messages end lines
// in a bare LF, and a CRLF copy of every value would be made for nothing.
// Offline a value is read unfolded (From, authentication results) or as
// tags whose values are read with folding white space stripped, CR and LF
// alike; only a reason quoting the text could tell, and such reasons are
// made from quotedValue (parseMsgSig, collectARC).
func adoptHeader(in *Input, a *offlineMessage) (_ *message, ok bool) {
	if in.Header == nil {
		return nil, false
	}
	a.m = message{body: in.Body, fields: adoptFields(in.Header, a.buf[:0])}
	return &a.m, true
}

// adoptFields appends to out the fields of h that readOffline accepts,
// their values as the caller has them.
func adoptFields(h []Field, out []field) []field {
	for i := range h {
		if f := &h[i]; f.Name != "" && offlineByFirst[f.Name[0]] != 0 {
			if k := offlineName(f.Name); k != kindOther {
				out = append(out, field{Name: f.Name, Line: f.Line, val: f.Value, kind: k})
			}
		}
	}
	return out
}

// splitMessage splits raw like go-msgauth's header reader: lines end at LF
// with an optional CR before it; a line starting with white space continues
// the previous field; the first empty line ends the header. An mbox "From "
// line is dropped first. Without an empty line the whole input is header
// and the body is empty.
//
// The header is rewritten once into a single string with CRLF line ends
// and every field's Raw is a piece of it: one allocation for the whole
// header instead of several per field, since every message is split even
// when it carries no signature.
func splitMessage(raw []byte) *message { return splitFor(raw, false) }

// splitFor is splitMessage; offline, it keeps only the fields a check
// without DNS reads (readOffline), as adoptHeader does, and copies no
// other.
func splitFor(raw []byte, offline bool) *message {
	m := &message{firstLine: 1}
	// As analyze.Split reads the start: a byte order mark and blank lines
	// are left out, Outlook's line above a header it shows, then an mbox
	// "From " line.
	off, blank, _ := rfc5322.HeaderStart(raw)
	raw, m.firstLine = raw[off:], m.firstLine+blank
	if n := rfc5322.OutlookPreamble(raw); n > 0 {
		raw, m.firstLine = raw[n:], m.firstLine+1
	}
	if rfc5322.IsMboxFromLine(raw) {
		_, raw, _ = bytes.Cut(raw, []byte("\n"))
		m.firstLine++
	}
	var buf [128]headerLine // most headers fit: no allocation for the lines
	lines, size, bodyStart, ended := scanHeader(raw, buf[:0], m.firstLine, offline)
	m.fields = splitFields(raw, lines, size)
	if ended {
		m.body, m.verifyInput = raw[bodyStart:], raw
		return m
	}
	// No empty line: go-msgauth needs one to find the end of the header.
	terminator := "\r\n"
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		terminator = "\r\n\r\n"
	}
	m.verifyInput = append(append([]byte(nil), raw...), terminator...)
	return m
}

// headerLine is one header line: raw[start:end] is its text, without its
// LF or CRLF; crlf says it ends in CRLF in the input, as it will in Raw.
// num is its number in the input.
type headerLine struct {
	start, end, num int
	crlf            bool
}

// scanHeader lists the header lines up to the first empty line (nothing
// before its LF but an optional CR, or a lone CR at the very end), and the
// size they take with CRLF line ends. The body starts after the empty
// line; without one the whole input is header.
//
// Offline, only the lines of the fields readOffline accepts are listed:
// a header of a million lines, most of them one folded field, would
// otherwise take 32 bytes a line for lines no check reads.
func scanHeader(raw []byte, lines []headerLine, firstLine int, offline bool) (_ []headerLine, size, bodyStart int, ended bool) {
	keep := true
	for pos, num := 0, firstLine; pos < len(raw); num++ {
		end, next := len(raw), len(raw)
		if i := bytes.IndexByte(raw[pos:], '\n'); i >= 0 {
			end, next = pos+i, pos+i+1
		}
		crlf := end > pos && raw[end-1] == '\r'
		if crlf {
			end--
		}
		if end == pos {
			return lines, size, next, true
		}
		if text := raw[pos:end]; offline && (num == firstLine || text[0] != ' ' && text[0] != '\t') {
			name, _, _ := bytes.Cut(text, []byte(":"))
			keep = readOfflineBytes(bytes.TrimSpace(name))
		}
		if keep {
			lines = append(lines, headerLine{pos, end, num, crlf && next > end+1})
			size += end - pos + 2
		}
		pos = next
	}
	return lines, size, len(raw), false
}

// readOfflineBytes is readOffline of a name not yet copied out of the
// message; most are ruled out by their first byte before any copy.
func readOfflineBytes(name []byte) bool {
	return len(name) > 0 && offlineByFirst[name[0]] != 0 && offlineName(string(name)) != kindOther
}

// fieldStart is where a field starts in the CRLF header text, where its
// name ends, and its line in the input.
type fieldStart struct{ off, nameEnd, line int }

// splitFields copies the header lines into one string, each with a CRLF
// line end, and cuts it into fields: a line starting with white space
// continues the field before it (a first line never does). Every Raw is a
// piece of that string: one allocation for the whole header instead of
// several per field, since every message is split, signed or not. Lines
// that end in CRLF already are copied in runs.
func splitFields(raw []byte, lines []headerLine, size int) []field {
	var buf [64]fieldStart
	starts := buf[:0]
	var b strings.Builder
	b.Grow(size)
	runStart, runEnd := 0, 0 // raw[runStart:runEnd] is to be copied as it is
	for n, l := range lines {
		text := raw[l.start:l.end]
		if n == 0 || text[0] != ' ' && text[0] != '\t' {
			off := b.Len() + runEnd - runStart
			nameEnd := bytes.IndexByte(text, ':')
			if nameEnd < 0 {
				nameEnd = len(text)
			}
			starts = append(starts, fieldStart{off, off + nameEnd, l.num})
		}
		switch {
		case l.crlf && runEnd == l.start:
			runEnd = l.end + 2
		case l.crlf:
			b.Write(raw[runStart:runEnd])
			runStart, runEnd = l.start, l.end+2
		default:
			b.Write(raw[runStart:runEnd])
			runStart, runEnd = 0, 0
			b.Write(text)
			b.WriteString("\r\n")
		}
	}
	b.Write(raw[runStart:runEnd])
	text := b.String()
	fields := make([]field, len(starts))
	for i, st := range starts {
		end := len(text)
		if i+1 < len(starts) {
			end = starts[i+1].off
		}
		name := strings.TrimSpace(text[st.off:st.nameEnd])
		fields[i] = field{Name: name, Raw: text[st.off:end], Line: st.line, kind: kindOf(name)}
	}
	return fields
}

// appendAll appends the indexes of the fields of that kind to out, in
// header order (top first).
func (m *message) appendAll(out []int, kind fieldKind) []int {
	for i := range m.fields {
		if m.fields[i].kind == kind {
			out = append(out, i)
		}
	}
	return out
}

// fromDomain returns the domain of the RFC5322.From address that DMARC
// evaluates (RFC 7489 §3.1.1), and a note when the header makes that
// ambiguous: no From, several From fields or several addresses. Several
// From fields are left to local policy (RFC 7489 §6.6.1): the first is
// used. Of several addresses the first is the one DKIM and SPF alignment
// is shown against; DMARC checks each domain (fromDomains).
func (m *message) fromDomain() (domain, note string) {
	v, note, ok := m.fromValue()
	if !ok {
		return "", note
	}
	if addr, ok := plainFromAddress(v); ok {
		return domainOf(addr), note // most From fields: one plain mailbox
	}
	addrs := fromAddresses(v)
	if len(addrs) == 0 {
		return "", "no address in the From field"
	}
	if len(addrs) > 1 && note == "" {
		note = "several addresses in From; the first is used for alignment, and DMARC checks each domain (RFC 7489 §6.6.1)"
	}
	return domainOf(addrs[0]), note
}

// fromDomains returns the distinct domains of the first From field's
// addresses, in order, when it has more than one: RFC 7489 §6.6.1 applies
// DMARC to each. nil for a single domain.
func (m *message) fromDomains() []string {
	v, _, ok := m.fromValue()
	if !ok {
		return nil
	}
	if _, ok := plainFromAddress(v); ok {
		return nil
	}
	var domains []string
	for _, a := range fromAddresses(v) {
		if d := domainOf(a); d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	if len(domains) < 2 {
		return nil
	}
	return domains
}

// fromValue returns the unfolded value of the first From field, with a
// note when there is none (ok false) or several.
func (m *message) fromValue() (v, note string, ok bool) {
	first, n := -1, 0
	for i := range m.fields {
		if m.fields[i].kind == kindFrom {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return "", "no From field", false
	}
	if n > 1 {
		note = "several From fields; the first is used"
	}
	return unfold(m.fields[first].value()), note, true
}

// fromAddresses returns the addresses of a From value that
// plainFromAddress could not read.
func fromAddresses(v string) []string {
	var addrs []string
	list, err := mail.ParseAddressList(v)
	if err != nil && strings.IndexByte(v, '(') >= 0 {
		// net/mail skips comments only between some tokens; CFWS may stand
		// between any two of an addr-spec (RFC 5322 §3.4.1), and a comment
		// is no part of the address DMARC reads.
		list, err = mail.ParseAddressList(rfc5322.StripComments(v))
	}
	if err == nil {
		for _, a := range list {
			addrs = append(addrs, a.Address)
		}
	} else if a := scrapeAddress(v); a != "" {
		addrs = append(addrs, a)
	}
	return addrs
}

// plainFromAddress reads the address of the From values whose reading is
// certain without net/mail: its parser and, when that fails,
// scrapeAddress find the same single address. Those are a bare
// local@domain, a phrase before <local@domain>, and local@domain followed
// by a comment, with local@domain of dot-atoms (rfc5322.IsDotAtomAddr).
// The phrase need not be one net/mail accepts (an encoded word in an
// unknown charset makes it fail), only one that cannot hold a second
// address or end elsewhere (phraseEndsAtAngle); a comment must end at the
// end of the value and hold no "<" that scrapeAddress would take.
func plainFromAddress(v string) (string, bool) {
	switch {
	case strings.HasSuffix(v, ">"):
		i := lastIndexByte(v, '<')
		if i < 0 || !rfc5322.IsDotAtomAddr(v[i+1:len(v)-1]) || !phraseEndsAtAngle(v[:i]) {
			return "", false
		}
		return v[i+1 : len(v)-1], true
	case strings.HasSuffix(v, ")"):
		i := strings.IndexAny(v, " \t")
		if i < 0 || !rfc5322.IsDotAtomAddr(v[:i]) {
			return "", false
		}
		c := strings.TrimLeft(v[i:], " \t")
		if c[0] != '(' || strings.ContainsAny(c[1:len(c)-1], "()\\<>") {
			return "", false
		}
		return v[:i], true
	}
	return v, rfc5322.IsDotAtomAddr(v)
}

// phraseEndsAtAngle reports a display name after which net/mail can only
// read the angle-addr that follows, or fail: it holds none of the
// characters that start another address, a group or an addr-spec
// (",:;@"), no angle bracket, and quotes only around the whole of it
// (with nothing inside that could end them early).
func phraseEndsAtAngle(p string) bool {
	q := p
	for q != "" && (q[len(q)-1] == ' ' || q[len(q)-1] == '\t') {
		q = q[:len(q)-1]
	}
	if len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"' {
		inner := q[1 : len(q)-1]
		return strings.IndexByte(inner, '"') < 0 && strings.IndexByte(inner, '\\') < 0
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case ',', ':', ';', '@', '<', '>', '"':
			return false
		}
	}
	return true
}

// scrapeAddress finds an address in a From value net/mail rejects, its
// comments removed first (rfc5322.StripComments), so that an address in a
// comment is never taken for the one a comment follows
// ("<service@paypal.com(alerts@mailer-eu7.net)>" is service@paypal.com).
// When the value without comments holds none (a "(" never closed before
// the address), the address is scraped from the value as written, and
// comments are removed from it.
func scrapeAddress(v string) string {
	if s := rfc5322.StripComments(v); s != v {
		if a := scrapeRaw(s); a != "" {
			return a
		}
	}
	return rfc5322.StripComments(scrapeRaw(v))
}

// scrapeRaw finds the text inside the last <...>, or a bare word holding
// "@".
func scrapeRaw(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	for _, w := range strings.Fields(v) {
		if strings.Contains(w, "@") {
			return strings.Trim(w, "<>,;\"")
		}
	}
	return ""
}

// domainOf returns the lower-cased domain of an address, without a final
// dot, or "".
func domainOf(addr string) string {
	i := lastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return normDomain(addr[i+1:])
}

// lastIndexByte is strings.LastIndexByte, eight bytes at a time from the
// end: an address's domain or a From value's angle-addr is a few dozen
// bytes of a longer text, and the library looks at one a step. A byte of
// x^c is zero where the text has c; ((y &^ high) + 0x7f...) | y has the
// top bit of each byte of y set but of its zero ones, byte by byte (no
// sum carries into the next byte).
func lastIndexByte(s string, c byte) int {
	const ones = 0x0101010101010101
	const high = 0x80 * ones
	i := len(s)
	for ; i >= 8; i -= 8 {
		y := binary.LittleEndian.Uint64([]byte(s[i-8:i])) ^ uint64(c)*ones
		if zero := ^((y&^high + 0x7f*ones) | y) & high; zero != 0 {
			return i - 8 + (63-bits.LeadingZeros64(zero))/8
		}
	}
	for i--; i >= 0 && s[i] != c; i-- {
	}
	return i
}

// normDomain lower-cases a domain and drops white space, brackets and a
// final dot.
func normDomain(d string) string {
	if isNormDomain(d) {
		return d // most domains: lower-case already, nothing to drop
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(d, " \t<>[]"), "."))
}

// isNormDomain reports a d normDomain returns unchanged: ASCII without
// upper-case letters, nothing to trim at either end, no final dot.
func isNormDomain(d string) bool {
	if d == "" {
		return true
	}
	if domainEdge[d[0]]&edgeFirst != 0 || domainEdge[d[len(d)-1]]&edgeLast != 0 {
		return false
	}
	i := 0
	for ; i+8 <= len(d); i += 8 {
		if asciiUpperOrHigh(binary.LittleEndian.Uint64([]byte(d[i : i+8]))) {
			return false
		}
	}
	if i < len(d) && len(d) >= 8 {
		// The last eight bytes, some of them seen already, rather than
		// the few left one by one.
		return !asciiUpperOrHigh(binary.LittleEndian.Uint64([]byte(d[len(d)-8:])))
	}
	for ; i < len(d); i++ {
		if c := d[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// domainEdge marks the bytes normDomain trims from the front of a name
// (edgeFirst) and from its end (edgeLast: a final dot too).
var domainEdge = func() (t [256]uint8) {
	for _, c := range []byte(" \t<>[]") {
		t[c] = edgeFirst | edgeLast
	}
	t['.'] = edgeLast
	return t
}()

const (
	edgeFirst = 1 << iota
	edgeLast
)

// asciiUpperOrHigh reports whether any of the eight bytes of x is an
// upper-case ASCII letter or at least utf8.RuneSelf, all eight at once:
// for a byte b below 0x80, b+0x3f has its top bit set when b >= 'A'
// (0x41) and b+0x25 when b > 'Z' (0x5a), with no carry into the next
// byte (0x7f+0x3f is 0xbe).
func asciiUpperOrHigh(x uint64) bool {
	const ones = 0x0101010101010101
	const high = 0x80 * ones
	if x&high != 0 {
		return true
	}
	atLeastA, pastZ := x+0x3f*ones, x+0x25*ones
	return atLeastA&^pastZ&high != 0
}

// unfold removes a field value's line ends and trims it (rfc5322.Unfold).
func unfold(v string) string { return rfc5322.Unfold(v) }

// hasBareLF reports an LF without a CR before it.
func hasBareLF(v string) bool {
	for i := strings.IndexByte(v, '\n'); i >= 0; {
		if i == 0 || v[i-1] != '\r' {
			return true
		}
		k := strings.IndexByte(v[i+1:], '\n')
		if k < 0 {
			return false
		}
		i += k + 1
	}
	return false
}

// crlfValue returns v with a CR added before every LF that has none: the
// form the verifier reads a field in. Most values need no copy.
func crlfValue(v string) string {
	bare := 0
	for i := strings.IndexByte(v, '\n'); i >= 0; {
		if i == 0 || v[i-1] != '\r' {
			bare++
		}
		k := strings.IndexByte(v[i+1:], '\n')
		if k < 0 {
			break
		}
		i += k + 1
	}
	if bare == 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + bare)
	done := 0 // v[:done] is written
	for i := strings.IndexByte(v, '\n'); i >= 0; {
		if i == 0 || v[i-1] != '\r' {
			b.WriteString(v[done:i])
			b.WriteByte('\r')
			done = i
		}
		k := strings.IndexByte(v[i+1:], '\n')
		if k < 0 {
			break
		}
		i += k + 1
	}
	b.WriteString(v[done:])
	return b.String()
}

// ReadsOffline reports whether a check without DNS reads header fields of
// that name (From, DKIM-Signature and the ARC fields). A caller handing
// over its split (Input.Header) may leave out the fields it rejects.
func ReadsOffline(name string) bool { return readOffline(name) }
