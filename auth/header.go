package auth

import (
	"bytes"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"
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
}

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

// is reports whether the field has that name (strings.EqualFold).
func (f field) is(name string) bool { return sameName(f.Name, name) }

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
func messageOf(in Input, verify bool, buf *offlineMessage) *message {
	if !verify {
		if m, ok := adoptHeader(in, buf); ok {
			return m
		}
	}
	return splitMessage(in.Message)
}

// readOffline reports the fields a check without DNS reads: From, DKIM
// signatures and ARC fields. Their names start with F, D or A, letters no
// other rune folds to, so most names are ruled out by their first byte;
// the rest by their length, since only a name with a byte past ASCII can
// equal one of a different length (sameName).
func readOffline(name string) bool {
	if name == "" {
		return false
	}
	switch name[0] | 0x20 {
	case 'f', 'd', 'a':
	default:
		return false
	}
	switch len(name) {
	case len("From"):
		return sameName(name, "From")
	case len("DKIM-Signature"):
		return sameName(name, "DKIM-Signature")
	case len("ARC-Seal"), len("ARC-Message-Signature"), len("ARC-Authentication-Results"):
		return isARCField(name)
	}
	if len(name) < len("From") || isASCII(name) {
		return false
	}
	return sameName(name, "From") || sameName(name, "DKIM-Signature") || isARCField(name)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
func adoptHeader(in Input, a *offlineMessage) (_ *message, ok bool) {
	if in.Header == nil {
		return nil, false
	}
	m := &a.m
	m.body, m.fields = in.Body, a.buf[:0]
	for _, f := range in.Header {
		if !readOffline(f.Name) {
			continue
		}
		m.fields = append(m.fields, field{Name: f.Name, Line: f.Line, val: f.Value})
	}
	return m, true
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
func splitMessage(raw []byte) *message {
	m := &message{firstLine: 1}
	if bytes.HasPrefix(raw, []byte("From ")) {
		_, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw, m.firstLine = rest, 2
	}
	var buf [128]headerLine // most headers fit: no allocation for the lines
	lines, size, bodyStart, ended := scanHeader(raw, buf[:0])
	m.fields = splitFields(raw, lines, size, m.firstLine)
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
type headerLine struct {
	start, end int
	crlf       bool
}

// scanHeader lists the header lines up to the first empty line (nothing
// before its LF but an optional CR, or a lone CR at the very end), and the
// size they take with CRLF line ends. The body starts after the empty
// line; without one the whole input is header.
func scanHeader(raw []byte, lines []headerLine) (_ []headerLine, size, bodyStart int, ended bool) {
	for pos := 0; pos < len(raw); {
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
		lines = append(lines, headerLine{pos, end, crlf && next > end+1})
		size += end - pos + 2
		pos = next
	}
	return lines, size, len(raw), false
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
func splitFields(raw []byte, lines []headerLine, size, firstLine int) []field {
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
			starts = append(starts, fieldStart{off, off + nameEnd, firstLine + n})
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
		fields[i] = field{Name: strings.TrimSpace(text[st.off:st.nameEnd]), Raw: text[st.off:end], Line: st.line}
	}
	return fields
}

// all returns the fields with that name, in header order (top first).
func (m *message) all(name string) []int {
	var out []int
	for i, f := range m.fields {
		if f.is(name) {
			out = append(out, i)
		}
	}
	return out
}

// fromDomain returns the domain of the RFC5322.From address that DMARC
// evaluates (RFC 7489 §3.1.1), and a note when the header makes that
// ambiguous: no From, several From fields or several addresses
// (RFC 7489 §6.6.1 leaves such messages to local policy; the first address
// is used here).
func (m *message) fromDomain() (domain, note string) {
	first, n := -1, 0
	for i := range m.fields {
		if m.fields[i].is("From") {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return "", "no From field"
	}
	if n > 1 {
		note = "several From fields; the first is used"
	}
	v := unfold(m.fields[first].value())
	if _, addr, ok := rfc5322.SimpleMailbox(v); ok {
		return domainOf(addr), note // most From fields: one plain mailbox
	}
	var addrs []string
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			addrs = append(addrs, a.Address)
		}
	} else if a := scrapeAddress(v); a != "" {
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return "", "no address in the From field"
	}
	if len(addrs) > 1 && note == "" {
		note = "several addresses in From; the first is used"
	}
	return domainOf(addrs[0]), note
}

// scrapeAddress finds an address in a From value net/mail rejects: the text
// inside the last <...>, or a bare word holding "@".
func scrapeAddress(v string) string {
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
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return normDomain(addr[i+1:])
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
	switch d[0] {
	case ' ', '\t', '<', '>', '[', ']':
		return false
	}
	switch d[len(d)-1] {
	case ' ', '\t', '<', '>', '[', ']', '.':
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// unfold removes line ends (RFC 5322 §2.2.3) and trims. A value whose
// line ends are all in the white space around it needs no copy.
func unfold(v string) string {
	t := strings.TrimSpace(v)
	if strings.IndexByte(t, '\n') < 0 && strings.IndexByte(t, '\r') < 0 {
		return t
	}
	var b strings.Builder
	b.Grow(len(t))
	for {
		i := strings.IndexAny(t, "\r\n")
		if i < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		t = t[i+1:]
	}
	return strings.TrimSpace(b.String())
}

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
