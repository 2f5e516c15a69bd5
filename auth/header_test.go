package auth

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/allocs"
	"github.com/mailtrace/mailtrace/internal/gentext"
)

// Input.Header lets a caller that split the message already spare Check
// the split. These tests split messages with refHeader, a plain reading of
// Field's contract written apart from splitMessage, and check that Check
// gives the same result with the fields as without them, on the corpus,
// the golden messages and generated headers.

// refHeader splits raw as Field describes, or returns nil when raw breaks
// the contract (a CR that is not part of a CRLF, a continuation first, a
// field whose first line has no colon, no empty line). Field has no
// reading of a line without a colon, and no caller makes one: analyze's
// Split ends the header there.
func refHeader(raw []byte) (hdr []Field, body []byte) {
	pos, line := 0, 1
	if bytes.HasPrefix(raw, []byte("From ")) {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return nil, nil
		}
		pos, line = i+1, 2
	}
	for {
		i := bytes.IndexByte(raw[pos:], '\n')
		if i < 0 {
			return nil, nil // no empty line
		}
		text := bytes.TrimSuffix(raw[pos:pos+i], []byte("\r"))
		if bytes.IndexByte(text, '\r') >= 0 {
			return nil, nil
		}
		if len(text) == 0 {
			return hdr, raw[pos+i+1:]
		}
		whole := string(raw[pos : pos+i+1])
		if text[0] == ' ' || text[0] == '\t' {
			if len(hdr) == 0 {
				return nil, nil
			}
			hdr[len(hdr)-1].Value += whole
		} else {
			name, value, ok := strings.Cut(whole, ":")
			if !ok {
				return nil, nil
			}
			hdr = append(hdr, Field{Name: strings.TrimSpace(name), Value: value, Line: line})
		}
		pos += i + 1
		line++
	}
}

// checkHeaderLikeSplit compares Check with and without the fields, offline,
// with and without the body hashes.
func checkHeaderLikeSplit(t *testing.T, name string, raw []byte) bool {
	t.Helper()
	hdr, body := refHeader(raw)
	if hdr == nil {
		return false
	}
	now := func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }
	for _, headerOnly := range []bool{false, true} {
		v := New(Options{Now: now, HeaderOnly: headerOnly})
		want := v.Check(context.Background(), Input{Message: raw})
		got := v.Check(context.Background(), Input{Message: raw, Header: hdr, Body: body})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s (header-only %v): with Header\n%+v\nwithout\n%+v", name, headerOnly, got, want)
		}
	}
	return true
}

func TestHeaderMatchesSplit(t *testing.T) {
	var files []string
	if _, err := os.Stat(corpusDir); err == nil {
		files = corpusFiles(t)
	}
	golden, _ := filepath.Glob(filepath.Join(goldenDir, "*.eml"))
	adopted := 0
	for _, path := range append(files, golden...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if checkHeaderLikeSplit(t, path, raw) {
			adopted++
		}
	}
	if adopted < len(golden) {
		t.Fatalf("only %d messages to compare", adopted)
	}
}

// headerPieces build generated messages: line ends of every kind, folding,
// the fields offline checks read, and lines that are no fields.
var headerPieces = []string{"\r\n", "\n", "\r", " ", "\t", "From: a@example.com", "FROM:b@example.org", "From ",
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=BBBB",
	"dkim-signature:v=1;\n\tl=5; c=relaxed/relaxed", "ARC-Seal: i=1; cv=none; d=example.org; s=s; a=rsa-sha256; b=AA",
	"ARC-Authentication-Results: i=1; mx.example.org; dkim=pass", "ARC-Message-Signature: i=1; d=x; s=y",
	"DKIM-Signature: v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AA; b=BB; c=odd",
	"Subject : x", "x", ":", "bad line", "body"}

