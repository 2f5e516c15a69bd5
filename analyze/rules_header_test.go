package analyze

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/gentext"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// TestDisplayNameSpoof holds display-name-spoof's severity for From fields
// beyond its -pos and -neg cases. The cases named dNN come from the
// display-name audit's reproductions (d01 is the plain ASCII spoof the
// others must match); the list cases are the From rewrites of Google
// Groups and Mailman's DMARC mitigation, excused only when the list
// handled the message (a hop of its organisation that the receiver wrote)
// and the From is the list's own.
func TestDisplayNameSpoof(t *testing.T) {
	tests := []struct {
		name   string
		header string // From and any other fields
		want   Severity
	}{
		{"d01", `From: "service@paypal.com" <alerts@mailer-eu7.net>`, SeverityMedium},
		{"domain", `From: "PayPal.com Security" <alerts@mailer-eu7.net>`, SeverityLow},

		// "via" or "on behalf of" alone is no list: a forger writes it too.
		{"d40 via, no list", `From: "service@paypal.com via Secure Message Center" <alerts@mailer-eu7.net>`, SeverityMedium},
		{"d43 on behalf of, no list", `From: "PayPal Billing on behalf of service@paypal.com" <alerts@mailer-eu7.net>`, SeverityMedium},
		{"domain via, no list", `From: "paypal.com via Secure Message Center" <alerts@mailer-eu7.net>`, SeverityLow},
		{"list fields, no via", "List-Id: <offers.mailer-eu7.net>\nFrom: \"service@paypal.com\" <alerts@mailer-eu7.net>", SeverityMedium},
		// A list's rewrite, from the list's servers as the receiver wrote.
		{"google groups", googleGroupsHop + "List-Id: <acme-users.googlegroups.com>\nFrom: \"'alice@acme-supplies.com' via Acme Users\" <acme-users@googlegroups.com>", SeverityInfo},
		{"mailman", debianListHop + "List-Id: <debian-user.lists.debian.org>\nFrom: \"alice@acme-supplies.com via Debian-user\" <debian-user@lists.debian.org>", SeverityInfo},
		{"list-post", "Received: from lists.tarragon.org (lists.tarragon.org [185.12.64.20])\n\tby mx.northwind.de (Postfix) with ESMTPS id 4VdqLp2mQbz1xnU; Mon, 16 Nov 2026 09:15:02 +0000\n" +
			"List-Post: <mailto:users@lists.tarragon.org>\nFrom: \"acme-supplies.com via Users\" <users@lists.tarragon.org>", SeverityInfo},
		// The same fields without the list at work: a forger's to write.
		{"google groups fields alone", "List-Id: <acme-users.googlegroups.com>\nFrom: \"'alice@acme-supplies.com' via Acme Users\" <acme-users@googlegroups.com>", SeverityMedium},
		{"google groups address, no list", googleGroupsHop + `From: "'alice@acme-supplies.com' via Acme Users" <acme-users@googlegroups.com>`, SeverityMedium},
		{"mailman fields from elsewhere", "Received: from srv1.evil-vps.net (srv1.evil-vps.net [45.61.137.10])\n\tby mx.northwind.de (Postfix) with ESMTPS id 4VdqLp2mQbz1xnV; Mon, 16 Nov 2026 09:15:02 +0000\n" +
			"List-Id: <debian-user.lists.debian.org>\nFrom: \"alice@acme-supplies.com via Debian-user\" <debian-user@lists.debian.org>", SeverityMedium},
		{"list fields, the From elsewhere", debianListHop + "List-Id: <debian-user.lists.debian.org>\nFrom: \"service@paypal.com via Debian-user\" <alerts@mailer-eu7.net>", SeverityMedium},

		// Invisible and look-alike characters: the name is matched as a
		// reader sees it, and quoted as written.
		{"d14 zero-width space", "From: \"service@pay\u200bpal.com\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"d15 encoded zero-width space", "From: =?UTF-8?B?c2VydmljZUBwYXnigItwYWwuY29t?= <alerts@mailer-eu7.net>", SeverityMedium},
		{"d16 one-dot leader", "From: \"service@paypal\u2024com\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"d17 fullwidth full stop", "From: \"service@paypal\uff0ecom\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"d04 fullwidth at sign", "From: \"service\uff20paypal.com\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"fullwidth letters", "From: \"\uff53\uff45\uff52\uff56\uff49\uff43\uff45@paypal.com\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"word joiner and BOM", "From: \"service@\u2060paypal.\ufeffcom\" <alerts@mailer-eu7.net>", SeverityMedium},
		{"ideographic full stop", "From: \"PayPal\u3002com Security\" <alerts@mailer-eu7.net>", SeverityLow},
		{"halfwidth ideographic full stop", "From: \"PayPal\uff61com Security\" <alerts@mailer-eu7.net>", SeverityLow},
		// Whole addresses first, then organisations.
		{"d42 another gmail mailbox", `From: "john.smith@gmail.com" <j0hn.smith.billing@gmail.com>`, SeverityMedium},
		{"d41 another organisation", `From: "ceo@northwind.de" <ceo.northwind.de@gmail.com>`, SeverityMedium},
		{"another mailbox of the organisation", `From: "support@tarragon.org" <noreply@tarragon.org>`, SeverityLow},
		{"the address itself", `From: "Alice@Tarragon.org" <alice@tarragon.org>`, ""},
		{"the address beyond addrInName", `From: "o'brien@tarragon.org" <o'brien@tarragon.org>`, ""},
		{"the mailbox under another name", `From: "alice@tarragon.org" <alice@mail.tarragon.org>`, ""},
		{"the gmail mailbox at googlemail", `From: "john.smith@googlemail.com" <john.smith@gmail.com>`, ""},
		{"dots are the local part's", `From: "johnsmith@gmail.com" <john.smith@gmail.com>`, SeverityMedium},
		{"accented name", "From: \"J\u00fcrgen M\u00fcller\" <juergen@mailer-eu7.net>", ""},
		{"fullwidth real address", "From: \"alerts\uff20mailer-eu7\uff0enet\" <alerts@mailer-eu7.net>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.header + "\nTo: bob@northwind.de\nSubject: hi\nDate: Mon, 16 Nov 2026 09:14:58 +0000\n" +
				"Message-ID: <20261116091458.GA1234@mailer-eu7.net>\n\nbody\n"
			got := fired(analyzeRaw(t, raw, Options{}, Input{}))["display-name-spoof"]
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("fired %+v", got)
			case tt.want != "" && (len(got) != 1 || got[0].Severity != tt.want):
				t.Errorf("findings %+v, want one %s", got, tt.want)
			}
		})
	}
}

