package analyze

import (
	"github.com/mailtrace/mailtrace/internal/mailproviders"
	"github.com/mailtrace/mailtrace/internal/netrange"

	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// Names and addresses as the rules compare them: host names reduced to
// their organisational domain (public suffix list + one label), provider
// naming families, and the IP ranges that never cross the public internet.

// cleanHost lower-cases a host name as written in a trace field and drops
// what MTAs wrap around it: brackets, a final dot, an "IPv6:" tag.
func cleanHost(s string) string {
	if isCleanHost(s) {
		return s
	}
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, "[]()<>")
	s = strings.TrimPrefix(s, "ipv6:")
	return strings.TrimSuffix(s, ".")
}

// isCleanHost reports a name cleanHost would return unchanged: lower case
// letters, digits, '-', '.', '_' and ':' only, no final dot. Most names
// are; the check saves an allocation on every comparison.
func isCleanHost(s string) bool {
	if s == "" || s[len(s)-1] == '.' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		if !cleanHostByte[s[i]] {
			return false
		}
	}
	return !strings.HasPrefix(s, "ipv6:")
}

// cleanHostByte marks the bytes of a clean host name: one table lookup
// per byte, since every host comparison starts here.
var cleanHostByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyz0123456789-._:") {
		t[c] = true
	}
	return t
}()

