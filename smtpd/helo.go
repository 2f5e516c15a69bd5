package smtpd

import (
	"github.com/mailtrace/mailtrace/internal/mailproviders"
	"github.com/mailtrace/mailtrace/internal/netrange"

	"golang.org/x/net/publicsuffix"

	"errors"
	"net/netip"
	"strings"
)

// parseAddressLiteral parses address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
// General-address-literal ) "]" (RFC 5321 §4.1.3). The address is invalid for a general literal, which is
// well-formed but names no IP.
func parseAddressLiteral(s string) (netip.Addr, bool) {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return netip.Addr{}, false
	}
	in := s[1 : len(s)-1]
	tag, content, tagged := strings.Cut(in, ":")
	switch {
	case !tagged:
		a, err := netip.ParseAddr(in)
		return a, err == nil && a.Is4()
	case strings.EqualFold(tag, "IPv6"):
		a, err := netip.ParseAddr(content)
		return a, err == nil && a.Is6() && a.Zone() == ""
	default:
		// General-address-literal = Standardized-tag ":" 1*dcontent, dcontent = %d33-90 / %d94-126.
		if !validKeyword(tag) || content == "" {
			return netip.Addr{}, false
		}
		for i := 0; i < len(content); i++ {
			if c := content[i]; c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
				return netip.Addr{}, false
			}
		}
		return netip.Addr{}, true
	}
}

// heloFinding is one anomaly found in a HELO/EHLO argument.
type heloFinding struct {
	Code, Detail string
}

// checkHelo classifies a HELO/EHLO argument against RFC 5321 §4.1.1.1 (Domain / address-literal) and
// against who the client is and who we are. client and local are the connection's two addresses;
// ourName is Options.Hostname. Nothing here refuses the client: a sink records and accepts.
func checkHelo(arg string, client, local netip.Addr, ourName, clientName string) []heloFinding {
	var fs []heloFinding
	add := func(code, detail string) { fs = append(fs, heloFinding{code, detail}) }
	client, local = client.Unmap(), local.Unmap()
	name := arg
	if strings.ContainsAny(arg, " \t") {
		add(AnomalyHeloSyntax, "more than one word")
		name, _, _ = strings.Cut(arg, " ")
	}
	if strings.HasPrefix(name, "[") {
		a, ok := parseAddressLiteral(name)
		switch {
		case !ok:
			add(AnomalyHeloSyntax, "malformed address literal")
		case !a.IsValid():
			add(AnomalyHeloLiteralMismatch, "general address literal names no IP")
		case a.Unmap() == client:
		case a.Unmap() == local:
			add(AnomalyHeloOurIP, "address literal is this server's address")
		case netrange.BehindNAT(a.Unmap()):
			// A client behind NAT (a container, a home router) knows only its own address.
			add(AnomalyHeloLiteralPrivate, "literal "+a.String()+", a private address, but client is "+client.String())
		default:
			add(AnomalyHeloLiteralMismatch, "literal "+a.String()+" but client is "+client.String())
		}
		return fs
	}
	if a, err := parseIP(name); err == nil {
		add(AnomalyHeloBareIP, "IP address without [] (RFC 5321 §4.1.3)")
		if a.Unmap() == local && a.Unmap() != client {
			add(AnomalyHeloOurIP, "claims this server's address")
		}
		return fs
	}
	if !validDomain(name) || !isASCII(name) {
		add(AnomalyHeloSyntax, "not a domain name")
		return fs
	}
	trimmed := strings.TrimSuffix(name, ".")
	if !strings.Contains(trimmed, ".") {
		add(AnomalyHeloNotFQDN, "single-label name")
	}
	// A client on this host (loopback, or our own address) that gives our
	// name tells the truth: a local program greets with the host's name.
	sameHost := client.IsLoopback() || client == local
	if ourName != "" && !sameHost && strings.EqualFold(trimmed, strings.TrimSuffix(ourName, ".")) {
		add(AnomalyHeloOurName, "claims to be this server")
	}
	if fam := providerFamily(trimmed); fam != "" && !fromFamily(fam, client, clientName) {
		where := "a client whose name (" + clientName + ") is not " + fam + "'s"
		if clientName == "" {
			where = "a local or private address, " + client.String()
		}
		add(AnomalyHeloProvider, "claims "+fam+" from "+where)
	}
	return fs
}

// bigProviders are the families (mailproviders.Family) whose names
// spammers borrow in a HELO.
var bigProviders = map[string]bool{"google": true, "microsoft": true, "yahoo": true, "apple": true, "amazon-ses": true}

// providerFamily is the big provider a name belongs to, or "".
func providerFamily(name string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(strings.TrimSuffix(name, ".")))
	if err != nil {
		return ""
	}
	if fam := mailproviders.Family(org); bigProviders[fam] {
		return fam
	}
	return ""
}

// fromFamily reports whether the client may be of the provider family: its
// rDNS name is, or, without one, its address is public (a provider's server
// never connects from a loopback or private address; a public one without a
// name yet is given the benefit of the doubt).
func fromFamily(fam string, client netip.Addr, clientName string) bool {
	if clientName != "" {
		return providerFamily(clientName) == fam
	}
	return !(client.IsLoopback() || client.IsPrivate() || client.IsLinkLocalUnicast() || client.IsUnspecified())
}

// errNotIP is parseIP's answer for a name that cannot be an address.
var errNotIP = errors.New("not an IP address")

// parseIP is netip.ParseAddr, which allocates its error, answering at once for a name that cannot
// be an address: IPv4 has only digits and dots, IPv6 always a colon. Most HELO names are domains.
func parseIP(s string) (netip.Addr, error) {
	if strings.IndexByte(s, ':') < 0 {
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) && s[i] != '.' {
				return netip.Addr{}, errNotIP
			}
		}
	}
	return netip.ParseAddr(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