// googleGroupsHop and debianListHop are the receiver's line for mail from
// Google Groups' and Debian's list servers.
const (
	googleGroupsHop = "Received: from mail-yw1-f170.google.com (mail-yw1-f170.google.com [209.85.219.170])\n\tby mx.northwind.de (Postfix) with ESMTPS id 4VdqLp2mQbz1xnT; Mon, 16 Nov 2026 09:15:02 +0000\n"
	debianListHop   = "Received: from bendel.debian.org (bendel.debian.org [82.195.75.100])\n\tby mx.northwind.de (Postfix) with ESMTPS id 4VdqLp2mQbz1xnW; Mon, 16 Nov 2026 09:15:02 +0000\n"
)

// TestDisplayNameEmpty: an address without a display name, which
// checkDisplayName passes over without asking, has no finding.
func TestDisplayNameEmpty(t *testing.T) {
	for _, addr := range []string{"alerts@mailer-eu7.net", "", "@", "a@b.example", "x"} {
		if f, ok := displayNameFinding(Address{Address: addr}); ok {
			t.Errorf("displayNameFinding(%q without a name) = %+v", addr, f)
		}
	}
}

// TestDisplayNameAsWritten: the finding names the address a reader sees
// and says how it was disguised; the evidence quotes the name as written,
// the zero-width space escaped (d14).
func TestDisplayNameAsWritten(t *testing.T) {
	f, ok := displayNameFinding(Address{Name: "service@pay\u200bpal.com", Address: "alerts@mailer-eu7.net"})
	wantMsg := "display name shows service@paypal.com (written with invisible or look-alike characters), the address is alerts@mailer-eu7.net"
	wantEv := `From: "service@pay\u200bpal.com" <alerts@mailer-eu7.net>`
	if !ok || f.Message != wantMsg || f.Evidence != wantEv {
		t.Errorf("finding %+v\nwant message %q\nand evidence %s", f, wantMsg, wantEv)
	}
}

