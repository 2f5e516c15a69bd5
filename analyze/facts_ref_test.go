package analyze

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/internal/gentext"
	"github.com/mailtrace/mailtrace/received"
)

// The rules read each hop's facts (facts.go) instead of asking the string
// helpers again and again, and a few helpers got quicker paths. These
// tests hold the quick versions to the plain ones: every hop of the corpus
// and of the rule testdata, and generated values.

// The helpers hopFacts replaced, kept as its reference.

func isLMTP(h *received.Hop) bool { return strings.HasPrefix(strings.ToUpper(h.With), "LMTP") }

func isAuthenticated(h *received.Hop) bool {
	return !isLMTP(h) && (h.Auth != "" || withAuthenticated(strings.ToUpper(h.With)))
}

func isDocumentationIP(ip string) bool { return strings.HasPrefix(reservedWhy(ip), "documentation") }

func inProviderRange(provider, ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && addrInPrefixes(a, providerRanges[provider])
}

// containsAny reports any of words in s: with-clause questions asked
// the upper-cased clause, as hopFacts.with did.
func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// refWithKinds is withKindsOf as it was: substrings of the clause
// upper-cased.
func refWithKinds(with string) withKinds {
	w := strings.ToUpper(with)
	k := withKinds{read: true}
	k.notSMTP = containsAny(w, "MAPI", "HTTP", "LOCAL", "LMTP")
	k.retrieval = containsAny(w, "IMAP", "POP")
	k.localTransport = k.notSMTP || k.retrieval || containsAny(w, "UUCP", "PIPE", "NNTP", "FILE", "DAV")
	return k
}

// TestWithKinds holds the one-pass scan to the substring searches, over
// clauses built of the words, their pieces and neighbours, in any case and
// with letters that upper-case to ASCII.
func TestWithKinds(t *testing.T) {
	pieces := []string{"MAPI", "HTTP", "LOCAL", "LMTP", "IMAP", "POP", "UUCP", "PIPE", "NNTP", "FILE", "DAV",
		"map", "htt", "loca", "lmt", "ima", "po", "uuc", "pip", "nnt", "fil", "da", "ESMTPS", "esmtpa", "Microsoft SMTP Server",
		"ı", "ſ", "é", " ", "-", "P", "L", "M", "I", "D", "A", "V", "\xff", "ﬁ"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		var b strings.Builder
		for range r.IntN(5) {
			p := pieces[r.IntN(len(pieces))]
			if r.IntN(2) == 0 {
				p = strings.ToLower(p)
			}
			b.WriteString(p)
		}
		w := b.String()
		if got, want := withKindsOf(w), refWithKinds(w); got != want {
			t.Fatalf("withKindsOf(%q) = %+v, want %+v", w, got, want)
		}
	}
}

// checkHopFacts compares the facts of every hop with the helpers.
func checkHopFacts(t *testing.T, name string, hops []received.Hop) {
	t.Helper()
	hf := factsOf(hops, nil)
	for i := range hf {
		h, f := &hops[i], &hf[i]
		fail := func(what string, got, want any) {
			t.Helper()
			t.Fatalf("%s hop %d (%+v): %s = %v, want %v", name, h.Index, h.From, what, got, want)
		}
		if !reflect.DeepEqual(f.by, facts(h.By.Host)) {
			fail("by", *f.by, *facts(h.By.Host))
		}
		if !reflect.DeepEqual(f.rdns, facts(h.From.RDNS)) || !reflect.DeepEqual(f.helo, facts(h.From.HELO)) {
			fail("rdns/helo", [2]nameFacts{*f.rdns, *f.helo}, [2]nameFacts{*facts(h.From.RDNS), *facts(h.From.HELO)})
		}
		if got, want := f.reserved, reservedWhy(h.From.IP); got != want {
			fail("reserved", got, want)
		}
		if got, want := f.internal, isInternalIP(h.From.IP); got != want {
			fail("internal", got, want)
		}
		if got, want := f.documentation(), isDocumentationIP(h.From.IP); got != want {
			fail("documentation", got, want)
		}
		for p := range providerRanges {
			if got, want := f.inRange(p), inProviderRange(p, h.From.IP); got != want {
				fail("inRange "+p, got, want)
			}
		}
		for _, n := range [3]*nameFacts{f.by, f.rdns, f.helo} {
			kind, num, ok := googleHostNumber(n.name)
			if n.gHost != ok || ok && (n.gKind != kind || n.gNum != num) ||
				n.gStamper != isGoogleStamper(n.name) || n.gmailMX != isGmailMX(n.name) {
				fail("Google facts of "+n.name, *n, n.name)
			}
			if n.provider != knownProviders[n.family] || n.gateway != gatewayFamilies[n.family] || n.esp != espFamilies[n.family] ||
				!reflect.DeepEqual(n.ranges, providerRanges[n.family]) {
				fail("family tables of "+n.name, *n, n.family)
			}
		}
		if got, want := f.authed, isAuthenticated(h); got != want {
			fail("authed", got, want)
		}
		if got, want := f.lmtp, isLMTP(h); got != want {
			fail("lmtp", got, want)
		}
		w := strings.ToUpper(h.With)
		k := f.with(h)
		if got, want := k.notSMTP, containsAny(w, "MAPI", "HTTP", "LOCAL", "LMTP"); got != want {
			fail("notSMTP", got, want)
		}
		if got, want := k.retrieval, strings.Contains(w, "IMAP") || strings.Contains(w, "POP"); got != want {
			fail("retrieval", got, want)
		}
		local := containsAny(w, "LOCAL", "LMTP", "HTTP", "MAPI", "UUCP", "PIPE", "NNTP", "IMAP", "POP", "FILE", "DAV")
		if k.localTransport != local {
			fail("localTransport", k.localTransport, local)
		}
		ip, err := netip.ParseAddr(strings.Trim(h.From.IP, "[]"))
		if err != nil {
			ip = netip.Addr{}
		}
		if f.ip != ip {
			fail("ip", f.ip, ip)
		}
		if want := ip.IsValid() && !strings.ContainsAny(h.From.IP, "[]"); f.rangeIP != want {
			fail("rangeIP", f.rangeIP, want)
		}
		byIP := h.By.IP
		if a, ok := hostAddr(h.By.Host); ok && byIP == "" {
			byIP = a.String()
		}
		if want, err := netip.ParseAddr(strings.Trim(byIP, "[]")); err == nil && f.byAddr(h) != want || err != nil && f.byAddr(h).IsValid() {
			fail("byIP", f.byAddr(h), byIP)
		}
	}
}

