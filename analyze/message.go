package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
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
func Split(raw []byte) (*Message, error) {
	m := &Message{Raw: raw}
	s := &splitter{data: raw}
	if bytes.HasPrefix(raw, []byte("From ")) {
		line, _ := s.next()
		m.MboxFrom = string(line)
	}
	m.splitHeader(s)
	m.Body = raw[s.pos:]
	m.BodyLine = s.line + 1
	if len(m.Fields) == 0 {
		return m, ErrNoHeader
	}
	return m, nil
}

func (m *Message) splitHeader(s *splitter) {
	var cur *pendingField
	for s.pos < len(s.data) {
		start := s.pos
		line, _ := s.next()
		if len(line) == 0 {
			m.flush(cur, start)
			return // the empty line that ends the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				m.Defects = append(m.Defects, fmt.Sprintf("line %d: continuation line before any field", s.line))
			}
			continue
		}
		name, _, isField := cutField(line)
		if !isField {
			m.Defects = append(m.Defects, fmt.Sprintf("line %d: not a header field, header ends here without a blank line", s.line))
			m.flush(cur, start)
			s.pos, s.line = start, s.line-1
			return
		}
		m.flush(cur, start)
		cur = &pendingField{name: string(name), valueStart: start + bytes.IndexByte(line, ':') + 1, line: s.line}
	}
	m.flush(cur, s.pos)
	if len(m.Fields) > 0 {
		m.Defects = append(m.Defects, "message ends inside the header: no body")
	}
}

// pendingField is a field whose end is not known yet: its value runs until
// the next line that does not start with white space.
type pendingField struct {
	name       string
	valueStart int
	line       int
}

// flush records the pending field, whose value ends at offset end. The
// value keeps its folding and line ends so they can be shown exactly.
func (m *Message) flush(f *pendingField, end int) {
	if f == nil {
		return
	}
	value := m.Raw[f.valueStart:end]
	if len(value) > maxFieldBytes {
		value = value[:maxFieldBytes]
		m.Defects = append(m.Defects, fmt.Sprintf("line %d: field %.40q longer than %d bytes, cut", f.line, f.name, maxFieldBytes))
	}
	m.Fields = append(m.Fields, Field{Name: f.name, Value: string(value), Line: f.line})
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
}

// next returns the line without its end; ok is false at end of input
// without a line end.
func (s *splitter) next() (line []byte, ok bool) {
	rest := s.data[s.pos:]
	i := bytes.IndexAny(rest, "\r\n")
	s.line++
	if i < 0 {
		s.pos = len(s.data)
		return rest, false
	}
	end := i + 1
	if rest[i] == '\r' && end < len(rest) && rest[end] == '\n' {
		end++
	}
	s.pos += end
	return rest[:i], true
}

// unfold removes CRLF/LF/CR followed by white space and trims the result.
func unfold(v string) string {
	if strings.IndexAny(v, "\r\n") < 0 {
		return strings.TrimSpace(v)
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}
