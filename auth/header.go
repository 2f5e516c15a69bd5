package auth

import (
	"bytes"
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
func splitMessage(raw []byte) *message {
	m := &message{firstLine: 1}
	if bytes.HasPrefix(raw, []byte("From ")) {
		_, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw, m.firstLine = rest, 2
	}
	pos, line := 0, m.firstLine-1
	for pos < len(raw) {
		text, next := nextLine(raw, pos)
		line++
		pos = next
		if len(text) == 0 {
			m.body, m.verifyInput = raw[pos:], raw
			return m
		}
		if len(m.fields) > 0 && (text[0] == ' ' || text[0] == '\t') {
			m.fields[len(m.fields)-1].Raw += string(text) + "\r\n"
			continue
		}
		name, _, _ := strings.Cut(string(text), ":")
		m.fields = append(m.fields, field{Name: strings.TrimSpace(name), Raw: string(text) + "\r\n", Line: line})
	}
	// No empty line: go-msgauth needs one to find the end of the header.
	terminator := "\r\n"
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		terminator = "\r\n\r\n"
	}
	m.verifyInput = append(append([]byte(nil), raw...), terminator...)
	return m
}

// nextLine returns the line at pos without its LF or CRLF, and the offset
// of the next line.
func nextLine(raw []byte, pos int) (line []byte, next int) {
	end := bytes.IndexByte(raw[pos:], '\n')
	if end < 0 {
		return bytes.TrimSuffix(raw[pos:], []byte("\r")), len(raw)
	}
	return bytes.TrimSuffix(raw[pos:pos+end], []byte("\r")), pos + end + 1
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
	return strings.ToLower(strings.TrimSuffix(strings.Trim(d, " \t<>[]"), "."))
}

// unfold removes line ends (RFC 5322 §2.2.3) and trims.
func unfold(v string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(v))
}