func TestHopFactsCorpus(t *testing.T) {
	hops := 0
	for name, chain := range corpusAndTestdataHops(t) {
		hops += len(chain)
		checkHopFacts(t, name, chain)
	}
	if hops == 0 {
		t.Fatal("no hops")
	}
}

// corpusAndTestdataHops returns the chain of every message of the corpus
// (when it is there) and of ../testdata, by file name.
func corpusAndTestdataHops(t *testing.T) map[string][]received.Hop {
	var raws []corpusMessage
	if _, err := os.Stat(corpusDir); err == nil {
		raws = loadCorpus(t)
	}
	_ = ReadSources([]string{"../testdata"}, nil, func(s Source) error {
		if s.Err == nil {
			raws = append(raws, corpusMessage{name: s.File, raw: s.Raw})
		}
		return nil
	})
	chains := map[string][]received.Hop{}
	for i, m := range raws {
		if msg, err := Split(m.raw); err == nil {
			chains[fmt.Sprint(m.name, " #", i)] = chainOf(msg)
		}
	}
	return chains
}

// TestHopFactsGenerated builds hops from pieces of every kind: addresses
// in and out of the reserved and provider ranges, bracketed and zoned,
// with-clauses in any case and with non-ASCII letters that upper-case to
// ASCII.
func TestHopFactsGenerated(t *testing.T) {
	ips := []string{"", "10.1.2.3", "192.0.2.7", "8.8.8.8", "209.85.128.5", "[209.85.128.5]", "40.92.1.1", "::1",
		"fe80::1%eth0", "2001:db8::1", "2607:f8b0::5", "::ffff:10.0.0.1", "100.64.1.1", "127.0.0.1", "240.1.1.1",
		"junk", "[10.0.0.1]", "0.1.2.3", "224.0.0.1", "198.18.0.1", "172.16.5.5", "172.32.5.5", "fe80::1%e[th0",
		"fe80::1%eth0]", "[fe80::1%eth0", "fe80::1%e]x", "2607:f8b0::5%x[y", "[2607:f8b0::5]", "10.1.2.3]", "fe80::1%[]"}
	withs := []string{"", "ESMTP", "esmtpsa", "Microsoft SMTP Server", "LMTP", "lmtpa", "mapi", "HTTP", "local",
		"ESMTPA", "SMTPSA", "IMAP", "pop3", "uucp", "pipe", "nntp", "file", "webDAV", "smtpſa", "ımap",
		"a very long with clause that is longer than thirty-two bytes esmtpa"}
	names := []string{"", "mx.example.com", "mail-wr1-f41.google.com", "[192.0.2.1]", "2002:a05:6402::1", "localhost", "MX.Example.COM."}
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 3000 {
		hops := make([]received.Hop, 1+r.IntN(4))
		for i := range hops {
			hops[i] = received.Hop{Index: i + 1, With: withs[r.IntN(len(withs))],
				From: received.From{IP: ips[r.IntN(len(ips))], HELO: names[r.IntN(len(names))], RDNS: names[r.IntN(len(names))]},
				By:   received.By{Host: names[r.IntN(len(names))], IP: ips[r.IntN(len(ips))]}}
			if r.IntN(5) == 0 {
				hops[i].Auth = "Authenticated sender: x"
			}
		}
		checkHopFacts(t, fmt.Sprint("generated ", n), hops)
	}
}

