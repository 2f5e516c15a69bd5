package analyze

import (
	"fmt"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// wordDecoder decodes RFC 2047 encoded-words in any charset x/net knows.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(label string, input io.Reader) (io.Reader, error) {
		r, err := charset.NewReaderLabel(label, input)
		if err != nil {
			return nil, fmt.Errorf("charset %q: %w", label, err)
		}
		return smallCopyReader{r}, nil
	},
}

// smallCopyReader lets the io.Copy that package mime converts each
// encoded word with copy through a small buffer: without a WriteTo
// method, io.Copy allocates 32 KB for every word in a legacy charset.
type smallCopyReader struct{ io.Reader }

// WriteTo copies as io.Copy would, through a 512-byte buffer.
func (r smallCopyReader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 512)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			m, werr := w.Write(buf[:k])
			n += int64(m)
			if werr != nil {
				return n, werr
			}
			if m != k {
				return n, io.ErrShortWrite
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// decodeWords decodes encoded-words, keeping the raw text when they are broken.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// summaryFields are the fields the summary shows, each from its first
// occurrence.
var summaryFields = [...]string{"From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "Return-Path", "Sender"}

// maxListedFields bounds the fields the header summary lists: real mail
// has a few dozen, and a flood of short fields cost 80 bytes of report
// each (25 MB of Subject fields made a 158 MB JSON report).
const maxListedFields = 10000

// summarize builds the header summary from the split message. Every field
// it lists or picks is unfolded once, in one pass.
func summarize(m *Message) HeaderSummary {
	var first [len(summaryFields)]string // unfolded value of each summary field
	var found [len(summaryFields)]bool
	var h HeaderSummary
	h.Fields = make([]FieldEntry, min(len(m.Fields), maxListedFields))
	for i, f := range m.Fields {
		v, unfolded := "", false
		if i < len(h.Fields) {
			v, unfolded = f.Unfolded(), true
			h.Fields[i] = FieldEntry{Name: f.Name, Value: v, Line: f.Line}
		}
		for k, name := range summaryFields {
			if !found[k] && len(f.Name) == len(name) && strings.EqualFold(f.Name, name) {
				if !unfolded {
					v, unfolded = f.Unfolded(), true
				}
				first[k], found[k] = v, true
			}
		}
	}
	h.From = addressList(first[0])
	h.ReplyTo = addressList(first[1])
	h.To = addressList(first[2])
	h.Cc = addressList(first[3])
	h.Subject = decodeWords(first[4])
	h.DateText = first[5]
	h.MessageID = first[6]
	h.ReturnPath = angleAddr(first[7])
	if s := addressList(first[8]); len(s) > 0 {
		h.Sender = &s[0]
	}
	if t, ok := parseDate(h.DateText); ok {
		h.Date = &t
	}
	return h
}

// parseDate reads an RFC 5322 date, leniently (obsolete zones, missing weekday).
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, ok := parseCommonDate(s); ok {
		return t, true
	}
	t, err := mail.ParseDate(s)
	if err == nil {
		return t, true
	}
	// Drop a trailing comment such as "(PST)" that net/mail rejects after a zone.
	if i := strings.LastIndexByte(s, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(s[:i])); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// commonDateLayout is the form nearly every Date field takes: RFC 5322
// §3.3 with the optional day of week and a numeric zone.
const commonDateLayout = "Mon, 2 Jan 2006 15:04:05 -0700"

// parseCommonDate parses a date that starts with a day name and has a
// numeric zone, followed at most by a simple comment such as "(PDT)", with
// the one layout net/mail would succeed with. net/mail tries its 48
// layouts in turn and this one is the 25th: every failed attempt
// allocates an error. It does what net/mail does first: the date ends
// four digits after the first "+" or "-", and a comment after it is
// skipped. The 24 layouts before this one start with the day of the
// month, so they fail on text that does not start with a digit, and the
// result is net/mail's own. Anything else is left to net/mail.
func parseCommonDate(s string) (time.Time, bool) {
	if s == "" || isDigit(s[0]) || s[0] == ' ' || s[0] == '\t' || strings.ContainsAny(s, "\r\n") {
		return time.Time{}, false
	}
	zone := strings.IndexAny(s, "+-")
	if zone < 0 || len(s) < zone+5 || !isSimpleCFWS(s[zone+5:]) {
		return time.Time{}, false
	}
	t, err := time.Parse(commonDateLayout, s[:zone+5])
	return t, err == nil
}

// isSimpleCFWS matches white space with at most one comment that holds no
// parentheses or backslashes: what net/mail skips after a numeric zone.
func isSimpleCFWS(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return true
	}
	end := strings.IndexByte(s, ')')
	if s[0] != '(' || end < 0 || strings.ContainsAny(s[1:end], "(\\") {
		return false
	}
	return strings.TrimLeft(s[end+1:], " \t") == ""
}

// addressList parses an address header leniently: when net/mail rejects the
// list, every angle-bracketed or bare addr-spec found in it is kept, so a
// malformed From still shows the address a reader would see.
func addressList(v string) []Address {
	if v == "" {
		return nil
	}
	if name, addr, ok := rfc5322.SimpleMailbox(v); ok {
		return []Address{{Name: name, Address: addr}}
	}
	if list, ok := simpleMailboxList(v); ok {
		return list
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	list, err := p.ParseList(v)
	if err != nil && strings.IndexByte(v, '(') >= 0 {
		// net/mail skips comments only between some tokens; CFWS may stand
		// between any two of an addr-spec (RFC 5322 §3.4.1), and a comment
		// is no part of the address.
		list, err = p.ParseList(rfc5322.StripComments(v))
	}
	if err == nil {
		out := make([]Address, len(list))
		for i, a := range list {
			out[i] = Address{Name: a.Name, Address: a.Address}
		}
		return out
	}
	return scrapeAddresses(v)
}

// scrapeAddresses finds addr-specs in text that does not parse as an
// address list, its comments removed first (rfc5322.StripComments) so
// that no address is taken out of a comment, as auth reads the From domain.
// When the text without comments holds none (a "(" never closed before the
// addresses), they are scraped from the text as written, and comments are
// removed from each.
func scrapeAddresses(v string) []Address {
	if s := rfc5322.StripComments(v); s != v {
		if out := scrapeRaw(s); len(out) > 0 {
			return out
		}
	}
	out := scrapeRaw(v)
	for i := range out {
		out[i].Address = rfc5322.StripComments(out[i].Address)
	}
	return out
}

// scrapeRaw finds the addr-specs of scrapeAddresses, splitting on commas
// outside quotes.
func scrapeRaw(v string) []Address {
	var out []Address
	for _, part := range splitOutsideQuotes(v, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, addr := "", ""
		if i := strings.LastIndexByte(part, '<'); i >= 0 {
			name = strings.Trim(strings.TrimSpace(part[:i]), `"`)
			addr = strings.TrimSpace(strings.TrimRight(part[i+1:], "> \t"))
		} else if strings.Contains(part, "@") {
			addr = part
		} else {
			continue
		}
		out = append(out, Address{Name: decodeWords(name), Address: addr})
	}
	return out
}

// splitOutsideQuotes splits s at every sep that is not inside a quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	for {
		i := indexOutsideQuotes(s, sep)
		if i < 0 {
			return append(parts, s)
		}
		parts, s = append(parts, s[:i]), s[i+1:]
	}
}

