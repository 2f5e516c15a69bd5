package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// ErrNoHeader is returned by Split when the input holds no header field at all.
var ErrNoHeader = errors.New("analyze: no header fields")

// maxFieldBytes bounds one field kept for analysis; longer fields are cut
// (and a defect noted) so a 1 GB header line cannot exhaust memory twice over.
const maxFieldBytes = 1 << 20

// Field is one header field exactly as it appeared (RFC 5322 §2.2).
type Field struct {
	Name  string // as written, case kept
	Value string // everything after the colon, folding and line ends kept
	Line  int    // 1-based line of the field name in the file
}

// Unfolded returns the value with folding removed (RFC 5322 §2.2.3) and
// surrounding white space trimmed.
func (f Field) Unfolded() string { return unfold(f.Value) }

// Message is a raw message split into header fields and body. It keeps the
// raw bytes: forensics needs exactly what was sent.
type Message struct {
	Raw      []byte
	MboxFrom string  // an mbox "From " line found before the header, if any
	Fields   []Field // in file order
	Body     []byte  // everything after the header/body separator
	BodyLine int     // 1-based line where the body starts
	Defects  []string

	// bareCR is set when a header line ended in a CR alone: Split ends a
	// line there, as most readers of RFC 822 did; package auth (and DKIM
	// verifiers) read it as part of the line.
	bareCR bool
	// cuts counts the defects that are fields cut at maxFieldBytes: the
	// header is read alike by every reader all the same.
	cuts int
	// big are the fields that the MIME parser may be given the message
	// without (mimeInput): longer than bigFieldBytes, and read by no part
	// of it.
	big []fieldSpan
	// spaceBeforeColon is set when a field has white space between its
	// name and its colon, which enmime reads otherwise than Split.
	spaceBeforeColon bool
	// prepended is Input.Prepended: the offset where the sender's text
	// starts, 0 when the receiver wrote nothing before it.
	prepended int
	// headerStart is where the first field starts: after a byte order
	// mark, blank lines and an mbox "From " line, which Split names in
	// its defects and the MIME parser must not see.
	headerStart int
}

// Get returns the unfolded value of the first field with that name
// (case-insensitive), or "".
func (m *Message) Get(name string) string {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Unfolded()
		}
	}
	return ""
}

