package analyze

import (
	"fmt"
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
		return r, nil
	},
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

// summarize builds the header summary from the split message.
func summarize(m *Message) HeaderSummary {
	h := HeaderSummary{
		From:       addressList(m.Get("From")),
		ReplyTo:    addressList(m.Get("Reply-To")),
		To:         addressList(m.Get("To")),
		Cc:         addressList(m.Get("Cc")),
		Subject:    decodeWords(m.Get("Subject")),
		DateText:   m.Get("Date"),
		MessageID:  m.Get("Message-ID"),
		ReturnPath: angleAddr(m.Get("Return-Path")),
	}
	if s := addressList(m.Get("Sender")); len(s) > 0 {
		h.Sender = &s[0]
	}
	if t, ok := parseDate(h.DateText); ok {
		h.Date = &t
	}
	h.Fields = make([]FieldEntry, len(m.Fields))
	for i, f := range m.Fields {
		h.Fields[i] = FieldEntry{Name: f.Name, Value: f.Unfolded(), Line: f.Line}
	}
	return h
}

// parseDate reads an RFC 5322 date, leniently (obsolete zones, missing weekday).
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
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

// addressList parses an address header leniently: when net/mail rejects the
// list, every angle-bracketed or bare addr-spec found in it is kept, so a
// malformed From still shows the address a reader would see.
func addressList(v string) []Address {
	if v == "" {
		return nil
	}
	if list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v); err == nil {
		out := make([]Address, len(list))
		for i, a := range list {
			out[i] = Address{Name: a.Name, Address: a.Address}
		}
		return out
	}
	return scrapeAddresses(v)
}

// scrapeAddresses finds addr-specs in text that does not parse as an
// address list, splitting on commas outside quotes.
func scrapeAddresses(v string) []Address {
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

func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// angleAddr returns the address inside <...>, or the trimmed text.
func angleAddr(v string) string {
	v = strings.TrimSpace(v)
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
	return strings.ToLower(strings.Trim(addr[i+1:], " >.[]"))
}
