package received

import (
	"net/netip"
	"strings"
)

// ipText is an address found in a Received field, already canonical.
type ipText struct {
	ip   string // canonical form: v4-mapped unmapped, zone dropped
	port int    // from "[ip]:port" or "ip:port" (Exim, mox), 0 when absent
	user string // from "user@ip" (qmail with ident, Sendmail "(user@[ip])")
	note string // what was changed to make it canonical
}

// canonIP parses an address as MTAs write it inside a literal: with an
// optional "IPv6:" tag (RFC 5321 §4.1.3), and IPv6 possibly with a zone
// ("fe80::1%11", Exchange). The result is net/netip's canonical text.
func canonIP(s string) (ipText, bool) {
	if hasPrefixFold(s, "IPv6:") {
		s = s[5:]
	}
	if !addrChars(s) {
		return ipText{}, false // cheap refusal: netip allocates its errors
	}
	var out ipText
	if i := strings.IndexByte(s, '%'); i >= 0 {
		out.note = "IPv6 zone " + s[i:] + " dropped"
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ipText{}, false
	}
	if a.Is4In6() {
		a = a.Unmap()
		out.note = "IPv4-mapped address " + s + " unmapped"
	}
	if a.Is4() && out.note == "" {
		out.ip = s // ParseAddr accepts only the canonical dotted quad: no copy needed
	} else {
		out.ip = a.String()
	}
	return out, true
}

// splitPort reads "ip:port" for IPv4, the only family written that way.
func splitPort(s string) (ipText, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.IndexByte(s[:i], ':') >= 0 {
		return ipText{}, false
	}
	ip, ok := canonIP(s[:i])
	if !ok || strings.IndexByte(ip.ip, ':') >= 0 {
		return ipText{}, false
	}
	ip.port, ok = atoi(s[i+1:])
	return ip, ok
}

// leadingIPv4 reads a dotted quad at the start of s when a colon follows
// it, as in SLmail's "(206.63.131.30::mail daemon)". A slash or a letter
// after it makes it a version ("8.16.0.20/8.16.0.20"), never an address.
func leadingIPv4(s string) (ipText, bool) {
	n := 0
	for n < len(s) && n < 15 && (isDigit(s[n]) || s[n] == '.') {
		n++
	}
	if n == 0 || n == len(s) || s[n] != ':' {
		return ipText{}, false
	}
	ip, ok := canonIP(s[:n])
	if !ok || strings.IndexByte(ip.ip, ':') >= 0 {
		return ipText{}, false
	}
	return ip, true
}

// wordIP reads an address from one word of a comment or clause. Bracketed
// forms are always taken: "[ip]", "[IPv6:ip]", "[ip]:port", "[ip:port]",
// "user@[ip]", "[[ip]]". A bare address is taken only when bare is true
// (the caller knows the position holds an address, e.g. Exchange's
// "(10.1.2.3)") or when it follows "user@" (qmail's "(root@192.0.2.1)").
// Dotted version numbers and ids therefore never become addresses.
func wordIP(w string, bare bool) (ipText, bool) {
	var user string
	if at := strings.LastIndexByte(w, '@'); at >= 0 {
		user, w = w[:at], w[at+1:]
		bare = true
	}
	var ip ipText
	var ok bool
	if len(w) > 0 && w[0] == '[' {
		ip, ok = bracketIP(w)
	} else if bare {
		ip, ok = bareIP(w)
	}
	if ok {
		ip.user = user
	}
	return ip, ok
}

func bracketIP(w string) (ipText, bool) {
	end := strings.LastIndexByte(w, ']')
	if end < 0 {
		return ipText{}, false
	}
	inner, rest := trimBrackets(w[:end]), w[end+1:]
	ip, ok := canonIP(inner)
	if !ok {
		ip, ok = splitPort(inner)
	}
	if ok && len(rest) > 1 && rest[0] == ':' {
		ip.port, _ = atoi(rest[1:])
	}
	return ip, ok
}

// trimBrackets strips "[" and "]" from both ends ("[[10.18.0.3]]", XMail).
func trimBrackets(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] == '[' {
		i++
	}
	for j > i && s[j-1] == ']' {
		j--
	}
	return s[i:j]
}

func bareIP(w string) (ipText, bool) {
	if ip, ok := canonIP(w); ok {
		return ip, true
	}
	if ip, ok := splitPort(w); ok {
		return ip, true
	}
	return leadingIPv4(w)
}

// looksIP reports whether a host name as written is an address, bracketed
// or not ("[192.0.2.1]", "192.0.2.1", "2002:a05:6a10::1"), and returns it.
func looksIP(host string) (ipText, bool) {
	if host == "" {
		return ipText{}, false
	}
	if host[0] == '[' {
		return bracketIP(host)
	}
	if !isDigit(host[0]) && host[0] != ':' && !isHex(host[0]) {
		return ipText{}, false
	}
	return canonIP(host)
}

func isHex(c byte) bool { return class[c]&clHex != 0 }

// addrChars reports text made of what IP addresses are written with, up
// to an optional zone.
func addrChars(s string) bool {
	if len(s) < 2 || len(s) > 64 && strings.IndexByte(s, '%') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			return i > 0
		case c != '.' && c != ':' && !isHex(c):
			return false
		}
	}
	return true
}