// refReservedWhy is reservedWhy without the first-octet table.
func refReservedWhy(a netip.Addr) string {
	a = a.WithZone("")
	for _, r := range reservedRanges {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	return ""
}

func TestReservedWhyAddr(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for o := range 256 {
		for range 64 {
			a := netip.AddrFrom4([4]byte{byte(o), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			if got, want := reservedWhyAddr(a), refReservedWhy(a); got != want {
				t.Fatalf("reservedWhyAddr(%s) = %q, want %q", a, got, want)
			}
			// setIP asks isInternalAddr only of a reserved address.
			if isInternalAddr(a) && refReservedWhy(a) == "" {
				t.Fatalf("%s is internal but in no reserved range", a)
			}
		}
	}
	for _, s := range []string{"::1", "::", "::ffff:10.0.0.1", "2001:db8::5", "fe80::1%eth0", "2607:f8b0::1", "ff02::1",
		"fd00::5", "fc00::1", "febf::1", "::ffff:8.8.8.8", "::ffff:127.0.0.1", "64:ff9b:1::1", "100::1"} {
		a := netip.MustParseAddr(s)
		if got, want := reservedWhyAddr(a), refReservedWhy(a); got != want {
			t.Fatalf("reservedWhyAddr(%s) = %q, want %q", a, got, want)
		}
		if isInternalAddr(a) && refReservedWhy(a) == "" {
			t.Fatalf("%s is internal but in no reserved range", a)
		}
	}
}

// refSingleFieldIndex is the former loop over singleFields.
func refSingleFieldIndex(name string) int {
	if len(name) < 2 || len(name) > 11 {
		return -1
	}
	for i, s := range singleFields {
		if strings.EqualFold(s, name) {
			return i
		}
	}
	return -1
}

func TestSingleFieldIndex(t *testing.T) {
	names := []string{"x", "To", "tO", "Cc", "CC", "Tx", "Bcc", "bcc", "Bcd", "From", "FROM", "Date", "date", "Dkim",
		"Fro", "Sender", "Subject", "Reply-To", "REPLY-TO", "Message-ID", "message-id", "References", "Received",
		"In-Reply-To", "X-Mailer-To", "Return-Path", "Mime-Version"}
	for _, n := range names {
		if got, want := singleFieldIndex(n), refSingleFieldIndex(n); got != want {
			t.Errorf("singleFieldIndex(%q) = %d, want %d", n, got, want)
		}
	}
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, f := range msg.Fields {
			if got, want := singleFieldIndex(f.Name), refSingleFieldIndex(f.Name); got != want {
				t.Fatalf("singleFieldIndex(%q) = %d, want %d", f.Name, got, want)
			}
		}
	}
}

func TestContainsFold(t *testing.T) {
	texts := []string{"", "unix socket", "from x (UNIX Socket) by y", "unix\x00socket", "unix sock",
		"un\u0130x socket", "uniX SOCKET\xff", "via unix  socket", "Unix socket", "uunix socket", "Uunix socket",
		"dmarc=FAIL", "DMARC=fail", "dMaRc=pass", "fai", "fFAIL", "faifail", "x; dkim=pass header.d=d.example; dmarc=fail"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		b := make([]byte, r.IntN(16))
		const letters = "uUnNiIxX sSoOcCkKeEtTfFaAlLdDmMrR;="
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		texts = append(texts, string(b))
	}
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, f := range msg.Fields {
			texts = append(texts, f.Value)
		}
	}
	for _, s := range texts {
		for _, w := range []string{"unix socket", "fail", "dmarc", "u"} {
			if got, want := containsFold(s, w), strings.Contains(strings.ToLower(s), w); got != want {
				t.Fatalf("containsFold(%q, %q) = %v, want %v", s, w, got, want)
			}
		}
	}
}

// refParseAuthResults is the former ParseAuthResults, in one piece.
func refParseAuthResults(value string) AuthResults {
	raw := unfold(value)
	v := stripComments(raw)
	out := AuthResults{Raw: raw}
	parts := splitOutsideQuotes(v, ';')
	head := strings.Fields(parts[0])
	if len(head) > 0 && !strings.Contains(head[0], "=") {
		out.AuthServID = strings.ToLower(head[0])
		parts = parts[1:]
	}
	for _, p := range parts {
		if r, ok := parseResInfo(p); ok {
			out.Results = append(out.Results, r)
		}
	}
	return out
}

func checkAuthResultsLikeRef(t *testing.T, v string) {
	t.Helper()
	got, want := ParseAuthResults(v), refParseAuthResults(v)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseAuthResults(%q)\n got %+v\nwant %+v", v, got, want)
	}
	head, _ := parseAuthHead(unfold(v))
	if head.AuthServID != want.AuthServID || head.Raw != want.Raw {
		t.Fatalf("parseAuthHead(%q) = %+v, want %q", v, head, want.AuthServID)
	}
}

var authResultsPieces = []string{"mx.example.net", ";", " ", "\t", "\r\n ", "dkim=pass", " header.d=example.com",
	"(comment; with ; semicolons)", "\"quoted ; text\"", "\\\"", "\\;", "spf=fail", "=", "\u00a0", "\u0085", "(", ")",
	"smtp.mailfrom=a@b.c", "reason=\"x y\"", "MX.EXAMPLE.NET", "1"}

func TestParseAuthResultsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 5000 {
		checkAuthResultsLikeRef(t, gentext.Join(r, authResultsPieces, r.IntN(12)))
	}
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, f := range msg.All("Authentication-Results") {
			checkAuthResultsLikeRef(t, f.Value)
		}
	}
}

// sendmailVersion is the regexp sendmailMinor stands for.
var sendmailVersion = regexp.MustCompile(`\((?:Sendmail )?(8)\.(\d{1,2})\.\d{1,2}`)

func checkSendmailMinor(t *testing.T, raw string) bool {
	t.Helper()
	got, ok := sendmailMinor(raw)
	m := sendmailVersion.FindStringSubmatch(raw)
	if ok != (m != nil) || ok && got != m[2] {
		t.Fatalf("sendmailMinor(%q) = %q %v, want %q", raw, got, ok, m)
	}
	return ok
}

var versionPieces = []string{"(", ")", "8", ".", "1", "12", "123", "Sendmail ", "Sendmail", "(8.", "(8.1", "(8.12", ".3", "(Sendmail 8.", "/", " ", "x", "９"}