// TestFromMailboxes holds header-from-multiple beyond its -pos and -neg
// cases: h04 and h13 are the audit's reproductions (the second a group,
// which From may not hold at all).
func TestFromMailboxes(t *testing.T) {
	tests := []struct {
		name   string
		header string // From and any other fields
		want   Severity
	}{
		{"h04 two organisations", "From: PayPal <service@paypal.com>, <alerts@mailer-eu7.net>", SeverityMedium},
		{"h13 group", "From: PayPal:service@paypal.com;, <alerts@mailer-eu7.net>", SeverityMedium},
		{"one organisation", "From: Alice <alice@tarragon.org>, Carol <carol@mail.tarragon.org>", SeverityLow},
		{"with a Sender", "From: PayPal <service@paypal.com>, <alerts@mailer-eu7.net>\nSender: alerts@mailer-eu7.net", ""},
		{"one mailbox", "From: Alice <alice@tarragon.org>", ""},
		{"comma in an unquoted name", "From: Tarragon, Alice <alice@tarragon.org>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.header + "\nTo: bob@northwind.de\nSubject: hi\nDate: Mon, 16 Nov 2026 09:14:58 +0000\n" +
				"Message-ID: <20261116091458.GA1234@mailer-eu7.net>\n\nbody\n"
			got := fired(analyzeRaw(t, raw, Options{}, Input{}))["header-from-multiple"]
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("fired %+v", got)
			case tt.want != "" && (len(got) != 1 || got[0].Severity != tt.want):
				t.Errorf("findings %+v, want one %s", got, tt.want)
			}
		})
	}
}

// TestMsgIDFacts holds the Context's Message-ID facts, which skip the
// second look-up of a domain that is clean already, to the facts of
// msgIDDomain.
func TestMsgIDFacts(t *testing.T) {
	for _, id := range []string{"<a@example.com>", " <a@Example.COM> ", "<a@mail.gmail.com>", "<a@[192.0.2.1]>",
		"a@b", "<ab>", "", "<a@>", "<x@y@Z.example.>", "<a@ example.org >", "a@example.net\u00a0", "<a@\u00e9xample.fr>"} {
		c := &Context{Report: &MessageReport{Header: HeaderSummary{MessageID: id}}}
		got, want := c.msgIDFacts(), facts(msgIDDomain(id))
		if got.name != want.name || got.clean != want.clean || got.family != want.family || got.fqdn != want.fqdn {
			t.Errorf("msgIDFacts(%q) = %+v, want %+v", id, *got, *want)
		}
	}
}

// TestAddrsInName holds addrsInName and blankSpans to the regexp they
// stand for (addrInName's FindAllStringSubmatchIndex and ReplaceAllString)
// on names put together from the pieces its classes tell apart.
func TestAddrsInName(t *testing.T) {
	pieces := []string{"a", "Z9", "@", ".", "-", "%", "+", "_", " ", "\u00fc", "\xff", "..", "@@", "x.y", "<", ">", "\""}
	r := rand.New(rand.NewPCG(9, 10))
	for range 100000 {
		checkAddrsInName(t, gentext.Join(r, pieces, r.IntN(12)))
	}
	for _, s := range []string{"", "a@b.c", "john@example.com via List", "a@b@c.com", "a@b.c.@d.ef", "x@-.-", "@a.b",
		"a@b.", "a@.b", "a@b..c", "\"support@paypal.com\" <x@y.z>", "a.b.@c.d e@f.g"} {
		checkAddrsInName(t, s)
	}
}

func FuzzAddrsInName(f *testing.F) {
	f.Add("service@paypal.com (via a.b@c.de)")
	f.Fuzz(checkAddrsInName)
}

func checkAddrsInName(t *testing.T, s string) {
	t.Helper()
	found := addrsInName(s, nil)
	want := addrInName.FindAllStringSubmatchIndex(s, -1)
	if len(found) != len(want) {
		t.Fatalf("addrsInName(%q) = %v, want %v", s, found, want)
	}
	for i, m := range found {
		if !slices.Equal(m[:], want[i]) {
			t.Fatalf("addrsInName(%q) = %v, want %v", s, found, want)
		}
	}
	if got, want := blankSpans(s, found), addrInName.ReplaceAllString(s, " "); got != want {
		t.Fatalf("blankSpans(%q) = %q, want %q", s, got, want)
	}
}