// All returns every field with that name, in file order.
func (m *Message) All(name string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// Split separates a raw message into header fields and body without decoding
// MIME: this is the header-only path. Lines may end in CRLF, LF or a bare CR.
// A line that is neither a field nor a continuation ends the header (as
// Python's email package does) and is recorded as a defect. Split returns the
// partial message together with ErrNoHeader when no field was found.
//
// Before the header, a UTF-8 byte order mark and blank lines are left out,
// each named in a defect: no header starts with them, but files saved by an
// editor or cut from a terminal do. An mbox "From " line after them is kept
// in MboxFrom.
func Split(raw []byte) (*Message, error) { return splitAfter(raw, 0) }

// splitAfter is Split for a message whose first prepended octets the
// receiver wrote (Input.Prepended): a line of white space at that offset
// does not continue the receiver's last field. It is named in a defect
// and, like the continuation lines after it, belongs to no field.
func splitAfter(raw []byte, prepended int) (*Message, error) {
	m := &Message{Raw: raw, prepended: prepended}
	s := &splitter{data: raw}
	m.skipBeforeHeader(s)
	if rfc5322.IsMboxFromLine(raw[s.pos:]) {
		line, _ := s.next()
		m.MboxFrom = string(line)
	}
	m.headerStart = s.pos
	m.splitHeader(s)
	m.bareCR = s.bareCR
	m.Body = raw[s.pos:]
	m.BodyLine = s.line + 1
	if len(m.Fields) == 0 {
		return m, ErrNoHeader
	}
	return m, nil
}

// skipBeforeHeader moves s past a byte order mark and blank lines at the
// start of the message (rfc5322.HeaderStart), and the line Outlook writes
// above a header it shows (rfc5322.OutlookPreamble), each named in a defect.
func (m *Message) skipBeforeHeader(s *splitter) {
	off, blank, bom := rfc5322.HeaderStart(s.data)
	s.pos, s.line = off, blank // the lines passed over are blank: no CR alone among them
	if bom {
		m.Defects = append(m.Defects, "line 1: a byte order mark (U+FEFF) before the header, left out")
	}
	if blank > 0 {
		m.Defects = append(m.Defects, fmt.Sprintf("line 1: %d blank lines before the header, left out", blank))
	}
	if n := rfc5322.OutlookPreamble(s.data[s.pos:]); n > 0 {
		s.pos, s.line = s.pos+n, s.line+1
		m.Defects = append(m.Defects, fmt.Sprintf("line %d: Outlook's %q line before the header, left out", s.line, rfc5322.OutlookHeadersLine))
	}
}

func (m *Message) splitHeader(s *splitter) {
	var buf [64]fieldSpan // most headers fit: no allocation for the spans
	spans := buf[:0]
	defer func() { m.Fields, m.big = m.fieldsOf(spans), m.bigFields(spans) }()
	closeLast := func(end int) {
		if len(spans) > 0 && spans[len(spans)-1].valueEnd == 0 {
			m.closeSpan(&spans[len(spans)-1], end)
		}
	}
	for s.pos < len(s.data) {
		start := s.pos
		line, _ := s.next()
		if len(line) == 0 {
			closeLast(start)
			return // the empty line that ends the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if start == m.prepended && len(spans) > 0 {
				closeLast(start)
				m.Defects = append(m.Defects, fmt.Sprintf("line %d: the sender's text starts with a continuation line; it does not continue the receiver's own %.40q field", s.line, m.Raw[spans[len(spans)-1].nameStart:spans[len(spans)-1].nameEnd]))
				continue
			}
			if len(spans) == 0 {
				m.Defects = append(m.Defects, fmt.Sprintf("line %d: continuation line before any field", s.line))
			}
			continue
		}
		name, _, isField := cutField(line)
		if !isField {
			m.Defects = append(m.Defects, fmt.Sprintf("line %d: not a header field, header ends here without a blank line", s.line))
			closeLast(start)
			s.pos, s.line = start, s.line-1
			return
		}
		closeLast(start)
		f := fieldSpan{nameStart: start, nameEnd: start + len(name), valueStart: start + bytes.IndexByte(line, ':') + 1, line: s.line}
		m.spaceBeforeColon = m.spaceBeforeColon || f.valueStart-1 != f.nameEnd
		spans = append(spans, f)
	}
	closeLast(s.pos)
	if len(spans) > 0 {
		m.Defects = append(m.Defects, "message ends inside the header: no body")
	}
}

// fieldSpan is where one field's name and value lie in the raw message.
// A value runs until the next line that does not start with white space.
type fieldSpan struct {
	nameStart, nameEnd   int
	valueStart, valueEnd int // valueEnd is where the value kept ends
	end                  int // where the field ends in the message, its line end included
	line                 int
}

// closeSpan records where the value of f ends. The value keeps its
// folding and line ends so they can be shown exactly; one longer than
// maxFieldBytes is cut.
func (m *Message) closeSpan(f *fieldSpan, end int) {
	f.valueEnd, f.end = end, end
	if end-f.valueStart > maxFieldBytes {
		f.valueEnd = f.valueStart + maxFieldBytes
		m.cuts++
		m.Defects = append(m.Defects, fmt.Sprintf("line %d: field %.40q longer than %d bytes, cut", f.line, m.Raw[f.nameStart:f.nameEnd], maxFieldBytes))
	}
}

// bigFieldBytes is the size from which a field that the MIME parser reads
// nothing from is left out of what it is given: enmime copies every header
// line several times over (a 50 MiB Subject took 600 MB), to use only the
// Content- fields.
const bigFieldBytes = 64 << 10