func TestSendmailMinor(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	found := 0
	for range 20000 {
		if checkSendmailMinor(t, gentext.Join(r, versionPieces, r.IntN(14))) {
			found++
		}
	}
	if found < 100 {
		t.Errorf("only %d generated lines carry a version", found)
	}
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, h := range chainOf(msg) {
			checkSendmailMinor(t, h.Raw)
		}
	}
}

// refLookalike is the former lookalike: a skeleton string always.
func refLookalike(domain string, lists ...[]target) (Finding, bool) {
	uni := domain
	if strings.Contains(domain, "xn--") || !isASCII(domain) {
		if u, err := idna.Lookup.ToUnicode(domain); err == nil {
			uni = u
		}
	}
	label, suffix := splitOrg(uni)
	if label == "" {
		return Finding{}, false
	}
	for _, targets := range lists {
		for _, t := range targets {
			if t.label == label && t.suffix == suffix {
				return Finding{}, false
			}
		}
	}
	shown := domain
	if uni != domain {
		shown = fmt.Sprintf("%s (%s)", domain, uni)
	}
	sk := skeleton(label)
	for _, targets := range lists {
		for i := range targets {
			t := &targets[i]
			maybe := sk == t.skel || len(label) >= 6 && len(t.label) >= 6 && abs(len(label)-len(t.label)) <= 1
			if !maybe {
				continue
			}
			if f, ok := refImitates(label, sk, shown, t); ok {
				return f, true
			}
		}
	}
	if mixedScripts(label) {
		return Finding{Severity: SeverityLow,
			Message: fmt.Sprintf("From domain %s mixes Latin with another script in one label", shown)}, true
	}
	return Finding{}, false
}

// refImitates is the former imitates: it took the label's skeleton.
func refImitates(label, sk, shown string, t *target) (Finding, bool) {
	switch {
	case t.label == label:
	case sk == t.skel:
		return Finding{Severity: SeverityHigh,
			Message: fmt.Sprintf("From domain %s reads as %s", shown, t.domain)}, true
	case len(t.label) >= 6 && len(label) >= 6 && abs(len(label)-len(t.label)) <= 1 &&
		oneEdit(label, t.label) && !numberedSibling(label, t.label):
		return Finding{Severity: SeverityMedium,
			Message: fmt.Sprintf("From domain %s is one letter away from %s", shown, t.domain)}, true
	}
	return Finding{}, false
}

func TestLookalikeMatchesReference(t *testing.T) {
	own := []target{newTarget("bieberdorf.edu"), newTarget("example-corp.co.uk")}
	var domains []string
	for _, d := range append(append([]string{}, wellKnown...), "bieberdorf.edu", "example-corp.co.uk") {
		label, suffix := splitOrg(d)
		for i := range len(label) {
			domains = append(domains, label[:i]+label[i+1:]+"."+suffix, label[:i]+"x"+label[i:]+"."+suffix,
				label[:i]+"0"+label[i+1:]+"."+suffix, strings.ToUpper(label)+".net")
			if i+1 < len(label) { // two neighbours swapped
				domains = append(domains, label[:i]+label[i+1:i+2]+label[i:i+1]+label[i+2:]+"."+suffix)
			}
		}
		domains = append(domains, d, "mail."+d, strings.ReplaceAll(label, "m", "rn")+"."+suffix,
			strings.ReplaceAll(label, "a", "а")+"."+suffix, label+"2."+suffix)
	}
	domains = append(domains, "xn--pypal-4ve.com", "xn--80ak6aa92e.com", "ẹxample.org", "", ".", "a.b.c.d.e.f.g.h.example.com",
		strings.Repeat("a", 70)+".com")
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, a := range summarize(msg).From {
			domains = append(domains, domainOf(a.Address))
		}
	}
	for _, d := range domains {
		got, gok := lookalike("From domain", d, wellKnownIndex, own)
		want, wok := refLookalike(d, wellKnownTargets, own)
		if gok != wok || !reflect.DeepEqual(got, want) {
			t.Fatalf("lookalike(%q) = %+v %v, want %+v %v", d, got, gok, want, wok)
		}
	}
}

func TestDomainOf(t *testing.T) {
	ref := func(addr string) string {
		i := strings.LastIndexByte(addr, '@')
		if i < 0 {
			return ""
		}
		return strings.ToLower(strings.Trim(addr[i+1:], " >.[]"))
	}
	pieces := []string{"a", "@", "Example", "COM", ".", " ", ">", "[", "]", "ü", "İ", "-", "1"}
	r := rand.New(rand.NewPCG(19, 20))
	for range 20000 {
		s := gentext.Join(r, pieces, r.IntN(8))
		if got, want := domainOf(s), ref(s); got != want {
			t.Fatalf("domainOf(%q) = %q, want %q", s, got, want)
		}
	}
}

// refFieldIndex is fields without the length table: every predicate asked
// of every name.
func refFieldIndex(m *Message) *fieldIndex {
	x := &fieldIndex{}
	for i := range x.first {
		x.first[i] = -1
	}
	for i, f := range m.Fields {
		if k := singleFieldIndex(f.Name); k >= 0 {
			if x.count[k] == 0 {
				x.first[k] = i
			}
			x.count[k]++
			x.repeated = x.repeated || x.count[k] > 1
		}
		if equalFoldASCII(f.Name, "Authentication-Results") {
			x.authResults = append(x.authResults, i)
		}
		if isRecipientField(f.Name) {
			x.recipients = append(x.recipients, i)
		}
		if auth.ReadsOffline(f.Name) {
			x.auth = append(x.auth, i)
		}
		if x.originIP == 0 && strings.EqualFold(f.Name, originIPField) {
			x.originIP = i + 1
		}
		if strings.EqualFold(f.Name, msArrivalField) {
			x.msArrival = append(x.msArrival, i)
		}
	}
	return x
}