// TestSingleFieldIndexFolds holds singleFieldIndex to strings.EqualFold over
// the single-instance fields of the name's length, on their names in other cases, with a
// letter turned into the Kelvin sign or the long s (which fold to k and
// s) or a byte not ASCII, and on names put together from their pieces.
func TestSingleFieldIndexFolds(t *testing.T) {
	// The former singleFieldIndex: strings.EqualFold with the field of the
	// name's length and first letter. (A name of another length that folds
	// equal, "Me\u017fsage-ID", was no single field before either: Split's
	// names are ASCII.)
	ref := func(name string) int {
		for i, f := range singleFields {
			if len(f) == len(name) && f[0]|0x20 == name[0]|0x20 && strings.EqualFold(f, name) {
				return i
			}
		}
		return -1
	}
	var names []string
	for _, f := range singleFields {
		names = append(names, f, strings.ToUpper(f), strings.ToLower(f), f[1:], f+"x",
			strings.Replace(f, "s", "\u017f", 1), strings.Replace(f, "S", "\u212a", 1), strings.Replace(f, "-", "\r", 1),
			strings.Replace(strings.ToLower(f), "e", "\xc3", 1))
	}
	r := rand.New(rand.NewPCG(13, 14))
	pieces := []string{"To", "cc", "B", "from", "DATE", "-", "\u017f", "\u212a", "Id", "Re", "ply", "s", "k", "\xff"}
	for range 50000 {
		names = append(names, gentext.Join(r, pieces, r.IntN(5)))
	}
	for _, n := range names {
		if got, want := singleFieldIndex(n), ref(n); got != want {
			t.Fatalf("singleFieldIndex(%q) = %d, want %d", n, got, want)
		}
	}
}

// TestSeenAsDot finds every rune whose compatibility decomposition holds
// ".", "@" or the ideographic full stop, and holds seenAsDot to the list;
// maySeeDot must then hold wherever nameAsSeen shows an "@" or a ".".
func TestSeenAsDot(t *testing.T) {
	for r := rune(0x80); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := strings.ContainsAny(norm.NFKD.String(string(r)), ".@\u3002")
		if got := r >= 0x2024 && seenAsDot(r); got != want {
			t.Fatalf("seenAsDot(%U) = %v, want %v", r, got, want)
		}
	}
	pieces := []string{"a", "B", ".", "@", "\u200b", "\u0301", "\u2024", "\uff0e", "\uff20", "\u3002", "\uff61", "\u2488",
		"\u33c7", "\u00e9", "\u212a", "\u0130", "\xff", " ", "\ufe6b", "\U0001F100"}
	r := rand.New(rand.NewPCG(15, 16))
	for range 50000 {
		s := gentext.Join(r, pieces, r.IntN(8))
		if seen := nameAsSeen(s); strings.ContainsAny(seen, "@.") && !maySeeDot(s) {
			t.Fatalf("nameAsSeen(%q) = %q, but maySeeDot says it shows no @ or .", s, seen)
		}
	}
}

// TestViaListNeedsWord: viaList matches only a name that holds "via" or
// "behalf" in some case (hasFoldASCII), which resentByList asks first.
func TestViaListNeedsWord(t *testing.T) {
	pieces := []string{"v", "V", "i", "I", "\u0130", "\u0131", "a", "A", " ", "on", "ON", "behalf", "BEHALF", "of", "-",
		"\u212a", "\u017f", "x", "\xff"}
	r := rand.New(rand.NewPCG(17, 18))
	for range 100000 {
		s := gentext.Join(r, pieces, r.IntN(10))
		if viaList.MatchString(s) && !hasFoldASCII(s, "via") && !hasFoldASCII(s, "behalf") {
			t.Fatalf("viaList matches %q, which holds neither word", s)
		}
		if got, want := hasFoldASCII(s, "via"), strings.Contains(strings.ToLower(s), "via"); got != want && isASCII(s) {
			t.Fatalf("hasFoldASCII(%q, via) = %v", s, got)
		}
	}
}

// TestDomainsInName holds domainsInName to domainInName's
// FindAllStringSubmatch, on names put together from the pieces its
// classes and word boundaries tell apart, the Kelvin sign and the long s
// among them, and on the corpus's display names.
func TestDomainsInName(t *testing.T) {
	pieces := []string{"a", "Z", "k", "\u212a", "\u017f", "s", "0", "9", "-", ".", "..", "_", " ", "@", "\u00e9", "\xff",
		"com", ".de", "x.y", "ab", "-a", "a-", "\xe2\x84"}
	r := rand.New(rand.NewPCG(23, 24))
	for range 200000 {
		checkDomainsInName(t, gentext.Join(r, pieces, r.IntN(12)))
	}
	for _, s := range []string{"", "foo.com.x", "Vitamart.ca", "MySurvey.com & Carol Adams", "taint.org - Justin",
		"a.b.c.d.e.fg", "1.de", "-.de", "a-.de", "foo .com", "bank.\u212ar", "ex\u017f.de", "x_y.com", "y.com_",
		strings.Repeat("a.", 300) + "com"} {
		checkDomainsInName(t, s)
	}
	for _, raw := range rulesBenchMessages(t) {
		if p, ok := headerPath(raw); ok {
			for _, a := range p.rep.Header.From {
				checkDomainsInName(t, a.Name)
			}
		}
	}
}