// indexOutsideQuotes is the index of the first sep in s that is not inside a quoted string, or -1.
func indexOutsideQuotes(s string, sep byte) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				return i
			}
		}
	}
	return -1
}

// angleAddr returns the address inside <...>, or the trimmed text, without
// comments (rfc5322.StripComments): a path (RFC 5321 §4.1.2) has none, but
// Return-Path is a header field, whose CFWS may hold one (RFC 5322 §3.6.7).
func angleAddr(v string) string {
	v = strings.TrimSpace(rfc5322.StripComments(v))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return v
}

// domainOf returns the lower-cased domain of an address, or "".
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := addr[i+1:]
	if isPlainDomain(d) {
		return d // most addresses: nothing to trim or lower-case
	}
	return strings.ToLower(strings.Trim(d, " >.[]"))
}

// isPlainDomain reports a d that domainOf returns unchanged: ASCII
// without upper-case letters, nothing to trim at either end.
func isPlainDomain(d string) bool {
	if d == "" {
		return true
	}
	for _, c := range [2]byte{d[0], d[len(d)-1]} {
		switch c {
		case ' ', '>', '.', '[', ']':
			return false
		}
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// simpleMailboxList reads a list of two or more mailboxes of the forms
// rfc5322.SimpleMailbox takes, separated by commas with white space around them:
// To and Cc. net/mail reads such a list the same way, a mailbox at a time,
// skipping white space and one comma between them; an empty entry, or a
// comma inside a quoted name, sends the list to net/mail.
func simpleMailboxList(v string) ([]Address, bool) {
	n := strings.Count(v, ",")
	if n == 0 {
		return nil, false
	}
	out := make([]Address, 0, n+1)
	for part := range strings.SplitSeq(v, ",") {
		name, addr, ok := rfc5322.SimpleMailbox(strings.Trim(part, " \t"))
		if !ok {
			return nil, false
		}
		out = append(out, Address{Name: name, Address: addr})
	}
	return out, true
}
