package smtpd

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Parse errors. They never leave the package: handlers turn them into 500/501 replies.
var (
	errEmptyLine  = errors.New("empty command line")
	errBadVerb    = errors.New("verb is not a word")
	errCtlChar    = errors.New("control character in command line")
	errNoKeyword  = errors.New("missing FROM:/TO:")
	errBadPath    = errors.New("malformed path")
	errBadMailbox = errors.New("malformed mailbox")
	errBadParam   = errors.New("malformed parameter")
	errDupParam   = errors.New("duplicate parameter")
)

// command is one parsed command line (RFC 5321 §4.1.1: verb, then SP and arguments).
type command struct {
	Verb string // upper-cased: verbs are case-insensitive (RFC 5321 §2.4)
	Arg  string // everything after the verb and its separating spaces, as sent
}

// parseCommand splits a command line (without its line end) into verb and argument. It accepts several
// spaces after the verb, as most servers do; it rejects control characters, which no command may contain
// (RFC 5321 §4.1.2 restricts arguments to printable text; a CR here is a bare CR).
func parseCommand(line []byte) (command, error) { return parseCommandString(string(line)) }

// parseCommandString is parseCommand on the line as a string.
func parseCommandString(s string) (command, error) {
	if strings.TrimRight(s, " \t") == "" {
		return command{}, errEmptyLine
	}
	verb, arg, _ := strings.Cut(s, " ")
	cmd := command{Verb: strings.ToUpper(verb), Arg: strings.TrimLeft(arg, " ")}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return cmd, errCtlChar
		}
	}
	for i := 0; i < len(verb); i++ {
		if c := verb[i]; !isAlpha(c) && !(i > 0 && isDigit(c)) {
			return cmd, errBadVerb
		}
	}
	return cmd, nil
}

// param is one esmtp-param (RFC 5321 §4.1.2): keyword ["=" value].
type param struct {
	Key      string // upper-cased keyword
	Value    string
	HasValue bool
}

// pathArg is a parsed MAIL/RCPT argument.
type pathArg struct {
	Mailbox  string // without <> and source route; "" for <>
	Params   []param
	Lenient  string // what RFC 5321 would have refused but we accepted, "" if nothing
	NonASCII bool   // the mailbox has 8-bit octets (RFC 6531)
}

// parsePathArg parses "FROM:<path> params" or "TO:<path> params" (RFC 5321 §4.1.1.2, §4.1.1.3). keyword is
// "FROM:" or "TO:". Like Postfix, it tolerates spaces after the colon and a path without angle
// brackets, and says so in Lenient, because bulk senders and forgers do both.
func parsePathArg(arg, keyword string) (pathArg, error) {
	var pa pathArg
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return pa, errNoKeyword
	}
	rest := arg[len(keyword):]
	if strings.HasPrefix(rest, " ") {
		pa.Lenient = "space after colon"
		rest = strings.TrimLeft(rest, " ")
	}
	var path string
	if strings.HasPrefix(rest, "<") {
		end := closingAngle(rest)
		if end < 0 {
			return pa, errBadPath
		}
		path, rest = rest[1:end], rest[end+1:]
	} else {
		if pa.Lenient == "" {
			pa.Lenient = "path without angle brackets"
		} else {
			pa.Lenient += ", path without angle brackets"
		}
		path, rest, _ = strings.Cut(rest, " ")
		rest = " " + rest
		if path == "" {
			return pa, errBadPath
		}
	}
	if rest != "" && rest[0] != ' ' {
		return pa, errBadPath
	}
	mbox, err := stripSourceRoute(path)
	if err != nil {
		return pa, err
	}
	if mbox != "" {
		if pa.NonASCII, err = checkMailbox(mbox); err != nil {
			return pa, err
		}
	}
	pa.Mailbox = mbox
	pa.Params, err = parseParams(rest)
	return pa, err
}

// closingAngle returns the index of the '>' closing a path that starts at s[0] == '<', skipping quoted
// strings (a local part may quote a '>'), or -1.
func closingAngle(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '>':
			return i
		case !inQuote && c == '<':
			return -1
		}
	}
	return -1
}

// stripSourceRoute removes an obsolete source route "@a,@b:" that RFC 5321 §4.1.1.3 and Appendix C say
// servers must accept and may ignore.
func stripSourceRoute(path string) (string, error) {
	if !strings.HasPrefix(path, "@") {
		return path, nil
	}
	route, mbox, ok := strings.Cut(path, ":")
	if !ok {
		return "", errBadPath
	}
	for _, hop := range strings.Split(route, ",") {
		if len(hop) < 2 || hop[0] != '@' || !validDomain(hop[1:]) {
			return "", errBadPath
		}
	}
	if mbox == "" {
		return "", errBadPath
	}
	return mbox, nil
}

