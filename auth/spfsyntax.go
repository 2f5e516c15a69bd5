package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// blitiri.com.ar/go/spf evaluates a record term by term and stops at the
// first match, so a syntax error after the matching mechanism goes
// unnoticed and "v=spf1 ip4:192.0.2.1 ip4:300.1.1.1 -all" passes
// 192.0.2.1. RFC 7208 §4.6 parses the whole record first: any syntax error
// is a permerror, whatever would have matched. checkSPFSyntax is that
// parse, after the ABNF of RFC 7208 §12; the resolver runs it on every SPF
// record the library fetches (the top-level one, and those reached by
// include and redirect).

// errSPFSyntax is wrapped by every error of checkSPFSyntax.
var errSPFSyntax = errors.New("syntax error")

// maxQuotedTerm bounds the term quoted in an error: records are untrusted
// and may be long.
const maxQuotedTerm = 80

// spfRecordOf returns the SPF record among a name's TXT strings as the
// library selects it (RFC 7208 §4.5), and whether there is exactly one.
func spfRecordOf(txts []string) (string, bool) {
	var rec string
	n := 0
	for _, t := range txts {
		if lt := strings.ToLower(t); lt == "v=spf1" || strings.HasPrefix(lt, "v=spf1 ") {
			rec = t
			n++
		}
	}
	return rec, n == 1
}

// checkSPFSyntax parses a whole SPF record (one that starts "v=spf1")
// and returns the first syntax error, or nil.
func checkSPFSyntax(record string) error {
	terms := strings.Split(record, " ")
	if !strings.EqualFold(terms[0], "v=spf1") {
		return fmt.Errorf("%w: the record does not start with v=spf1", errSPFSyntax)
	}
	var redirects, exps int
	for _, term := range terms[1:] {
		if term == "" {
			continue // several spaces between terms, or trailing ones
		}
		var err error
		if name, value, ok := modifierTerm(term); ok {
			switch strings.ToLower(name) {
			case "redirect":
				redirects++
				err = checkDomainSpec(value)
			case "exp":
				exps++
				err = checkDomainSpec(value)
			default:
				err = checkMacroString(value)
			}
			if err == nil && (redirects > 1 || exps > 1) {
				err = fmt.Errorf("%s= appears more than once (RFC 7208 §6)", strings.ToLower(name))
			}
		} else {
			err = checkDirective(term)
		}
		if err != nil {
			return fmt.Errorf("%w: term %s: %w", errSPFSyntax, quoteTerm(term), err)
		}
	}
	return nil
}

func quoteTerm(t string) string {
	if len(t) > maxQuotedTerm {
		return fmt.Sprintf("%q...", t[:maxQuotedTerm])
	}
	return fmt.Sprintf("%q", t)
}

// modifierTerm splits name=value when term is a modifier:
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
func modifierTerm(term string) (name, value string, ok bool) {
	eq := strings.IndexByte(term, '=')
	if eq < 1 || !isAlpha(term[0]) {
		return "", "", false
	}
	for i := 1; i < eq; i++ {
		if c := term[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", "", false
		}
	}
	return term[:eq], term[eq+1:], true
}

// checkDirective checks [ qualifier ] mechanism (RFC 7208 §4.6.1, §5).
func checkDirective(term string) error {
	if strings.IndexByte("+-?~", term[0]) >= 0 {
		term = term[1:]
	}
	end := strings.IndexAny(term, ":/")
	if end < 0 {
		end = len(term)
	}
	name, rest := strings.ToLower(term[:end]), term[end:]
	arg, hasArg := strings.CutPrefix(rest, ":")
	switch name {
	case "all":
		if rest != "" {
			return errors.New("all takes no argument")
		}
	case "include", "exists":
		if !hasArg {
			return fmt.Errorf("%s needs a domain", name)
		}
		return checkDomainSpec(arg)
	case "ptr":
		if rest == "" {
			return nil
		}
		if !hasArg {
			return errors.New("ptr takes no prefix length")
		}
		return checkDomainSpec(arg)
	case "a", "mx":
		// The prefix length starts at the first "/", as the library
		// reads it: a domain-spec with a "/" ends in no valid top label.
		domain, cidr := rest, ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			domain, cidr = rest[:i], rest[i:]
		}
		if domain != "" { // ":" and the domain, end is at the ":"
			if err := checkDomainSpec(domain[1:]); err != nil {
				return err
			}
		}
		return checkDualCIDR(cidr)
	case "ip4", "ip6":
		if !hasArg {
			return fmt.Errorf("%s needs an address", name)
		}
		return checkIPNetwork(name, arg)
	default:
		return errors.New("unknown mechanism")
	}
	return nil
}