func checkFieldIndex(t *testing.T, m *Message) {
	t.Helper()
	got, want := (&Context{Msg: m}).fields(), refFieldIndex(m)
	if got.count != want.count || got.first != want.first || got.repeated != want.repeated ||
		!slices.Equal(got.authResults, want.authResults) || !slices.Equal(got.recipients, want.recipients) ||
		!slices.Equal(got.auth, want.auth) || got.originIP != want.originIP || !slices.Equal(got.msArrival, want.msArrival) {
		t.Fatalf("fields() = %+v, want %+v", got, want)
	}
}

func TestFieldIndex(t *testing.T) {
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		checkFieldIndex(t, msg)
	}
	names := []string{"From", "FROM", "To", "cc", "Date", "Sender", "Subject", "Reply-To", "ARC-Seal", "arc-seal",
		"Message-ID", "References", "In-Reply-To", "Envelope-To", "Delivered-To", "X-Original-To", "X-Envelope-To",
		"DKIM-Signature", "ARC-Message-Signature", "Authentication-Results", "ARC-Authentication-Results",
		"Received", "X-Mailer", "Content-Type", "A", strings.Repeat("X", 40), originIPField, msArrivalField,
		"Reply-Tp", "Reply-TO", "Feom", "Rrom", "From_", "Aender", "Sendeq", "Dc", "Cb", "X-Originating-Ip", "Delivered-To@",
		"@elivered-To", "ARC-SeaL", "X-MS-Exchange-CrossTenant-OriginalArrivalTimE", "X-MS-Exchange-CrossTenant-OriginalArrivalTim_",
		"", "Date ", "DATE", "Subject_", "Bcc", "bCC", "Bc_"}
	r := rand.New(rand.NewPCG(23, 24))
	flip := func(s string) string { // some letters in the other case
		b := []byte(s)
		for i, c := range b {
			if isLetterASCII(c) && r.IntN(3) == 0 {
				b[i] = c ^ 0x20
			}
		}
		return string(b)
	}
	for range 3000 {
		m := &Message{}
		for range r.IntN(12) {
			m.Fields = append(m.Fields, Field{Name: flip(names[r.IntN(len(names))]), Value: " x\n"})
		}
		checkFieldIndex(t, m)
	}
}

// TestSameHost holds sameHost to the former one, which cleaned both names.
func TestSameHost(t *testing.T) {
	ref := func(a, b string) bool {
		a, b = cleanHost(a), cleanHost(b)
		return a != "" && a == b
	}
	pieces := []string{"a", "A", "Mail", "mail", ".", "[", "]", "(", ">", " ", "\t", "IPv6:", "ipv6:", "ü", "Ü", "K", "\u212a",
		"1", ":", "-", "@", "`", "example.COM"}
	r := rand.New(rand.NewPCG(31, 32))
	gen := func() string {
		return gentext.Join(r, pieces, r.IntN(6))
	}
	same := 0
	for range 50000 {
		a, b := gen(), gen()
		if r.IntN(2) == 0 {
			b = strings.ToUpper(a) + []string{"", ".", " ", "a", "]"}[r.IntN(5)] // matches and near misses
		}
		got, want := sameHost(a, b), ref(a, b)
		if got != want {
			t.Fatalf("sameHost(%q, %q) = %v, want %v", a, b, got, want)
		}
		// heloVerifiedElsewhere compares the names' facts instead.
		if fa, fb := facts(a), facts(b); (fa.clean != "" && fa.clean == fb.clean) != want {
			t.Fatalf("facts of %q and %q: clean %q and %q, want same host %v", a, b, fa.clean, fb.clean, want)
		}
		if got {
			same++
		}
	}
	if same < 5000 {
		t.Errorf("only %d pairs were the same host", same)
	}
}

// TestSameLower holds sameLower to comparing lower-cased copies.
func TestSameLower(t *testing.T) {
	pieces := []string{"a", "A", "z", "Z", "@", "`", "[", "{", "İ", "i", "\u0307", "K", "k", "\u212a", "ß", "ẞ", "Σ", "ς", "σ", "\xff", "."}
	r := rand.New(rand.NewPCG(41, 42))
	gen := func() string {
		return gentext.Join(r, pieces, r.IntN(4))
	}
	same := 0
	for range 50000 {
		a, b := gen(), gen()
		if r.IntN(2) == 0 {
			b = strings.ToUpper(a)
		}
		got, want := sameLower(a, b), strings.ToLower(a) == strings.ToLower(b)
		if got != want {
			t.Fatalf("sameLower(%q, %q) = %v, want %v", a, b, got, want)
		}
		if got {
			same++
		}
	}
	if same < 5000 {
		t.Errorf("only %d pairs were the same", same)
	}
}