// hostAddr returns the address when a host field is an IP literal.
func hostAddr(s string) (netip.Addr, bool) {
	s = cleanHost(s)
	if s == "" || !strings.Contains(s, ":") && !isDigit(s[len(s)-1]) {
		return netip.Addr{}, false // a name: IPv4 ends in a digit, IPv6 has colons
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// isFQDN reports whether name is a DNS name under a real public suffix
// (ICANN section of the list), the kind a public MTA is named with.
// "localhost", bare host names and "corp.local" are not.
func isFQDN(name string) bool { return facts(name).fqdn }

// orgDomain returns the organisational domain of a host name: the public
// suffix plus one label (mail.example.co.uk -> example.co.uk). Names that
// have none (IP literals, "localhost", a bare suffix) come back cleaned.
func orgDomain(name string) string { return facts(name).org }

// nameFacts is what the rules need to know about one host name as
// written, computed once per distinct name.
type nameFacts struct {
	name   string     // as written
	clean  string     // cleanHost
	org    string     // organisational domain, or the clean name itself
	family string     // provider family, or org
	fqdn   bool       // under an ICANN public suffix, and not the suffix itself
	ip     bool       // an address literal (hostAddr)
	addr   netip.Addr // that address, unmapped
	// What the tables say of the family, looked up once per name:
	// providerRanges, knownProviders, gatewayFamilies and espFamilies.
	ranges                 []netip.Prefix
	provider, gateway, esp bool
	placeholder            bool // isPlaceholder
	msInternal             bool // msInternalHost
	// cleanStable: cleaning clean again changes nothing (cleanHost), as
	// for nearly every name; see placeholderClean.
	cleanStable bool
	// skel is the skeleton of org's first label (splitOrgDomain), which
	// lookalike compares with its targets' for every From domain and
	// recipient domain.
	skel string
	// What the Google rules ask of the name as written, which they ask
	// of every hop: googleHostNumber (gHost, with its kind and number),
	// isGoogleStamper and isGmailMX.
	gKind                    byte
	gNum                     uint32
	gHost, gStamper, gmailMX bool
	// idn: a public name (fqdn) whose organisational domain holds an
	// internationalised label, "xn--" (RFC 5890 §2.3.2.1) anywhere in org:
	// what lookalike asks of every hop's names (idnName), read once.
	idn bool
	// fromName: a name a from-clause is matched by (fromFacts): a clean
	// name, not an address literal, and not "unknown".
	fromName bool
}

// noFacts are the facts of no name. Facts are shared and never changed.
var noFacts nameFacts

// facts looks a name up in the cache, or works it out. The facts are the
// cache's: shared, and never to be changed.
func facts(name string) *nameFacts {
	if name == "" {
		return &noFacts
	}
	h := nameHash(name)
	a, b := &nameCache[h&(nameCacheSlots-1)], &nameCache[(h>>32)&(nameCacheSlots-1)]
	for _, slot := range [2]*atomic.Pointer[cachedFacts]{a, b} {
		if e := slot.Load(); e != nil && e.is(name) {
			return &e.facts
		}
	}
	// The name is often a piece of a whole header: a copy keeps the cache
	// from holding the header alive.
	name = strings.Clone(name)
	f := computeFacts(name)
	if a.Load() != nil && (b.Load() == nil || h&(1<<31) != 0) {
		a = b // two places to choose from: few names ever push each other out
	}
	e := &cachedFacts{facts: f}
	if len(name) <= len(e.key) {
		e.n = uint8(copy(e.key[:], name))
	}
	a.Store(e)
	return &e.facts
}

func computeFacts(name string) nameFacts {
	clean := cleanHost(name)
	f := nameFacts{name: name, clean: clean, org: clean, family: clean, cleanStable: cleanHost(clean) == clean}
	f.gKind, f.gNum, f.gHost = googleHostNumber(name)
	f.gStamper, f.gmailMX = isGoogleStamper(name), isGmailMX(name)
	if clean == "" {
		return f.withFamily()
	}
	if a, isIP := hostAddr(clean); isIP {
		f.ip, f.addr = true, a
		// A bare IPv6 address as the by-host is how Google's internal hops
		// are written ("by 2002:a05:6402:..."); a bracketed one is a literal.
		if a.Is6() && !strings.HasPrefix(strings.TrimSpace(name), "[") {
			f.family = "google"
		}
		return f.withFamily()
	}
	if e, err := publicsuffix.EffectiveTLDPlusOne(clean); err == nil {
		f.org = e
	}
	suffix, icann := publicsuffix.PublicSuffix(clean)
	f.fqdn = icann && suffix != clean && strings.Contains(clean, ".")
	f.family = f.org
	if fam := mailproviders.Family(f.org); fam != "" {
		f.family = fam
	}
	return f.withFamily()
}

// withFamily fills in what the tables say of f's family, and whether
// the name is a placeholder: isPlaceholder(f.name), from the facts at
// hand (its clean name and organisational domain).
func (f nameFacts) withFamily() nameFacts {
	f.ranges = providerRanges[f.family]
	f.provider, f.gateway, f.esp = knownProviders[f.family], gatewayFamilies[f.family], espFamilies[f.family]
	label, _ := splitOrgDomain(f.org)
	f.skel = skeleton(label)
	f.placeholder = isExampleClean(f.clean) || label == "example"
	f.msInternal = f.family == "microsoft" && msInternalHost(f.clean)
	f.idn = f.fqdn && strings.Contains(f.org, "xn--")
	f.fromName = f.clean != "" && f.clean != "unknown" && !f.ip
	return f
}

// placeholderClean is isPlaceholder(f.clean), which the chain rules ask
// of every name of a link. When cleaning the clean name changes nothing,
// its facts are f's own (computed from the same clean name) and the answer
// is f.placeholder: no trip to the name cache.
func (f *nameFacts) placeholderClean() bool {
	if f.cleanStable {
		return f.placeholder
	}
	return isPlaceholder(f.clean)
}

// msInternalHost reports a server inside Microsoft 365 by its name: the
// mailbox and transport servers (*.prod.outlook.com, exchangelabs), the
// front ends (*.outlook.office365.com) and Exchange Online Protection's
// inbound side. Its outbound side (*.outbound.protection.outlook.com)
// greets the internet under other names, so it is not one of them.
func msInternalHost(clean string) bool {
	if strings.Contains(clean, "outbound.protection.outlook.com") {
		return false
	}
	for _, suffix := range msInternalSuffixes {
		if strings.HasSuffix(clean, suffix) {
			return true
		}
	}
	return false
}

var msInternalSuffixes = []string{".prod.outlook.com", ".prod.exchangelabs.com", ".outlook.office365.com",
	".mail.protection.outlook.com", ".prod.protection.outlook.com"}

// nameCache remembers name facts across messages: the same few hundred
// relay names recur in every mailbox. It is a fixed table indexed by a
// hash of the name, with two slots a name may land in (the newest name
// stored in a slot keeps it): memory stays bounded whatever the input, and
// a lookup takes no lock.
var (
	nameCache [nameCacheSlots]atomic.Pointer[cachedFacts]
	nameSeed  = rand.Uint64() | 1
)

// nameHash hashes a name for nameCache, seeded per process (nameSeed):
// its eight-byte words are mixed in one at a time, two a turn, the last
// read where it ends (overlapping the one before). Every hop looks up two or three
// names, and hash/maphash spends as much again getting to its hash as in
// it. A poor hash only costs the cache: a lookup compares the name.
func nameHash(s string) uint64 {
	const k1, k2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	h := nameSeed ^ uint64(len(s))*k1
	if len(s) < 8 {
		var w uint64
		for i := 0; i < len(s); i++ {
			w = w<<8 | uint64(s[i])
		}
		h = (h ^ w) * k2
	} else {
		w := s
		for ; len(w) > 16; w = w[16:] {
			h = (h ^ binary.LittleEndian.Uint64([]byte(w))) * k2
			h = (h ^ binary.LittleEndian.Uint64([]byte(w[8:]))) * k2
		}
		if len(w) > 8 {
			h = (h ^ binary.LittleEndian.Uint64([]byte(w))) * k2
		}
		h = (h ^ binary.LittleEndian.Uint64([]byte(s[len(s)-8:]))) * k2
	}
	h ^= h >> 29
	h *= k1
	return h ^ h>>32
}

const nameCacheSlots = 1 << 14 // a power of two

// cachedFacts is one entry of nameCache. A short name's bytes are kept
// at the head of the entry, where a lookup compares them: the name's own
// bytes (facts.name) lie elsewhere in memory, which after reading a
// message is seldom in cache, and every hop of every message looks names
// up.
type cachedFacts struct {
	n     uint8    // the name's length when key holds it, else 0
	key   [55]byte // the name, when it is that short (most are)
	facts nameFacts
}

// is reports whether the entry holds the facts of name (not "").
func (e *cachedFacts) is(name string) bool {
	if e.n == 0 {
		return e.facts.name == name
	}
	return int(e.n) == len(name) && string(e.key[:e.n]) == name
}

// hopNames are the facts of one hop's names.
type hopNames struct{ by, rdns, helo *nameFacts }

// factsOrPrev is facts, answered from prev when name is prev's name: no
// trip to the shared cache.
func factsOrPrev(name string, prev *nameFacts) *nameFacts {
	if name != "" && name == prev.name {
		return prev
	}
	return facts(name)
}

// factsOrPrev2 is factsOrPrev with two names to answer from.
func factsOrPrev2(name string, a, b *nameFacts) *nameFacts {
	if name != "" && name == a.name {
		return a
	}
	return factsOrPrev(name, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isLetterASCII reports an ASCII letter: c|0x20 folds only A-Z onto a-z.
func isLetterASCII(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isAlnumASCII(c byte) bool { return isLetterASCII(c) || isDigit(c) }

// gatewayFamilies are filtering services that receive a domain's mail
// before handing it to the domain's own servers: a hop from them into the
// receiving organisation is the receiving side's own relay. The others
// are named by the domain the service's hosts live under, which serves
// nothing else: Cisco Secure Email (IronPort) cloud, Barracuda, Forcepoint,
// Hornetsecurity, SpamExperts and Trellix (FireEye) ETP.
var gatewayFamilies = map[string]bool{"proofpoint": true, "mimecast": true, "messagelabs": true,
	"iphmx.com": true, "barracudanetworks.com": true, "mailcontrol.com": true, "hornetsecurity.com": true,
	"antispamcloud.com": true, "fireeyecloud.com": true}

// family returns the provider family of a host name, or its
// organisational domain when no family is known.
func family(name string) string { return facts(name).family }

// knownProviders are the families mailproviders knows.
var knownProviders = mailproviders.Families()

// reservedRanges are the ranges that never cross the public internet
// (RFC 6890 special-purpose registries). The name says why in findings.
var reservedRanges = []reservedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (RFC 1122)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (RFC 6890)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (RFC 1112)"},
	{netip.MustParsePrefix("::/128"), "unspecified (RFC 4291)"},
	{netip.MustParsePrefix("::1/128"), "loopback (RFC 4291)"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped (RFC 4291)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking (RFC 5180)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (RFC 3849)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (RFC 4291)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast (RFC 4291)"},
}

// reservedWhy says why an address cannot be on the public internet, or ""
// for a public address. A v4-mapped address is judged as written, before
// unmapping: a hop that crossed the internet records the plain IPv4.
func reservedWhy(ip string) string {
	if ip == "" {
		return "" // most hops: no address; skip the parse error's allocation
	}
	a, err := netip.ParseAddr(strings.Trim(ip, "[]"))
	if err != nil {
		return ""
	}
	return reservedWhyAddr(a)
}

// reservedWhyAddr is reservedWhy of a parsed address.
func reservedWhyAddr(a netip.Addr) string {
	a = a.WithZone("")
	ranges := reservedRanges6
	if a.Is4() {
		// Most addresses: no IPv4 range starts with that octet; the
		// others are tried against the one to three ranges that do.
		ranges = reservedByOctet[a.As4()[0]]
	} else if a.Is6() && globalOutside2001(a) {
		return "" // most IPv6 clients: no IPv6 range lies there
	}
	for _, r := range ranges {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	return ""
}

// reservedRange is one of reservedRanges.
type reservedRange = struct {
	prefix netip.Prefix
	why    string
}

// reservedByOctet are the IPv4 ranges of reservedRanges starting with
// each first octet, in their order there; reservedRanges6 are its IPv6
// ranges. An address is only ever in a range of its own family.
var reservedByOctet, reservedRanges6 = func() (t [256][]reservedRange, v6 []reservedRange) {
	for _, r := range reservedRanges {
		if !r.prefix.Addr().Is4() {
			v6 = append(v6, r)
			continue
		}
		first, n := int(r.prefix.Addr().As4()[0]), 1
		if r.prefix.Bits() < 8 {
			n = 1 << (8 - r.prefix.Bits())
		}
		for o := first; o < first+n; o++ {
			t[o] = append(t[o], r)
		}
	}
	return t, v6
}()

// globalOutside2001 reports an IPv6 address in 2000::/3 (global unicast)
// outside 2001::/16: of the IPv6 ranges in reservedRanges, only
// 2001:2::/48 and 2001:db8::/32 lie in 2000::/3 (TestReservedWhy6).
func globalOutside2001(a netip.Addr) bool {
	b := a.As16()
	return b[0]&0xe0 == 0x20 && !(b[0] == 0x20 && b[1] == 0x01)
}

// isInternalIP reports the addresses an organisation uses inside its own
// network: loopback, RFC 1918, unique local, link-local, CGNAT.
func isInternalIP(ip string) bool {
	if ip == "" {
		return false
	}
	a, err := netip.ParseAddr(strings.Trim(ip, "[]"))
	if err != nil {
		return false
	}
	return isInternalAddr(a)
}

// isInternalAddr is isInternalIP of a parsed address.
func isInternalAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || netrange.BehindNAT(a)
}

// isExampleDomain reports the names reserved for examples (RFC 2606,
// RFC 6761): example.com/net/org and the .example, .test, .invalid TLDs.
func isExampleDomain(name string) bool { return isExampleClean(cleanHost(name)) }

// isExampleClean is isExampleDomain of a name cleanHost returned.
func isExampleClean(name string) bool {
	for _, s := range []string{"example.com", "example.net", "example.org", "example", "test", "invalid", "localhost"} {
		if name == s || strings.HasSuffix(name, "."+s) {
			return true
		}
	}
	return false
}

// sameHost compares two host names as written, ignoring case and a final
// dot: cleanHost(a) == cleanHost(b), not empty. Cleaning a name with an
// upper-case letter allocates, so ASCII names are compared in place.
func sameHost(a, b string) bool {
	if sa, ok := asciiHostSpan(a); ok {
		if sb, ok := asciiHostSpan(b); ok {
			return sa != "" && strings.EqualFold(sa, sb)
		}
	}
	a, b = cleanHost(a), cleanHost(b)
	return a != "" && a == b
}

// asciiHostSpan returns the part of an ASCII name that cleanHost keeps,
// case as written: on ASCII, lower-casing changes no byte the trims look
// at, so it can come last.
func asciiHostSpan(s string) (string, bool) {
	if !isASCII(s) {
		return "", false
	}
	s = strings.Trim(strings.TrimSpace(s), "[]()<>")
	if len(s) >= len("ipv6:") && strings.EqualFold(s[:len("ipv6:")], "ipv6:") {
		s = s[len("ipv6:"):]
	}
	return strings.TrimSuffix(s, "."), true
}

// cleanLabel is firstLabel(f.clean), which the chain rules ask of the
// names of a link: when cleaning the clean name changes nothing
// (cleanStable), it is cut at its first dot as it is.
func (f *nameFacts) cleanLabel() string {
	if !f.cleanStable {
		return firstLabel(f.clean)
	}
	if i := strings.IndexByte(f.clean, '.'); i >= 0 {
		return f.clean[:i]
	}
	return f.clean
}

// firstLabel returns the leftmost label of a name ("mail" for mail.example.com).
func firstLabel(name string) string {
	name = cleanHost(name)
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}
