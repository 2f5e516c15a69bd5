package smtpd

import (
	"github.com/mailtrace/mailtrace/internal/textsafe"

	"strconv"
	"strings"
	"unicode"
)

// Reply is one SMTP reply as a value: a code, an optional enhanced status code (RFC 3463) and one or more
// text lines. It is rendered on the wire in one place, [Reply.Format].
type Reply struct {
	Code     Code
	Enhanced string // "x.y.z", or "" where RFC 2034 §3 exempts the reply (greeting, HELO/EHLO, 3xx)
	Lines    []string
}

// reply builds a Reply with an enhanced code.
func reply(code Code, enhanced string, lines ...string) Reply {
	return Reply{Code: code, Enhanced: enhanced, Lines: lines}
}

// Format renders r as it goes on the wire: every line but the last has "-" after the code (RFC 5321
// §4.2.1), and every line carries the enhanced code (RFC 2034 §4).
func (r Reply) Format() string {
	var b strings.Builder
	r.appendTo(&b)
	return b.String()
}

// appendTo writes r to b, grown once to the exact size: every reply of every session goes through
// here, and a builder left to grow by itself allocates two or three times.
func (r Reply) appendTo(b *strings.Builder) {
	lines := r.Lines
	if len(lines) == 0 {
		lines = []string{""}
	}
	var codeBuf [20]byte
	code := strconv.AppendInt(codeBuf[:0], int64(r.Code), 10)
	n := 0
	for _, l := range lines {
		n += len(code) + 1 + len(l) + 2
		if r.Enhanced != "" {
			n += len(r.Enhanced) + 1
		}
	}
	b.Grow(n)
	for i, l := range lines {
		b.Write(code)
		if i < len(lines)-1 {
			b.WriteByte('-')
		} else {
			b.WriteByte(' ')
		}
		if r.Enhanced != "" {
			b.WriteString(r.Enhanced)
			if l != "" {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
}

// String is Format without the final CRLF, for logs and errors.
func (r Reply) String() string { return strings.TrimSuffix(r.Format(), "\r\n") }

// Error is an error a backend returns to choose the reply the client gets.
type Error struct {
	Reply Reply
}

func (e *Error) Error() string { return "smtpd: backend replied " + e.Reply.String() }

// NewError returns an *Error carrying the given reply.
func NewError(code Code, enhanced string, lines ...string) *Error {
	return &Error{Reply: reply(code, enhanced, lines...)}
}

// clientError reports whether a reply blames the client's command, and so counts toward
// Options.MaxErrors (RFC 5321 §4.2.4 codes 500-504 and 555). Limits reached by well-formed commands (452,
// 552) and our own failures (451) do not count.
func clientError(c Code) bool {
	return (c >= 500 && c <= 504) || c == 555
}

// writeTraceToken writes s as one token of a Received field's from-clause (RFC 5321 §4.4: a Domain or
// an address-literal): letters, digits, '.', '-' and '_' stay, and so do the brackets and colons of an
// address literal written whole ("[192.0.2.1]", "[IPv6:2001:db8::1]"); every other character, white
// space, parentheses, ';' and stray brackets among them, becomes '?'. It also caps the length.
func writeTraceToken(b *strings.Builder, s string, max int) {
	literal := len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' && strings.Count(s, "[") == 1 && strings.Count(s, "]") == 1
	for i, r := range s {
		if i >= max {
			b.WriteString("...")
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_':
			b.WriteRune(r)
		case literal && (r == '[' || r == ']' || r == ':'):
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
}

// printable returns s with control characters and bytes outside printable ASCII/UTF-8 replaced by '?',
// so that echoing client input never breaks a reply or a header. It also caps the length.
func printable(s string, max int) string {
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == '\uFFFD' || textsafe.Invisible(r) {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