// checkIPNetwork checks ip4-network [ ip4-cidr-length ] or ip6-network
// [ ip6-cidr-length ].
func checkIPNetwork(kind, arg string) error {
	addr, cidr, _ := strings.Cut(arg, "/")
	ip, err := netip.ParseAddr(addr)
	switch {
	case err != nil || ip.Zone() != "":
		return fmt.Errorf("invalid %s address", kind)
	case kind == "ip4" && !ip.Is4():
		return errors.New("ip4 with an address that is not IPv4")
	case kind == "ip6" && !ip.Is6():
		return errors.New("ip6 with an address that is not IPv6")
	}
	if !strings.Contains(arg, "/") {
		return nil
	}
	return checkCIDRLength(cidr, map[string]int{"ip4": 32, "ip6": 128}[kind])
}

// checkDualCIDR checks [ "/" ip4-cidr ] [ "//" ip6-cidr ], s starting at
// the first "/" or empty.
func checkDualCIDR(s string) error {
	if s == "" {
		return nil
	}
	v4, v6, dual := strings.Cut(s[1:], "//")
	if strings.HasPrefix(s, "//") {
		v4, v6, dual = "", s[2:], true
	} else if err := checkCIDRLength(v4, 32); err != nil {
		return err
	}
	if dual {
		return checkCIDRLength(v6, 128)
	}
	return nil
}

// checkCIDRLength checks a prefix length: "0" or digits without a
// leading zero, at most max.
func checkCIDRLength(s string, max int) error {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i > 2 {
			return fmt.Errorf("invalid prefix length /%s", s)
		}
		n = n*10 + int(s[i]-'0')
	}
	if s == "" || s[0] == '0' && len(s) > 1 || n > max {
		return fmt.Errorf("invalid prefix length /%s", s)
	}
	return nil
}

// checkDomainSpec checks domain-spec = macro-string domain-end, with
// domain-end = ( "." toplabel [ "." ] ) / macro-expand.
func checkDomainSpec(s string) error {
	if s == "" {
		return errors.New("empty domain")
	}
	endsInExpand, err := scanMacroString(s, false)
	if err != nil || endsInExpand {
		return err
	}
	t := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(t, '.')
	if dot < 0 || !isTopLabel(t[dot+1:]) {
		return errors.New("the domain does not end in a valid top label")
	}
	return nil
}

// isTopLabel: alphanumerics and hyphens, neither first nor last a hyphen,
// and a letter or a hyphen somewhere (RFC 7208 §7.1: not all digits).
func isTopLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	letterOrHyphen := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c), c == '-':
			letterOrHyphen = true
		case !isDigit(c):
			return false
		}
	}
	return letterOrHyphen
}

// checkMacroString checks macro-string = *( macro-expand / macro-literal )
// (RFC 7208 §7.1), the value of an unknown modifier.
func checkMacroString(s string) error {
	_, err := scanMacroString(s, true)
	return err
}

// scanMacroString checks a macro-string and reports whether it ends with a
// macro-expand ("%{...}", "%%", "%_", "%-"). The letters c, r and t are
// for explanation text only (RFC 7208 §7.3): a domain-spec may not use
// them, the value of an unknown modifier (anyLetter) may.
func scanMacroString(s string, anyLetter bool) (endsInExpand bool, err error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		endsInExpand = c == '%'
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return false, fmt.Errorf("invalid character %q", c)
			}
			continue
		}
		if i+1 >= len(s) {
			return false, errors.New("% at the end")
		}
		i++
		switch s[i] {
		case '%', '_', '-':
			continue
		case '{':
		default:
			return false, fmt.Errorf("invalid macro %%%c", s[i])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return false, errors.New("unterminated macro")
		}
		if err := checkMacroBody(s[i+1:i+end], anyLetter); err != nil {
			return false, err
		}
		i += end
	}
	return endsInExpand, nil
}

// checkMacroBody checks macro-letter transformers *delimiter, the text
// between "%{" and "}".
func checkMacroBody(b string, anyLetter bool) error {
	if b == "" {
		return errors.New("empty macro %{}")
	}
	switch strings.ToLower(b[:1]) {
	case "s", "l", "o", "d", "i", "p", "h", "v":
	case "c", "r", "t":
		if !anyLetter {
			return fmt.Errorf("macro %%{%s} is for explanation text only (RFC 7208 §7.3)", b)
		}
	default:
		return fmt.Errorf("unknown macro letter in %%{%s}", b)
	}
	i, nonzero := 1, false
	for ; i < len(b) && isDigit(b[i]); i++ {
		nonzero = nonzero || b[i] != '0'
	}
	if i > 1 && !nonzero {
		return fmt.Errorf("macro %%{%s} keeps zero parts (RFC 7208 §7.3)", b)
	}
	if i < len(b) && (b[i] == 'r' || b[i] == 'R') {
		i++
	}
	for ; i < len(b); i++ {
		if strings.IndexByte(".-+,/_=", b[i]) < 0 {
			return fmt.Errorf("invalid macro %%{%s}", b)
		}
	}
	return nil
}