func TestHeaderMatchesSplitGenerated(t *testing.T) {
	// LF and mixed line ends, an mbox line, a folded tag; a tag list
	// that does not parse, whose error quotes the value with its line end.
	for _, raw := range []string{
		"ARC-SeAl:0\n\n0", "DKIM-Signature: x\n y\n\n",
		"From: a@example.com\nDKIM-Signature: v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AA; b=BB; c=odd\n x\n\nbody\n",
		"From mbox\nFrom: a@example.com\r\nDKIM-Signature: v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AA; b=BB; c=odd\n x\r\n\r\n",
	} {
		if !checkHeaderLikeSplit(t, raw, []byte(raw)) {
			t.Fatalf("refHeader(%q) = nil", raw)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	adopted := 0
	for range 3600 { // about one in 25 fits the contract
		if checkHeaderLikeSplit(t, "generated", []byte(gentext.Join(r, headerPieces, r.IntN(30)))) {
			adopted++
		}
	}
	if adopted < 100 {
		t.Fatalf("only %d generated messages fit the contract", adopted)
	}
}

// TestReadOffline holds the length ranges and first bytes to the plain
// predicate, with names whose non-ASCII letters fold to ASCII ones (ſ to
// s, K to k), and readOfflineBytes to readOffline; and a field's kind to
// the name it equals (refKind), and its ARC kind to arcKind of its name.
func TestReadOffline(t *testing.T) {
	ref := func(n string) bool {
		return strings.EqualFold(n, "From") || strings.EqualFold(n, "DKIM-Signature") ||
			strings.EqualFold(n, "ARC-Seal") || strings.EqualFold(n, "ARC-Message-Signature") ||
			strings.EqualFold(n, "ARC-Authentication-Results")
	}
	for _, n := range []string{"", "Fro", "From", "from", "FROM", "Frōm", "Date", "DKIM-Signature", "dkim-signature",
		"DKIM-ſignature", "D\u212aIM-Signature", "D\u212aIM-ſignature", "DKIM-Signatur", "ARC-Seal", "arc-seal", "ARC-ſeal",
		"ARC-Message-Signature", "ARC-Message-ſignature", "ARC-Authentication-Results", "ARC-Authentication-Resultſ",
		"X-ARC-Seal", "ARC-Seals", "Received", "Authentication-Results", "Subject", "ARC-Meſſage-ſignature",
		"arc-meſſage-ſignaturE", "ARC-Meſſage-ſignaturex", "D\u212aIM-ſignaturex", "ARC-ſeaL", "ARC-ſeall", "FROM\u212a",
		"aRC-Seal", "dKIM-Signature", "fROM", "ſrom", "\u212aRC-Seal", "ÄRC-Seal", "\xffFrom", "\xff", "A", "F", "Xrom", "Grom"} {
		if got, want := readOffline(n), ref(n); got != want {
			t.Errorf("readOffline(%q) = %v, want %v", n, got, want)
		}
		if got, want := readOfflineBytes([]byte(n)), ref(n); got != want {
			t.Errorf("readOfflineBytes(%q) = %v, want %v", n, got, want)
		}
		if got, want := kindOf(n), refKind(n); got != want {
			t.Errorf("kindOf(%q) = %d, want %d", n, got, want)
		}
		f := field{Name: n, kind: kindOf(n)}
		if got, want := f.arcKind(), arcKind(n); got != want {
			t.Errorf("arcKind of a field named %q = %d, want %d", n, got, want)
		}
	}
}

// TestOfflineSplitLongField: offline, the lines of a field no check reads
// are not listed, so a References field folded over 200,000 lines costs no
// memory for its lines (32 bytes each, grown by appending: 32 MB allocated before).
func TestOfflineSplitLongField(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nReferences:")
	for i := range 200_000 {
		fmt.Fprintf(&b, "\r\n <%d@example.com>", i)
	}
	b.WriteString("\r\nDKIM-Signature: v=1; d=example.com\r\n\r\nbody\r\n")
	raw := []byte(b.String())
	var m *message
	allocated := allocs.Bytes(func() { m = splitFor(raw, true) })
	if len(m.fields) != 2 || m.fields[1].kind != kindDKIM || m.fields[1].Line != 200_003 {
		t.Fatalf("fields %+v, want From and DKIM-Signature (line 200003)", m.fields)
	}
	if allocated > 64<<10 && !allocs.Distorted {
		t.Errorf("the split allocated %d bytes, want under 64 KiB", allocated)
	}
}

// TestFromDomainComments: comments are CFWS (RFC 5322 §3.2.2, §3.4.1) and
// no part of the address DMARC reads, wherever in the From value they
// stand; a "(" in a quoted local part is text.
func TestFromDomainComments(t *testing.T) {
	tests := []struct {
		name, from, want string
	}{
		// The forgery that hid a DMARC failure under p=reject.
		{"inside angle-addr", "PayPal <service@paypal.com(alerts@mailer-eu7.net)>", "paypal.com"},
		{"around every token", "PayPal <(c)service(c)@(c)paypal.com(c)>", "paypal.com"},
		{"before addr-spec", "(alerts@mailer-eu7.net) service@paypal.com", "paypal.com"},
		{"after addr-spec", "service@paypal.com (alerts@mailer-eu7.net)", "paypal.com"},
		{"after angle-addr", "PayPal <service@paypal.com> (<alerts@mailer-eu7.net>)", "paypal.com"},
		{"before domain", "service@(mailer-eu7.net)paypal.com", "paypal.com"},
		{"white space before >", "PayPal <service@paypal.com (alerts@mailer-eu7.net) >", "paypal.com"},
		{"nested", "PayPal <service@paypal.com(a (b) alerts@mailer-eu7.net)>", "paypal.com"},
		{"quoted-pair", `PayPal <service@paypal.com(a\) alerts@mailer-eu7.net)>`, "paypal.com"},
		{"in a list", "PayPal <service@paypal.com(x, <a@mailer-eu7.net>)>, <b@example.org>", "paypal.com"},
		{"paren in quoted local part", `"a(b"@paypal.com`, "paypal.com"},
		{"paren in quoted local part, angle-addr", `Name <"a(b@mailer-eu7.net"@paypal.com>`, "paypal.com"},
		// An unclosed "(" runs to the end: the address before it is read.
		{"unbalanced inside angle-addr", "PayPal <service@paypal.com(alerts@mailer-eu7.net>", "paypal.com"},
		// A "(" never closed before the address: the address as written.
		{"unbalanced before", "Pay(Pal <service@paypal.com>", "paypal.com"},
		{"unclosed quote", `"PayPal <service@paypal.com(alerts@mailer-eu7.net)>`, "paypal.com"},
		{"only a comment", "(service@paypal.com)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := splitMessage([]byte("From: " + tc.from + "\r\nTo: b@example.net\r\n\r\nbody\r\n"))
			if got, _ := m.fromDomain(); got != tc.want {
				t.Errorf("fromDomain of %q = %q, want %q", tc.from, got, tc.want)
			}
		})
	}
}

// TestSplitOutlookHeaders: the header Outlook shows for mail on Exchange,
// saved as the message, starts with a line of its own that is no field;
// the splitter passes over it as analyze.Split does, so both read the same
// fields on the same lines.
func TestSplitOutlookHeaders(t *testing.T) {
	m := splitMessage([]byte("Microsoft Mail Internet Headers Version 2.0\r\nFrom: a@example.com\r\nTo: b@example.net\r\n\r\n"))
	if len(m.fields) != 2 || m.fields[0].Name != "From" || m.fields[0].Line != 2 {
		t.Errorf("fields %+v, want From on line 2 and To", m.fields)
	}
}

// TestIsNormDomain holds isNormDomain, which reads eight bytes at a time,
// to the byte-at-a-time predicate: every byte value at every place of
// names of up to 20 bytes, and names of the corpus's kind.
func TestIsNormDomain(t *testing.T) {
	ref := func(d string) bool {
		if d == "" {
			return true
		}
		if strings.ContainsRune(" \t<>[]", rune(d[0])) || strings.ContainsRune(" \t<>[].", rune(d[len(d)-1])) {
			return false
		}
		for i := 0; i < len(d); i++ {
			if c := d[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
				return false
			}
		}
		return true
	}
	base := "mail.example-01.org"
	for n := 0; n <= len(base); n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				d := base[:at] + string([]byte{byte(c)}) + base[at+1:n]
				if got, want := isNormDomain(d), ref(d); got != want {
					t.Fatalf("isNormDomain(%q) = %v, want %v", d, got, want)
				}
			}
		}
	}
	for _, d := range []string{"example.com", "Example.com", "mail.EXAMPLE.com", "bücher.example", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z", "xn--bcher-kva.example", "[192.0.2.1]", "example.com."} {
		if got, want := isNormDomain(d), ref(d); got != want {
			t.Errorf("isNormDomain(%q) = %v, want %v", d, got, want)
		}
	}
}
