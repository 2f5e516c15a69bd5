// Package rfc5322 holds small lexical predicates of RFC 5322 §3.2-3.4
// (atext, dot-atoms, quoted-string runs) shared by the fast paths that read
// addresses without net/mail when the text is plainly simple, the removal
// of comments (§3.2.2) their fallbacks read an address after, and where a
// message's header starts, which analyze and auth must read alike.
package rfc5322

import "strings"

// IsDotAtomAddr reports local@domain, both dot-atoms of ASCII atext
// without leading, trailing or double dots (RFC 5322 §3.4.1).
func IsDotAtomAddr(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && IsDotAtom(local) && IsDotAtom(domain)
}

func IsDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !IsASCIIAtext(s[i]) {
			return false
		}
	}
	return true
}

// IsAtomPhrase reports words of ASCII atext and dots, without "=" (so no
// encoded word), separated by single spaces.
func IsAtomPhrase(s string) bool {
	if s == "" || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if i == 0 || s[i-1] == ' ' {
				return false
			}
		case c == '=' || c != '.' && !IsASCIIAtext(c):
			return false
		}
	}
	return true
}

// IsQtextRun reports printable ASCII and spaces without '"' or '\\': the
// inside of a quoted-string with nothing to unescape.
func IsQtextRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// IsASCIIAtext reports RFC 5322 atext in US-ASCII: VCHAR but the specials.
func IsASCIIAtext(c byte) bool { return asciiAtext[c] }

// asciiAtext is IsASCIIAtext as a table: it is asked of every octet of
// every address the rules and auth read.
var asciiAtext = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>[]:;@\,."`, c)
	}
	return t
}()

// SimpleMailbox reads the commonest mailbox forms without net/mail:
// "local@domain", "Name Words <local@domain>" and
// "\"Quoted Name\" <local@domain>", in printable ASCII. It reports false
// for anything else. For these forms net/mail's result is the same (it
// tries the addr-spec first, then a phrase and an angle-addr; a phrase of
// atoms without "=" holds no encoded word); the fast path only spares the
// allocations of its parser, since every message has a From.
func SimpleMailbox(v string) (name, addr string, ok bool) {
	if !strings.HasSuffix(v, ">") {
		return "", v, IsDotAtomAddr(v)
	}
	i := strings.LastIndex(v, " <")
	if i <= 0 {
		return "", "", false
	}
	addr, phrase := v[i+2:len(v)-1], v[:i]
	if !IsDotAtomAddr(addr) {
		return "", "", false
	}
	if phrase[0] == '"' {
		inner := phrase[1:]
		if len(inner) < 2 || inner[len(inner)-1] != '"' || !IsQtextRun(inner[:len(inner)-1]) {
			return "", "", false
		}
		return inner[:len(inner)-1], addr, true
	}
	return phrase, addr, IsAtomPhrase(phrase)
}
