package rfc5322

import "strings"

// Unfold removes the line ends of a field value (RFC 5322 §2.2.3: CRLF,
// and the bare LF and CR real mail also has) and trims the white space
// around it. Every field value ends in its line end, so trimming first
// leaves most values without one: those need no copy.
func Unfold(v string) string {
	t := strings.TrimSpace(v)
	if strings.IndexByte(t, '\n') < 0 && strings.IndexByte(t, '\r') < 0 {
		return t
	}
	return strings.TrimSpace(DropLineEnds(t))
}

// DropLineEnds removes every CR and LF. Lines are found by their LF and
// the CRs in them: IndexByte finds either quicker than a test of every
// byte.
func DropLineEnds(t string) string {
	var b strings.Builder
	b.Grow(len(t))
	for {
		i := strings.IndexByte(t, '\n')
		if i < 0 {
			i = len(t)
		}
		chunk := t[:i]
		for {
			j := strings.IndexByte(chunk, '\r')
			if j < 0 {
				break
			}
			b.WriteString(chunk[:j])
			chunk = chunk[j+1:]
		}
		b.WriteString(chunk)
		if i == len(t) {
			return b.String()
		}
		t = t[i+1:]
	}
}
