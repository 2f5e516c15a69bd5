package dns

import (
	"fmt"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
	"golang.org/x/net/idna"
)

// CanonName returns name as lookups use it: A-labels (RFC 5891), lower
// case, no final dot. The error says why a name cannot be looked up.
func CanonName(name string) (string, error) { return canonName(name) }

// canonName checks a name that may come from a message and returns the form
// used for queries and cache keys: ASCII (IDNA A-labels, RFC 5891), lower
// case, without the final dot; the IDNA label separators (idnDots) count
// as dots. Only letters, digits, '-', '_' (service
// labels such as _dmarc) and '/' (RFC 2317 classless reverse zones) are
// accepted: anything else cannot be a host name and is not sent.
func canonName(name string) (string, error) {
	if len(name) > 1024 { // not worth looking at, nor quoting in an error
		return "", fmt.Errorf("invalid name: %d bytes long: %w", len(name), ErrPermanent)
	}
	if !isASCII(name) {
		name = idnDots.Replace(name)
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", fmt.Errorf("empty name: %w", ErrPermanent)
	}
	if isCanon(name) {
		return name, nil
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if !isASCII(l) {
			a, err := idna.Lookup.ToASCII(l)
			if err != nil {
				return "", fmt.Errorf("invalid name %q: %w: %w", name, ErrPermanent, err)
			}
			l = a
		}
		if l == "" || len(l) > 63 { // RFC 1035 §2.3.4
			return "", fmt.Errorf("invalid name %q: bad label length: %w", name, ErrPermanent)
		}
		l = strings.ToLower(l)
		for j := 0; j < len(l); j++ {
			if !hostByte(l[j]) {
				return "", fmt.Errorf("invalid name %q: %w", name, ErrPermanent)
			}
		}
		labels[i] = l
	}
	name = strings.Join(labels, ".")
	if len(name) > 253 { // 255 octets on the wire, RFC 1035 §2.3.4
		return "", fmt.Errorf("invalid name: longer than 253 characters: %w", ErrPermanent)
	}
	return name, nil
}

// idnDots maps the label separators of IDNA to '.': U+3002 ideographic
// full stop, U+FF0E fullwidth full stop and U+FF61 halfwidth ideographic
// full stop (RFC 3490 §3.1, UTS #46 §4 step 1).
var idnDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// isCanon is the allocation-free answer for names already in canonical
// form, which is most of them once they went through here.
func isCanon(name string) bool {
	if len(name) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case hostByte(c):
			if label++; label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0
}

func hostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '/'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// reverseName returns the in-addr.arpa or ip6.arpa name of ip (RFC 1035
// §3.5, RFC 3596 §2.5). IPv4-mapped IPv6 addresses are looked up as IPv4.
func reverseName(ip netip.Addr) (string, error) {
	if !ip.IsValid() {
		return "", fmt.Errorf("invalid IP address: %w", ErrPermanent)
	}
	arpa, err := mdns.ReverseAddr(ip.Unmap().WithZone("").String())
	if err != nil {
		return "", fmt.Errorf("reverse name of %s: %w: %w", ip, ErrPermanent, err)
	}
	return strings.TrimSuffix(arpa, "."), nil
}

// canonTarget turns a name found in record data into the form handed to
// callers: lower case without the final dot; the root stays ".", which is
// what a null MX (RFC 7505) points to.
func canonTarget(s string) string {
	if s == "." || s == "" {
		return "."
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// unescapeTXT undoes the presentation escapes (\" \\ \DDD) miekg/dns puts
// in TXT strings, so callers get the bytes that were published.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v <= 255 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// joinTXT makes one string of a TXT record's character-strings, as SPF
// (RFC 7208 §3.3) and DKIM (RFC 6376 §3.6.2.2) read them.
func joinTXT(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(unescapeTXT(p))
	}
	return b.String()
}
