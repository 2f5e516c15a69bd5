package rfc5322

import (
	"strings"
	"testing"
	"time"
)

func TestStripComments(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// The forgery that hid a DMARC failure: a comment inside the
		// angle-addr holding a second address.
		{"inside angle-addr", "PayPal <service@paypal.com(alerts@mailer-eu7.net)>", "PayPal <service@paypal.com>"},
		// RFC 5322 §3.4.1: CFWS around every token of the addr-spec.
		{"around every token", "<(c)service(c)@(c)paypal.com(c)>", "<service@paypal.com>"},
		{"before addr-spec", "(c) service@paypal.com", "service@paypal.com"},
		{"after addr-spec", "service@paypal.com (c)", "service@paypal.com"},
		{"before @", "service (c) @paypal.com", "service@paypal.com"},
		{"before dot", "service@paypal(c).com", "service@paypal.com"},
		{"white space before >", "PayPal <service@paypal.com (alerts@mailer-eu7.net) >", "PayPal <service@paypal.com>"},
		{"between words", "John(c)Smith <j@example.com>", "John Smith <j@example.com>"},
		{"between name and angle", "PayPal (c) <service@paypal.com>", "PayPal<service@paypal.com>"},
		// §3.2.2: ccontent holds nested comments.
		{"nested", "service@paypal.com(a (b) c@evil.net)", "service@paypal.com"},
		{"nested deep", "<service@paypal.com((((x))))>", "<service@paypal.com>"},
		// §3.2.1: a quoted-pair in a comment neither closes nor opens one.
		{"quoted-pair close", `<service@paypal.com(a\) x@evil.net)>`, "<service@paypal.com>"},
		{"quoted-pair open", `<service@paypal.com(a\( x)@evil.net>`, "<service@paypal.com@evil.net>"},
		{"quoted-pair backslash", `<service@paypal.com(a\\)>`, "<service@paypal.com>"},
		// §3.2.4: "(" in a quoted string is text.
		{"paren in quoted local part", `"a(b"@paypal.com`, `"a(b"@paypal.com`},
		{"paren in quoted local part and comment", `"a(b)"@paypal.com(c)`, `"a(b)"@paypal.com`},
		{"paren in quoted name", `"PayPal (Support)" <service@paypal.com>`, `"PayPal (Support)" <service@paypal.com>`},
		{"escaped quote in quoted string", `"a\"(b" <x@y.z(c)>`, `"a\"(b" <x@y.z>`},
		{"escaped paren outside", `a\(b@c.d`, `a\(b@c.d`},
		// The white space a comment's folding drops is not an escaped one:
		// "\ " taken apart left a "\" that escaped what came next.
		{"escaped space before comment", `\ ()"(`, `\ "(`},
		// Departures: an unclosed comment runs to the end, a stray ")" is text.
		{"unbalanced open", "<service@paypal.com(alerts@mailer-eu7.net>", "<service@paypal.com"},
		{"unbalanced nested", "a@b.c ((x)", "a@b.c"},
		{"only open", "(", ""},
		{"trailing backslash in comment", `a@b.c (x\`, "a@b.c"},
		{"trailing backslash", `a@b.c\`, `a@b.c\`},
		{"stray close", "a@b.c) (x)", "a@b.c)"},
		{"unclosed quote", `"PayPal <service@paypal.com(x)>`, `"PayPal <service@paypal.com(x)>`},
		{"no comment", "PayPal <service@paypal.com>", "PayPal <service@paypal.com>"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripComments(tc.in); got != tc.want {
				t.Errorf("StripComments(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestStripCommentsLinear: a flood of comments, or of unclosed ones, is
// read in one pass.
func TestStripCommentsLinear(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("a (b) ", 200000),
		strings.Repeat("(", 1<<20),
		strings.Repeat(`(\`, 1<<19),
		"a" + strings.Repeat(" ", 1<<20) + "(x)",
	} {
		start := time.Now()
		StripComments(in)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%d bytes took %v", len(in), d)
		}
	}
}

// FuzzStripComments: no panic, nothing added, no comment left (a second
// pass changes nothing), and a value without "(" comes back as it was.
func FuzzStripComments(f *testing.F) {
	for _, s := range []string{"PayPal <service@paypal.com(alerts@mailer-eu7.net)>", "<(c)a(c)@(c)b.c(c)>", `"a(b"@c (d\) (e))`, "((", `\`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := StripComments(s)
		if len(got) > len(s) {
			t.Fatalf("StripComments(%q) = %q: longer", s, got)
		}
		if again := StripComments(got); again != got {
			t.Fatalf("StripComments(%q) = %q, then %q", s, got, again)
		}
		if !strings.Contains(s, "(") && got != s {
			t.Fatalf("StripComments(%q) = %q without a comment", s, got)
		}
	})
}
