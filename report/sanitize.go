package report

import (
	"github.com/mailtrace/mailtrace/internal/textsafe"

	"fmt"
	"strings"
	"unicode/utf8"
)

// Safe makes untrusted text (from a message or from DNS) harmless on a
// terminal: control characters, escape sequences, C1 controls and bidi
// overrides become visible escapes (\x1b, \u202e), invalid UTF-8 bytes
// become \xNN. Tabs become a space; line ends become a visible ⏎ so one
// value stays on one line unless the caller splits it first.
func Safe(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r' || r == '\n':
			b.WriteString("⏎")
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isInvisibleControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isInvisibleControl is textsafe.Invisible.
func isInvisibleControl(r rune) bool { return textsafe.Invisible(r) }