func FuzzDomainsInName(f *testing.F) {
	f.Add("PayPal.com Security (pay.pal.co.uk)")
	f.Add("bank.\u212ar ex\u017f.de")
	f.Fuzz(checkDomainsInName)
}

func checkDomainsInName(t *testing.T, s string) {
	t.Helper()
	var want []string
	for _, m := range domainInName.FindAllStringSubmatch(s, -1) {
		want = append(want, m[1])
	}
	if got := domainsInName(s, nil); !slices.Equal(got, want) {
		t.Fatalf("domainsInName(%q) = %q, want %q", s, got, want)
	}
}

// TestMsgIDRawDomain holds msgIDRawDomain to the former one (TrimSpace,
// cut at the first ">", LastIndexByte) on IDs put together from pieces
// with spaces ASCII and not, at signs and angle brackets.
func TestMsgIDRawDomain(t *testing.T) {
	ref := func(id string) string {
		id = strings.TrimSpace(id)
		if i := strings.IndexByte(id, '>'); i >= 0 {
			id = id[:i]
		}
		i := strings.LastIndexByte(id, '@')
		if i < 0 {
			return ""
		}
		return id[i+1:]
	}
	pieces := []string{"<", ">", "@", " ", "\t", "\u00a0", "\u0085", "\u2003", "a", "Ex.COM", "\u00e9", "\xff", "\r\n"}
	r := rand.New(rand.NewPCG(25, 26))
	for range 100000 {
		id := gentext.Join(r, pieces, r.IntN(10))
		if got, want := msgIDRawDomain(id), ref(id); got != want {
			t.Fatalf("msgIDRawDomain(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestLastAt holds lastAt to strings.LastIndexByte with an "@", or a
// byte next to it in value, at every place of strings up to five words
// long, and a second "@" at every place after the first.
func TestLastAt(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for at := 0; at <= n; at++ {
			for _, c := range []byte{'@', '?', 'A', 0xc0, 0} {
				b := []byte(strings.Repeat("a.z0-9", 7)[:n])
				if at < n {
					b[at] = c
				}
				for j := at; j <= n; j++ {
					bb := append([]byte{}, b...)
					if j > at && j < n {
						bb[j] = '@'
					}
					if got, want := lastAt(string(bb)), strings.LastIndexByte(string(bb), '@'); got != want {
						t.Fatalf("lastAt(%q) = %d, want %d", bb, got, want)
					}
				}
			}
		}
	}
}

// TestDomainInNameFQDN: a domain the display-name rule finds in a name,
// lower-cased, is its own clean name, so isFQDN says it is under an ICANN
// suffix, which the rule asked publicsuffix apart before.
func TestDomainInNameFQDN(t *testing.T) {
	pieces := []string{"paypal", "co", "uk", "com", "de", "\u212a", "\u017f", ".", "-", "1", "Example", "blogspot", "github", "io"}
	r := rand.New(rand.NewPCG(29, 30))
	for range 50000 {
		for _, m := range domainsInName(gentext.Join(r, pieces, r.IntN(8)), nil) {
			d := strings.ToLower(m)
			if cleanHost(d) != d {
				t.Fatalf("%q is not its own clean name", d)
			}
			if _, icann := publicsuffix.PublicSuffix(d); isFQDN(d) && !icann {
				t.Fatalf("isFQDN(%q), but its suffix is not ICANN's", d)
			}
		}
	}
}

// TestSingleFieldIndexBytes holds singleFieldIndex to equalFoldASCII, a
// byte at a time, on each single-instance field in three cases with each
// of its bytes in turn replaced by every byte value: the word compare
// (foldWords) must tell every one of them apart as the loop does.
func TestSingleFieldIndexBytes(t *testing.T) {
	ref := func(name string) int {
		for i, f := range singleFields {
			if equalFoldASCII(f, name) {
				return i
			}
		}
		return -1
	}
	for _, f := range singleFields {
		for _, v := range []string{f, strings.ToUpper(f), strings.ToLower(f)} {
			for i := 0; i < len(v); i++ {
				for c := 0; c < 256; c++ {
					n := v[:i] + string([]byte{byte(c)}) + v[i+1:]
					if got, want := singleFieldIndex(n), ref(n); got != want {
						t.Fatalf("singleFieldIndex(%q) = %d, want %d", n, got, want)
					}
				}
			}
		}
	}
}