// TestPlaceholderFact holds nameFacts.placeholder to isPlaceholder.
func TestPlaceholderFact(t *testing.T) {
	names := []string{"", "example.com", "EXAMPLE.COM.", "mail.example.co.jp", "[ipv6:[example.com]]", "(example.org)",
		"host.test", "x.invalid", "localhost", "LOCALHOST", "example", "examples.com", "mx.example-corp.com", "[192.0.2.1]",
		"2001:db8::1", "IPv6:2001:db8::1", "a.b.example.net.", " example.org ", "ex\u0430mple.com"}
	dir := corpusDir // the names real chains carry; the repository's samples without the corpus
	if _, err := os.Stat(dir); err != nil {
		dir = "../testdata"
	}
	_ = ReadSources([]string{dir}, nil, func(s Source) error {
		if p, ok := headerPath(s.Raw); s.Err == nil && ok {
			for _, h := range p.rep.Hops {
				names = append(names, h.From.HELO, h.From.RDNS, h.By.Host)
			}
		}
		return nil
	})
	placeholders := 0
	for _, n := range names {
		got, want := facts(n).placeholder, isPlaceholder(n)
		if got != want {
			t.Errorf("facts(%q).placeholder = %v, isPlaceholder says %v", n, got, want)
		}
		if got {
			placeholders++
		}
	}
	if placeholders < 5 {
		t.Errorf("only %d placeholders among %d names", placeholders, len(names))
	}
}

// TestPlaceholderClean: the facts answer isPlaceholder and firstLabel of
// their clean name, also for names that cleaning twice changes.
func TestPlaceholderClean(t *testing.T) {
	names := []string{"", "example.com", "mail.example.co.jp", "EXAMPLE.NET.", "host.test", "localhost",
		"example.com].", "[example.org].", "(mx.example)", "[IPv6:2001:db8::1]", "[192.0.2.1]", "mx.google.com",
		"ipv6:example.com.", " Example.Com ", "example", "foo.example.", "x.invalid].", "[mx.example.]", "(a.b.)", "<x.Y>"}
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, h := range chainOf(msg) {
			names = append(names, h.By.Host, h.From.HELO, h.From.RDNS)
		}
	}
	for _, n := range names {
		f := facts(n)
		if got, want := f.placeholderClean(), isPlaceholder(f.clean); got != want {
			t.Errorf("facts(%q).placeholderClean() = %v, isPlaceholder(%q) = %v", n, got, f.clean, want)
		}
		if got, want := f.cleanLabel(), firstLabel(f.clean); got != want {
			t.Errorf("facts(%q).cleanLabel() = %q, firstLabel(%q) = %q", n, got, f.clean, want)
		}
	}
}

