package auth

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Alignment values (RFC 7489 §3.1).
const (
	alignStrict  = "strict"  // the same domain
	alignRelaxed = "relaxed" // the same organisational domain only
	alignNone    = "none"
)

// orgDomain returns the organisational domain (RFC 7489 §3.2): the public
// suffix plus one label, from the compiled-in Public Suffix List. A name
// that is itself a public suffix, or that the list cannot place, is its
// own organisational domain.
func orgDomain(domain string) string {
	domain = normDomain(domain)
	if domain == "" {
		return ""
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// alignment compares an authenticated domain with the From domain.
func alignment(domain, from string) string {
	domain, from = normDomain(domain), normDomain(from)
	switch {
	case domain == "" || from == "":
		return alignNone
	case domain == from:
		return alignStrict
	case orgDomain(domain) == orgDomain(from):
		return alignRelaxed
	}
	return alignNone
}

// aligned reports whether the alignment satisfies a DMARC mode ("s" or
// "r", RFC 7489 §6.3 adkim/aspf).
func aligned(a, mode string) bool {
	if strings.EqualFold(mode, "s") {
		return a == alignStrict
	}
	return a != alignNone
}
