package rfc5322

import "strings"

// StripComments returns s without its comments (RFC 5322 §3.2.2): text in
// parentheses outside quoted strings, nested parentheses and quoted-pairs
// ("\)") included. A comment is CFWS, which may stand between any two
// tokens of an address (§3.4.1: "<(c)local(c)@(c)domain(c)>"), so it is
// dropped with the white space around it; a single space is left only where
// it separated two characters that would otherwise join into one word
// ("John(c)Smith"), none where a special or the end of s is on either side.
// Receivers read the From domain DMARC evaluates this way, from the
// addr-spec with its comments removed.
//
// A "(" inside a quoted string ("a(b"@example.com) is text, not a comment,
// and a quoted string is copied as written. Where this departs from the
// RFC: a comment that is not closed runs to the end of s; an unclosed
// quoted string runs to the end of s too; a stray ")" is kept as text; a
// domain literal is not told apart (a "(" in one starts a comment, and
// DMARC has no use for a literal). A value without "(" is returned as is.
func StripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	kept := 0 // b[:kept] ends in a quoted string or pair: its white space is not folding
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '"':
			end := quotedEnd(s, i)
			b = append(b, s[i:end]...)
			i, kept = end, len(b)
		case '(':
			for len(b) > kept && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
				b = b[:len(b)-1]
			}
			i = skipCFWS(s, i)
			if len(b) > 0 && i < len(s) && !joinsFreely(b[len(b)-1]) && !joinsFreely(s[i]) {
				b = append(b, ' ')
			}
		case '\\':
			// A quoted-pair outside a quoted string is no valid token, but
			// "\(" must not open a comment.
			end := min(i+2, len(s))
			b = append(b, s[i:end]...)
			i, kept = end, len(b)
		default:
			b = append(b, c)
			i++
		}
	}
	return string(b)
}

// quotedEnd returns the index just past the quoted string that starts at
// s[start] ('"'): after its closing quote, or len(s) when it has none.
func quotedEnd(s string, start int) int {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// skipCFWS returns the index just past the comments and white space that
// start at s[start], a "(": nesting counts (§3.2.2 ccontent holds
// comments), a quoted-pair neither opens nor closes one.
func skipCFWS(s string, start int) int {
	depth, i := 0, start
	for i < len(s) {
		switch c := s[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && c != ' ' && c != '\t':
			return i
		}
		i++
	}
	return len(s)
}

// joinsFreely reports a character that needs no space to stay apart from
// the one beside it: white space and the specials of §3.2.3 that separate
// the tokens of an address.
func joinsFreely(c byte) bool {
	switch c {
	case ' ', '\t', '<', '>', '@', ',', ';', ':', '.', '[', ']', '"', ')':
		return true
	}
	return false
}