func TestTrimBrackets(t *testing.T) {
	for _, s := range []string{"", "[", "]", "[]", "][", "[1.2.3.4]", "1.2.3.4", "[[::1]]", "]x[", "a[b]c", "[IPv6:::1]"} {
		if got, want := trimBrackets(s), strings.Trim(s, "[]"); got != want {
			t.Errorf("trimBrackets(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestReservedWhy6: the IPv6 ranges reservedWhyAddr passes over without
// looking (globalOutside2001) hold no range of reservedRanges, and it
// answers as the table does.
func TestReservedWhy6(t *testing.T) {
	outside := netip.MustParsePrefix("2000::/3")
	for _, r := range reservedRanges {
		if r.prefix.Addr().Is6() && r.prefix.Overlaps(outside) &&
			!netip.MustParsePrefix("2001::/16").Contains(r.prefix.Addr()) {
			t.Errorf("%s lies in 2000::/3 outside 2001::/16", r.prefix)
		}
	}
	ref := func(a netip.Addr) string {
		a = a.WithZone("")
		for _, r := range reservedRanges {
			if r.prefix.Contains(a) {
				return r.why
			}
		}
		return ""
	}
	for _, s := range []string{"2a00:1450:4864:20::42b", "2001:db8::1", "2001:2::5", "2001:4860::1", "2002:a05:6402::1",
		"3fff::1", "1fff::1", "4000::1", "fe80::1%eth0", "::1", "::ffff:10.0.0.1", "2607:f8b0:4864:20::42b", "fc00::1"} {
		a := netip.MustParseAddr(s)
		if got, want := reservedWhyAddr(a), ref(a); got != want {
			t.Errorf("reservedWhyAddr(%s) = %q, want %q", s, got, want)
		}
	}
}

// TestParseAddr holds parseAddr's dotted-quad reading to netip.ParseAddr:
// hand-picked edges, every address of the corpus and rule testdata, and
// generated strings of digits and dots, where the quick path answers.
func TestParseAddr(t *testing.T) {
	check := func(s string) {
		t.Helper()
		a, ok := parseAddr(s)
		want, err := netip.ParseAddr(s)
		if ok != (err == nil) || a != want {
			t.Fatalf("parseAddr(%q) = %v, %v; netip.ParseAddr: %v, %v", s, a, ok, want, err)
		}
	}
	for _, s := range []string{"", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.256.1.1", "1.1.1.256", "01.1.1.1",
		"1.01.1.1", "1.1.1.01", "1.1.1.00", "00.1.1.1", "1.1.1", "1.1.1.1.1", "1..1.1", ".1.1.1", "1.1.1.1.",
		"1.1.1.1 ", " 1.1.1.1", "1000.1.1.1", "1.1.1.1000", "10.0.0.1", "192.168.001.1", "1.2.3.4%eth0", "::1",
		"::ffff:1.2.3.4", "1.2.3.a", "1.2.3.-4", "1.2.3.+4", "999.999.999.999", "0.0.0.00", "1.2.3.4/24", "1.2.3.04"} {
		check(s)
	}
	for _, hops := range corpusAndTestdataHops(t) {
		for i := range hops {
			check(trimBrackets(hops[i].From.IP))
			check(trimBrackets(hops[i].By.IP))
		}
	}
	r := rand.New(rand.NewPCG(7, 11))
	const alphabet = "0123456789.0125.x"
	for range 300_000 {
		b := make([]byte, r.IntN(18))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// TestSetWith holds setWith's in-place comparisons to the upper-cased
// clause over generated clauses: ASCII in either case around the words
// it looks for, and characters that upper-case to ASCII letters or change
// length ("ſ" is S, "ı" is I, "ß" is SS), at either end or within.
func TestSetWith(t *testing.T) {
	pieces := []string{"L", "l", "M", "m", "T", "t", "P", "p", "S", "s", "A", "a", "E", "e", " ", "ſ", "ı", "ß", "é",
		"\xff", "MTPA", "MTPSA", "mtp", "LMTP", "lmtp", "SMTPA", "smtpsa", "ESMTPSA", "ESMTPS", "Microsoft SMTP Server", "id 15.20"}
	r := rand.New(rand.NewPCG(9, 10))
	for _, w := range []string{"", "a", "A", "l", "ſMTPA", "ßMTPA", "ſmtpsa", "LMTPſ", "LMTPA", "lmtpsa", "ESMTPSA", "esmtpa",
		"ESMTPS", "SMTPA ſ", "é LMTP"} {
		for _, auth := range []string{"", "x"} {
			h := received.Hop{With: w, Auth: auth}
			var f hopFacts
			f.setWith(&h)
			if f.lmtp != isLMTP(&h) || f.authed != isAuthenticated(&h) {
				t.Fatalf("setWith(%q, auth %q): lmtp %v authed %v, want %v %v", w, auth, f.lmtp, f.authed, isLMTP(&h), isAuthenticated(&h))
			}
		}
	}
	for range 200_000 {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		h := received.Hop{With: b.String()}
		if r.IntN(4) == 0 {
			h.Auth = "x"
		}
		var f hopFacts
		f.setWith(&h)
		if f.lmtp != isLMTP(&h) || f.authed != isAuthenticated(&h) {
			t.Fatalf("setWith(%q, auth %q): lmtp %v authed %v, want %v %v", h.With, h.Auth, f.lmtp, f.authed, isLMTP(&h), isAuthenticated(&h))
		}
	}
}

// TestEqualFoldASCII holds equalFoldASCII, which compares bytes before
// folding them, to lowerASCII of each byte, on every pair of bytes and on
// names differing in case.
func TestEqualFoldASCII(t *testing.T) {
	ref := func(a, b string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := 0; i < len(a); i++ {
			if lowerASCII(a[i]) != lowerASCII(b[i]) {
				return false
			}
		}
		return true
	}
	for x := range 256 {
		for y := range 256 {
			a, b := string([]byte{'x', byte(x), 'Y'}), string([]byte{'X', byte(y), 'y'})
			if got, want := equalFoldASCII(a, b), ref(a, b); got != want {
				t.Fatalf("equalFoldASCII(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
	for _, p := range [][2]string{{"Message-ID", "message-id"}, {"Message-ID", "Message-Id"}, {"From", "FROM"},
		{"From", "Fro"}, {"", ""}, {"Reply-To", "Reply_To"}, {"@", "`"}, {"\r", "-"}} {
		if got, want := equalFoldASCII(p[0], p[1]), ref(p[0], p[1]); got != want {
			t.Fatalf("equalFoldASCII(%q, %q) = %v, want %v", p[0], p[1], got, want)
		}
	}
}

// TestNameHash holds facts, whose cache nameHash places names in, to
// computeFacts for every name of the corpus's chains and names of every
// length up to 40 that differ in one byte, and nameHash to spreading them:
// hardly any two names share both their slots.
func TestNameHash(t *testing.T) {
	names := map[string]bool{}
	for _, chain := range corpusAndTestdataHops(t) {
		for i := range chain {
			h := &chain[i]
			names[h.By.Host], names[h.From.RDNS], names[h.From.HELO] = true, true, true
		}
	}
	base := "mail-wr1-f41.outbound.google.example.com"
	for n := 1; n <= len(base); n++ {
		for i := 0; i < n; i++ {
			b := []byte(base[:n])
			b[i]++
			names[string(b)], names[base[:n]] = true, true
		}
	}
	delete(names, "")
	pairs := map[[2]uint64]int{}
	for name := range names {
		if got, want := *facts(name), computeFacts(name); !reflect.DeepEqual(got, want) {
			t.Fatalf("facts(%q) = %+v, want %+v", name, got, want)
		}
		h := nameHash(name)
		if h != nameHash(strings.Clone(name)) {
			t.Fatalf("nameHash(%q) differs between two copies", name)
		}
		a, b := h&(nameCacheSlots-1), (h>>32)&(nameCacheSlots-1)
		pairs[[2]uint64{min(a, b), max(a, b)}]++
	}
	t.Logf("%d names, %d slot pairs", len(names), len(pairs))
	if shared := len(names) - len(pairs); shared > len(names)/100 {
		t.Fatalf("%d of %d names share both slots with another", shared, len(names))
	}
}

// TestNameFactsFlags: a name's idn fact is a public name whose
// organisational domain holds "xn--", and its fromName fact a clean name,
// not an address literal nor "unknown" (as fromFacts asked), for every hop
// name of the corpus and the rule testdata and for names built to sit on
// either side.
func TestNameFactsFlags(t *testing.T) {
	names := []string{"", "xn--ggle-55da.com", "mail.xn--ggle-55da.com", "XN--GGLE-55DA.COM.", "xn--ggle-55da",
		"mx.xn--p1ai", "xn--p1ai", "a.b.xn--p1ai", "mxn--a.example.com", "x.example.com", "axn--b.com", "[192.0.2.1]",
		"gооgle.com", "mail-sor-f41.xn--ggle-55da.com", "xn--.com", "localhost", "xn--ggle-55da.com.evil.example",
		"unknown", "UNKNOWN", "[unknown]", "unknown.", " ", "[]", "2002:a05:6402::1", "[IPv6:2001:db8::1]", "192.0.2.1"}
	for _, chain := range corpusAndTestdataHops(t) {
		for _, h := range chain {
			names = append(names, h.By.Host, h.From.HELO, h.From.RDNS)
		}
	}
	idn := 0
	for _, n := range names {
		f := facts(n)
		if want := f.fqdn && strings.Contains(f.org, "xn--"); f.idn != want {
			t.Fatalf("facts(%q).idn = %v, want %v (fqdn %v, org %q)", n, f.idn, want, f.fqdn, f.org)
		}
		if f.idn {
			idn++
		}
		if want := f.clean != "" && f.clean != "unknown" && !f.ip; f.fromName != want {
			t.Fatalf("facts(%q).fromName = %v, want %v (clean %q, ip %v)", n, f.fromName, want, f.clean, f.ip)
		}
	}
	if idn == 0 {
		t.Fatal("no name was internationalised: the test tells little")
	}
}

// TestRecipientFacts: recipientFacts lines up with recipientFamilies, one
// public name's facts for each family, of that family, over the corpus and
// the rule testdata.
func TestRecipientFacts(t *testing.T) {
	raws, opts := benchAndTestdataMessages(t), &Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"}
	found := 0
	for i, raw := range raws {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		c := p.trusted(opts)
		fs := c.recipientFacts() // before the families: worked out here
		fams := c.recipientFamilies()
		if len(fs) != len(fams) {
			t.Fatalf("message %d: %d recipient facts, %d families %q", i, len(fs), len(fams), fams)
		}
		for k, f := range fs {
			if f.family != fams[k] || !f.fqdn {
				t.Fatalf("message %d: recipient facts %d are of %q (family %q, fqdn %v), the family is %q", i, k, f.name, f.family, f.fqdn, fams[k])
			}
		}
		found += len(fs)
	}
	if found == 0 {
		t.Fatal("no recipient families: the test tells little")
	}
}

// TestSingleIndexedElse: every spelling of a single-instance field's name
// singleFieldIndex takes, each letter in either case, is in fields' other lists exactly
// when the field's own spelling is (singleIndexedElse), so fields may skip
// them on the index alone. From is: auth reads it.
func TestSingleIndexedElse(t *testing.T) {
	if !singleIndexedElse[fieldFrom] {
		t.Fatal("From is not in auth's list: the test tells little")
	}
	for k, n := range singleFields {
		// Every spelling: bit j of v flips the case of the j-th letter.
		for v := 0; v < 1<<len(n); v++ {
			b, j := []byte(n), 0
			for i, c := range b {
				if isLetterASCII(c) {
					if v>>j&1 != 0 {
						b[i] = c ^ 0x20
					}
					j++
				}
			}
			name := string(b)
			if singleFieldIndex(name) != k {
				t.Fatalf("singleFieldIndex(%q) = %d, want %d", name, singleFieldIndex(name), k)
			}
			if got := fieldIndexedElse(name); got != singleIndexedElse[k] {
				t.Fatalf("%q is in the other lists: %v, %q: %v", name, got, n, singleIndexedElse[k])
			}
		}
	}
}

// TestRecipientTargets holds the recipient's targets, built from the facts
// recipientFamilies looked up where a family is its domain's
// organisational domain, to newTarget of each family, and idnName, which
// reads nameFacts.idn, to what it stands for, on every name of the corpus
// and testdata.
func TestRecipientTargets(t *testing.T) {
	raws, opts := benchAndTestdataMessages(t), &Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"}
	targets, names := 0, 0
	for i, raw := range raws {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		c := p.trusted(opts)
		var want []target
		for _, fam := range c.recipientFamilies() {
			if strings.Contains(fam, ".") {
				want = append(want, newTarget(fam))
			}
		}
		if got := c.recipientTargets(nil); !slices.Equal(got, want) {
			t.Fatalf("message %d: recipient targets %+v, newTarget gives %+v", i, got, want)
		}
		targets += len(want)
		for _, h := range p.rep.Hops {
			for _, n := range []string{h.By.Host, h.From.HELO, h.From.RDNS} {
				f := facts(n)
				if idnName(f) != (f.fqdn && hasACE(f.org)) {
					t.Fatalf("message %d: idnName(%q) = %v, its org %q (fqdn %v)", i, n, idnName(f), f.org, f.fqdn)
				}
				names++
			}
		}
	}
	if targets == 0 || names == 0 {
		t.Fatalf("%d targets, %d names: the test tells little", targets, names)
	}
}

// benchAndTestdataMessages are the benchmarks' messages (the corpus, or
// testdata without it) and testdata's.
func benchAndTestdataMessages(t *testing.T) [][]byte {
	raws := rulesBenchMessages(t)
	_ = ReadSources([]string{"../testdata"}, nil, func(s Source) error {
		if s.Err == nil {
			raws = append(raws, s.Raw)
		}
		return nil
	})
	return raws
}
