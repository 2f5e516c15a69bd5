package auth

import (
	"bytes"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
	"net/mail"
	"strings"
	"sync"
)

// field is one header field as the DKIM verifier sees it: the raw lines
// joined with CRLF, the way go-msgauth's reader builds them, so that both
// verifiers hash the same bytes.
type field struct {
	Name string // trimmed, case kept
	Raw  string // "Name: value" with folding, every line ending in CRLF
	Line int    // 1-based line in the input
}

// value returns everything after the first colon, line ends kept.
func (f field) value() string {
	_, v, _ := strings.Cut(f.Raw, ":")
	return v
}

// is reports whether the field has that name (ASCII case-insensitive).
func (f field) is(name string) bool { return strings.EqualFold(f.Name, name) }

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
	idx := m.all("From")
	if len(idx) == 0 {
		return "", "no From field"
	}
	if len(idx) > 1 {
		note = "several From fields; the first is used"
	}
	v := unfold(m.fields[idx[0]].value())
	var addrs []string
	if _, addr, ok := rfc5322.SimpleMailbox(v); ok {
		addrs = append(addrs, addr)
	} else if list, err := mail.ParseAddressList(v); err == nil {
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
	return strings.ToLower(strings.TrimSuffix(strings.Trim(d, " \t<>[]"), "."))
}

// unfold removes line ends (RFC 5322 §2.2.3) and trims. A value whose
// line ends are all in the white space around it needs no copy.
func unfold(v string) string {
	t := strings.TrimSpace(v)
	if strings.IndexAny(t, "\r\n") < 0 {
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