// bigFields returns the fields longer than bigFieldBytes that enmime
// reads nothing from, so that leaving them out changes nothing it reports:
//   - a name not starting with "Content-" and not MIME-Version: the only
//     fields it reads are Content-Type, -Disposition, -Transfer-Encoding
//     and -ID;
//   - the colon right after the name: white space before it is removed or
//     named in an error that quotes the line;
//   - not the first field after an mbox "From " line: enmime reads that
//     line as a field, and without a colon it runs into the field after it.
//
// mimeInput also requires a header read alike by enmime and Split.
func (m *Message) bigFields(spans []fieldSpan) []fieldSpan {
	var out []fieldSpan
	for i, f := range spans {
		name := m.Raw[f.nameStart:f.nameEnd]
		if f.end-f.nameStart <= bigFieldBytes || m.Raw[f.nameEnd] != ':' || i == 0 && m.MboxFrom != "" ||
			len(name) >= 8 && equalFoldASCII(string(name[:8]), "Content-") || equalFoldASCII(string(name), "MIME-Version") {
			continue
		}
		out = append(out, f)
	}
	return out
}

// fieldsOf turns the spans into fields. Names and values are pieces of
// one copy of the header, not a copy each; when a field was cut, only
// what is kept is copied, so a huge header is never held twice.
func (m *Message) fieldsOf(spans []fieldSpan) []Field {
	if len(spans) == 0 {
		return nil
	}
	end := 0
	cut := false
	for _, f := range spans {
		end = max(end, f.valueEnd)
		cut = cut || f.valueEnd-f.valueStart == maxFieldBytes
	}
	fields := make([]Field, len(spans))
	if cut {
		for i, f := range spans {
			fields[i] = Field{Name: string(m.Raw[f.nameStart:f.nameEnd]), Value: string(m.Raw[f.valueStart:f.valueEnd]), Line: f.line}
		}
		return fields
	}
	base := spans[0].nameStart
	hdr := string(m.Raw[base:end])
	for i, f := range spans {
		fields[i] = Field{Name: hdr[f.nameStart-base : f.nameEnd-base], Value: hdr[f.valueStart-base : f.valueEnd-base], Line: f.line}
	}
	return fields
}

// cutField splits "Name: value". A field name is printable US-ASCII except
// colon (RFC 5322 §2.2); "From " lines and similar are not fields.
func cutField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	name = line[:i]
	// Tolerate white space before the colon (RFC 822 allowed it, obsolete
	// syntax in RFC 5322 §4.5.8) but nothing else outside 33..126.
	trimmed := bytes.TrimRight(name, " \t")
	if len(trimmed) == 0 {
		return nil, nil, false
	}
	for _, c := range trimmed {
		if c < 33 || c > 126 {
			return nil, nil, false
		}
	}
	return trimmed, line[i+1:], true
}

// splitter walks lines ending in CRLF, LF or a bare CR.
type splitter struct {
	data []byte
	pos  int
	line int
	// Offset+1 of the next LF and CR at or after pos (0: not searched
	// yet), so that each is searched for with one vectorised scan, and a
	// kind of line end far away (no LF at all in a file with CR line
	// ends) is not searched for again on every line.
	nextLF, nextCR int
	bareCR         bool // a line ended in a CR alone
}

// next returns the line without its end; ok is false at end of input
// without a line end.
func (s *splitter) next() (line []byte, ok bool) {
	rest := s.data[s.pos:]
	i := min(s.nextOf('\n', &s.nextLF), s.nextOf('\r', &s.nextCR)) - s.pos
	s.line++
	if i == len(rest) {
		s.pos = len(s.data)
		return rest, false
	}
	end := i + 1
	if rest[i] == '\r' {
		if end < len(rest) && rest[end] == '\n' {
			end++
		} else {
			s.bareCR = true
		}
	}
	s.pos += end
	return rest[:i], true
}

// nextOf returns the offset of the next c at or after pos, or len(data).
// An offset found before stays right until pos passes it, even when pos
// goes back to the start of the line just read.
func (s *splitter) nextOf(c byte, memo *int) int {
	if *memo == 0 || *memo-1 < s.pos {
		k := bytes.IndexByte(s.data[s.pos:], c)
		if k < 0 {
			k = len(s.data) - s.pos
		}
		*memo = s.pos + k + 1
	}
	return *memo - 1
}

// unfold removes a field value's line ends and trims it (rfc5322.Unfold).
func unfold(v string) string { return rfc5322.Unfold(v) }
