package received

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"
)

// checkInvariants holds for any input: Raw is the input, addresses are
// canonical, notes stay few.
func checkInvariants(t testing.TB, in string, h Hop) {
	t.Helper()
	if h.Raw != in {
		t.Fatalf("Raw differs from the input (len %d vs %d)", len(h.Raw), len(in))
	}
	for _, ip := range []string{h.From.IP, h.By.IP} {
		if ip == "" {
			continue
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || a.String() != ip || a.Is4In6() {
			t.Fatalf("address %q is not canonical: %v", ip, err)
		}
	}
	if len(h.Notes) > maxNotes+1 {
		t.Fatalf("%d notes", len(h.Notes))
	}
	switch h.Parsed {
	case ParsedFull, ParsedPartial, ParsedNone:
	default:
		t.Fatalf("Parsed = %q", h.Parsed)
	}
}

// TestHostileInput feeds what an attacker or a broken MTA can write. Each
// case must finish (the package timeout bounds the run) without a panic.
func TestHostileInput(t *testing.T) {
	const mb = 1 << 20
	rng := rand.New(rand.NewSource(1))
	junk := make([]byte, mb)
	rng.Read(junk)
	cases := map[string]string{
		"binary":              string(junk),
		"nul bytes":           "from a\x00b (c\x00 [192.0.2.1\x00]) by \x00; Mon, 1 Jan 2024 10:00:00 +0000\x00",
		"invalid utf-8":       "from \xff\xfe (\xc3\x28 [192.0.2.1]) by h\xe2\x82; Mon, 1 Jan 2024 10:00:00 +0000",
		"unbalanced open":     "from a (b [192.0.2.1] by c (d (e; Mon, 1 Jan 2024 10:00:00 +0000",
		"unbalanced close":    "from a b) [192.0.2.1]) by c)); Mon, 1 Jan 2024 10:00:00 +0000",
		"unbalanced brackets": "from [a [b [192.0.2.1 by <c <d \"e; Mon, 1 Jan 2024 10:00:00 +0000",
		"deep nesting":        "from a " + strings.Repeat("(", 100000) + "x" + strings.Repeat(")", 100000) + " by b; Mon, 1 Jan 2024 10:00:00 +0000",
		"deep open only":      strings.Repeat("(", mb),
		"1MB of words":        "from " + strings.Repeat("a ", mb/2) + "; Mon, 1 Jan 2024 10:00:00 +0000",
		"1MB of keywords":     strings.Repeat("from by with id for via ", mb/24),
		"1MB of brackets":     strings.Repeat("[", mb),
		"1MB in a comment":    "from a (" + strings.Repeat("[x ", mb/3) + ") by b; Mon, 1 Jan 2024 10:00:00 +0000",
		"1MB of angles":       "for " + strings.Repeat("<", mb),
		"1MB of quotes":       strings.Repeat("\"", mb),
		"1MB of semicolons":   strings.Repeat(";", mb),
		"1MB of dates":        strings.Repeat("Mon, 1 Jan 2024 10:00:00 +0000 (x-y) ", mb/36),
		"1MB of digits":       "by a; 1 Jan 2024 10:00:00." + strings.Repeat("9", mb),
		"1MB of spaces":       "from a" + strings.Repeat(" ", mb) + "by b; Mon," + strings.Repeat(" ", mb) + "1 Jan 2024 10:00:00 +0000",
		"1MB of addresses":    "from a (" + strings.Repeat("[192.0.2.1] ", mb/12) + ") by b",
		"1MB of helo":         "from a (" + strings.Repeat("helo= HELO ", mb/11) + ")",
		"1MB of folding":      "from a" + strings.Repeat("\r\n ", mb/3) + "by b; Mon, 1 Jan 2024 10:00:00 +0000",
		"lone keyword":        "from",
		"lone semicolon":      ";",
		"lone paren":          "(",
		"escaped paren":       `from a (b\) [192.0.2.1]) by c; Mon, 1 Jan 2024 10:00:00 +0000`,
		"trailing backslash":  `from a (b\`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			checkInvariants(t, in, Parse(in))
		})
	}
}

// TestRandomFragments shuffles pieces of real-shaped lines.
func TestRandomFragments(t *testing.T) {
	pieces := []string{"from", "by", "with", "id", "for", "via", ";", "(", ")", "[", "]", "<", ">", "\"",
		"\\", "helo=", "HELO", "[192.0.2.1]", "[IPv6:2001:db8::1]", "(10.1.2.3)", "Mon,", "1", "Jan", "2024",
		"10:00:00", "+0000", "(PST)", "ESMTPSA", "envelope-from", "really", "\r\n\t", " ", "%9", "::ffff:1.2.3.4"}
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.Intn(30); n > 0; n-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
			if rng.Intn(2) == 0 {
				b.WriteByte(' ')
			}
		}
		in := b.String()
		checkInvariants(t, in, Parse(in))
	}
}

// TestBuildChainLarge runs 100,000 fields through BuildChain; it must
// complete (the work is linear) and number and order the hops.
func TestBuildChainLarge(t *testing.T) {
	const n = 100000
	lines := goldenLines(t)
	values := make([]string, 0, len(lines))
	for _, v := range lines {
		values = append(values, v)
	}
	fields := make([]Field, n)
	for i := range fields {
		fields[i] = Field{Value: values[i%len(values)], Line: i + 1}
	}
	c := BuildChain(fields)
	if len(c.Hops) != n {
		t.Fatalf("%d hops", len(c.Hops))
	}
	first, last := c.Hops[0], c.Hops[n-1]
	if first.Index != 1 || last.Index != n || first.Line != n || last.Line != 1 {
		t.Errorf("first %d/%d, last %d/%d", first.Index, first.Line, last.Index, last.Line)
	}
}

// TestBuildChainDelays checks the signed delay, including a clock that
// steps backwards.
func TestBuildChainDelays(t *testing.T) {
	c := BuildChain([]Field{
		{Value: "from b by c with SMTP; Mon, 1 Jan 2024 10:00:00 +0000", Line: 1},
		{Value: "from a by b with SMTP; Mon, 1 Jan 2024 11:00:05 +0100", Line: 3},
		{Value: "by a; Mon, 1 Jan 2024 10:00:00 +0000", Line: 5},
	})
	want := []any{nil, 5.0, -5.0}
	for i, h := range c.Hops {
		var got any
		if h.DelaySeconds != nil {
			got = *h.DelaySeconds
		}
		if got != want[i] {
			t.Errorf("hop %d delay %v, want %v", i+1, got, want[i])
		}
	}
}
