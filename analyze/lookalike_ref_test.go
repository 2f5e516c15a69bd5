package analyze

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// TestOneEdit holds oneEdit to the Damerau-Levenshtein distance it stands
// for, on every pair of short labels from a small alphabet and on random
// longer ones.
func TestOneEdit(t *testing.T) {
	const alphabet = "ab-1"
	var labels []string
	var grow func(prefix string)
	grow = func(prefix string) {
		labels = append(labels, prefix)
		if len(prefix) < 4 {
			for _, c := range alphabet {
				grow(prefix + string(c))
			}
		}
	}
	grow("")
	check := func(a, b string) {
		if got, want := oneEdit(a, b), a != b && editDistance(a, b) == 1; got != want {
			t.Fatalf("oneEdit(%q, %q) = %v, distance %d", a, b, got, editDistance(a, b))
		}
		// targetIndex passes over the labels whose masks do not pass.
		if oneEdit(a, b) && !oneEditMasks(byteMask(a), byteMask(b)) {
			t.Fatalf("oneEdit(%q, %q), but their byte masks are told apart", a, b)
		}
	}
	for _, a := range labels {
		for _, b := range labels {
			check(a, b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 6+r.IntN(10))
		for i := range b {
			b[i] = "paypl"[r.IntN(5)]
		}
		return string(b)
	}
	for range 20000 {
		a := word()
		b := []byte(a)
		switch i := r.IntN(len(b)); r.IntN(4) {
		case 0:
			b[i] = "paypl"[r.IntN(5)]
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{'y'}, b[i:]...)...)
		case 3:
			if i+1 < len(b) {
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
		check(a, string(b))
		check(a, word())
	}
}

// editDistance is the Damerau-Levenshtein distance (adjacent swaps count
// as one edit, the typing error phishers imitate).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// TestTargetIndexMatchesScan holds the index's skeleton and real-name
// questions, which it answers through lengths and first bytes, to a walk
// over its targets, and the provider filter to the map it spares.
func TestTargetIndexMatchesScan(t *testing.T) {
	x := wellKnownIndex
	var probes []string
	for _, tg := range x.targets {
		probes = append(probes, tg.skel, tg.label, tg.skel+"x", tg.skel[1:], "x"+tg.skel)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "aeilmnoprs.1"[r.IntN(12)]
		}
		probes = append(probes, string(b))
	}
	for _, tg := range x.targets { // one byte changed, dropped or added
		for i := range len(tg.label) {
			for _, c := range "ao1-z" {
				probes = append(probes, tg.label[:i]+string(c)+tg.label[i+1:], tg.label[:i]+tg.label[i+1:],
					tg.label[:i]+string(c)+tg.label[i:])
			}
		}
	}
	probes = append(probes, "", strings.Repeat("p", 40))
	for _, s := range probes {
		var want uint64
		for i, tg := range x.targets {
			if tg.skel == s {
				want |= 1 << i
			}
		}
		if got := x.sameSkel(s); got != want {
			t.Fatalf("sameSkel(%q) = %b, want %b", s, got, want)
		}
		// near, which counts lacking bytes for all targets at once, against
		// oneEditMasks target by target.
		want = x.sameSkel(s)
		if n := len(s); n >= 6 {
			for i, tg := range x.targets {
				if l := len(tg.label); l >= 6 && l >= n-1 && l <= n+1 && oneEditMasks(byteMask(s), x.masks[i]) {
					want |= 1 << i
				}
			}
		}
		if got := x.candidates(s, s); got != want {
			t.Fatalf("candidates(%q) = %b, want %b", s, got, want)
		}
		for _, suffix := range []string{"com", "co.uk", "us", "net"} {
			label := s
			real := false
			for _, tg := range x.targets {
				real = real || tg.label == label && tg.suffix == suffix
			}
			if got := x.isReal(x.sameSkel(facts(label+"."+suffix).skel), label, suffix); got != real && label != "" {
				t.Fatalf("isReal(%q, %q) = %v, want %v", label, suffix, got, real)
			}
		}
		for _, d := range []string{s, s + ".com", s + "mail.com", "g" + s} {
			if got, want := mailboxProvider(d), mailboxProviders[d]; got != want {
				t.Fatalf("mailboxProvider(%q) = %q, want %q", d, got, want)
			}
		}
	}
	for d, p := range mailboxProviders {
		if got := mailboxProvider(d); got != p {
			t.Fatalf("mailboxProvider(%q) = %q, want %q", d, got, p)
		}
	}
}

// TestMixedScriptsASCII: a label of ASCII alone never mixes scripts, as
// mixedScripts now says without walking it.
func TestMixedScriptsASCII(t *testing.T) {
	for _, s := range []string{"paypal", "p\u0430ypal", "\u0430\u0431", "x\u03bf", "caf\u00e9", "a1-"} {
		latin, other := false, false
		for _, r := range s {
			latin = latin || r < 128 && unicode.IsLetter(r)
			other = other || unicode.In(r, unicode.Cyrillic, unicode.Greek, unicode.Armenian)
		}
		if got := mixedScripts(s); got != (latin && other) {
			t.Errorf("mixedScripts(%q) = %v", s, got)
		}
	}
}

// TestIsASCIIWords holds isASCII, which reads eight bytes at a time, to a
// byte-by-byte walk: a byte of 0x80 or more at every place of strings of
// every length up to five words.
func TestIsASCIIWords(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 40; n++ {
		b := []byte(strings.Repeat("a~\x7f", 14)[:n])
		if got := isASCII(string(b)); got != ref(string(b)) {
			t.Fatalf("isASCII(%q) = %v", b, got)
		}
		for i := range b {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				old := b[i]
				b[i] = c
				if got := isASCII(string(b)); got != ref(string(b)) {
					t.Fatalf("isASCII(%q) = %v", b, got)
				}
				b[i] = old
			}
		}
	}
}

// TestHasACE holds hasACE to strings.Contains on every string of up to
// six bytes from the bytes of "xn--" and one other.
func TestHasACE(t *testing.T) {
	var grow func(s string)
	grow = func(s string) {
		if got, want := hasACE(s), strings.Contains(s, "xn--"); got != want {
			t.Fatalf("hasACE(%q) = %v, want %v", s, got, want)
		}
		if len(s) < 6 {
			for _, c := range []string{"x", "n", "-", "a"} {
				grow(s + c)
			}
		}
	}
	grow("")
}

// TestLookalikeOtherSenders holds the judging of Reply-To, Sender and
// Return-Path to its findings, in that order: medium at most, with the
// field as evidence, and a domain judged once (the Return-Path is at the
// Reply-To's paypa1.com).
func TestLookalikeOtherSenders(t *testing.T) {
	m := analyzeFile(t, filepath.Join("../testdata/chains/forged", "lookalike-reply-to-and-sender.eml"), Options{Now: chainsNow})
	want := []Finding{
		{Severity: SeverityMedium, Message: "Reply-To domain paypa1.com reads as paypal.com", Evidence: "Reply-To: billing@paypa1.com", Line: 9},
		{Severity: SeverityMedium, Message: "Sender domain rnicrosoft.com reads as microsoft.com", Evidence: "Sender: billing@rnicrosoft.com", Line: 9},
	}
	var got []Finding
	for _, f := range m.Findings {
		if f.Rule == "lookalike-domain" {
			got = append(got, Finding{Severity: f.Severity, Message: f.Message, Evidence: f.Evidence, Line: f.Line})
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lookalike-domain findings\n got %+v\nwant %+v", got, want)
	}
}
