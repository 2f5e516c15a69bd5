package auth

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/mailtrace/mailtrace/dns"
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
	if strings.Count(domain, ".") < 2 {
		// One label, or two: either the list's suffix is the last label
		// and the domain is that plus one, or the domain is itself a
		// suffix (or has an empty label) and its own organisational
		// domain. Most From domains: no lookup.
		return domain
	}
	h := maphash.String(orgSeed, domain)
	a, b := &orgCache[h&(orgCacheSlots-1)], &orgCache[(h>>32)&(orgCacheSlots-1)]
	for _, slot := range [2]*atomic.Pointer[orgEntry]{a, b} {
		if e := slot.Load(); e != nil && e.domain == domain {
			return e.org
		}
	}
	domain = strings.Clone(domain) // often a piece of a whole header
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		org = domain
	}
	if a.Load() != nil && (b.Load() == nil || h&(1<<31) != 0) {
		a = b // two places to choose from: few domains ever push each other out
	}
	a.Store(&orgEntry{domain, org})
	return org
}

// orgCache remembers organisational domains across messages (the same
// signing and sending domains recur, and the list lookup allocates): a
// fixed table indexed by a hash of the domain, with two slots a domain may
// land in (the newest domain stored in a slot keeps it), so memory stays
// bounded and lookups take no lock.
var (
	orgCache [orgCacheSlots]atomic.Pointer[orgEntry]
	orgSeed  = maphash.MakeSeed()
)

const orgCacheSlots = 1 << 12 // a power of two

type orgEntry struct{ domain, org string }

// alignment compares an authenticated domain with the From domain, both
// as normDomain leaves them; the caller has the From domain's
// organisational domain (fromOrg): a message's DKIM signatures, SPF and
// DMARC all need it.
func alignment(domain, from, fromOrg string) string {
	switch {
	case domain == "" || from == "":
		return alignNone
	case domain == from:
		return alignStrict
	case !isASCII(domain) || !isASCII(from):
		return idnAlignment(domain, from)
	case orgDomain(domain) == fromOrg:
		return alignRelaxed
	}
	return alignNone
}

// idnAlignment is alignment when a domain has U-labels: a U-label and its
// A-label are one domain (RFC 5890 §2.3.2.1), and RFC 8616 has DMARC
// compare them so; an EAI From domain (bücher.example) and the d= or
// MAIL FROM domain a signer writes in A-labels (xn--bcher-kva.example)
// are strictly aligned. Both are compared in A-labels.
func idnAlignment(domain, from string) string {
	a, b := aLabels(domain), aLabels(from)
	switch {
	case a == b:
		return alignStrict
	case orgDomain(a) == orgDomain(b):
		return alignRelaxed
	}
	return alignNone
}

// aLabels is d in A-labels, as DNS names it, or d as it is when it is no
// valid name.
func aLabels(d string) string {
	if a, err := dns.CanonName(d); err == nil {
		return a
	}
	return d
}

// isASCII reports a string of ASCII bytes only: most domains, which
// alignment compares as they are.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// aligned reports whether the alignment satisfies a DMARC mode ("s" or
// "r", RFC 7489 §6.3 adkim/aspf).
func aligned(a, mode string) bool {
	if strings.EqualFold(mode, "s") {
		return a == alignStrict
	}
	return a != alignNone
}