// checkMailbox validates Mailbox = Local-part "@" ( Domain / address-literal ) (RFC 5321 §4.1.2), or the
// bare "postmaster" RCPT TO allows (§4.1.1.3). It reports whether the mailbox has non-ASCII octets, which
// RFC 6531 allows only with SMTPUTF8; those must be valid UTF-8.
func checkMailbox(m string) (nonASCII bool, err error) {
	for i := 0; i < len(m); i++ {
		if m[i] >= 0x80 {
			nonASCII = true
			break
		}
	}
	if nonASCII && !utf8.ValidString(m) {
		return true, errBadMailbox
	}
	if strings.EqualFold(m, "postmaster") {
		return false, nil
	}
	at := strings.LastIndexByte(m, '@')
	if at <= 0 || at == len(m)-1 {
		return nonASCII, errBadMailbox
	}
	local, domain := m[:at], m[at+1:]
	if !validLocalPart(local) {
		return nonASCII, errBadMailbox
	}
	if strings.HasPrefix(domain, "[") {
		if !validAddressLiteral(domain) {
			return nonASCII, errBadMailbox
		}
	} else if !validDomain(domain) {
		return nonASCII, errBadMailbox
	}
	return nonASCII, nil
}

// validLocalPart checks Local-part = Dot-string / Quoted-string (RFC 5321 §4.1.2), with UTF-8 allowed
// in both as RFC 6531 §3.3 extends them.
func validLocalPart(l string) bool {
	if strings.HasPrefix(l, `"`) {
		if len(l) < 2 || !strings.HasSuffix(l, `"`) {
			return false
		}
		q := l[1 : len(l)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case c == '\\':
				if i+1 >= len(q) || q[i+1] < 32 || q[i+1] > 126 {
					return false
				}
				i++
			case c == '"' || c < 32 || c == 127:
				return false
			}
		}
		return true
	}
	for atom := range strings.SplitSeq(l, ".") { // SplitSeq: no slice to allocate for every address
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	return true
}

// isAtext reports whether c may appear in an Atom (RFC 5322 §3.2.3 atext, via RFC 5321 §4.1.2), counting
// 8-bit octets as the UTF-8 RFC 6531 permits.
func isAtext(c byte) bool {
	return isAlpha(c) || isDigit(c) || c >= 0x80 || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain checks Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] (RFC 5321
// §4.1.2). It also accepts '_' (common in real host names) and UTF-8 U-labels (RFC 6531 §3.3).
func validDomain(d string) bool {
	if d == "" || len(d) > 255 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") { // SplitSeq: no slice to allocate for every address
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// validAddressLiteral checks "[" ( IPv4 / "IPv6:" IPv6 / tag ":" content ) "]" (RFC 5321 §4.1.3).
func validAddressLiteral(s string) bool {
	_, ok := parseAddressLiteral(s)
	return ok
}

// parseParams parses " KEY=VALUE KEY ..." (RFC 5321 §4.1.2 esmtp-param). Several spaces between
// parameters are tolerated.
func parseParams(s string) ([]param, error) {
	var ps []param
	seen := map[string]bool{}
	for _, f := range strings.Fields(s) {
		k, v, hasValue := strings.Cut(f, "=")
		if !validKeyword(k) || (hasValue && !validParamValue(v)) {
			return ps, errBadParam
		}
		k = strings.ToUpper(k)
		if seen[k] {
			return ps, errDupParam
		}
		seen[k] = true
		ps = append(ps, param{Key: k, Value: v, HasValue: hasValue})
	}
	return ps, nil
}

// validKeyword checks esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func validKeyword(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// validParamValue checks esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3).
func validParamValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 33 || c == '=' || c == 127 {
			return false
		}
	}
	return utf8.ValidString(v)
}

// validXtext checks xtext = *( xchar / hexchar ) (RFC 3461 §4): printable ASCII except "+" and "=",
// and "+" followed by two upper-case hex digits.
func validXtext(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
				return false
			}
			i += 2
		case c < 33 || c > 126 || c == '=':
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool    { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isUpperHex(c byte) bool { return isDigit(c) || (c >= 'A' && c <= 'F') }
