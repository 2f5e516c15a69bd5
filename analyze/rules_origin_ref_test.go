package analyze

import (
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/received"
)

// TestWebSubmission holds webSubmission, which trims a clause only when
// an end of it is a space or not ASCII (plainClause, which
// checkOriginNotOldest asks first) and compares four ASCII bytes, to
// strings.TrimSpace and strings.EqualFold, on clauses around HTTP with
// ASCII and other white space, letters that fold to ASCII ones ("ſ" is
// s, the Kelvin sign k) and others, with and without a via.
func TestWebSubmission(t *testing.T) {
	ref := func(h *received.Hop) string {
		proto := strings.TrimSpace(h.With)
		if proto == "" {
			proto = strings.TrimSpace(h.Via)
		}
		if !strings.EqualFold(proto, "HTTP") {
			return ""
		}
		return proto
	}
	cores := []string{"", "HTTP", "http", "HtTp", "HTTPS", "HTT", "ESMTP", "HTTP/1.1", "ſmtp", "\u212aTTP", "HTTP\u00a0x"}
	pads := []string{"", " ", "\t", "\n", "\v", "\f", "\r", "\u0085", "\u00a0", "\u2003", "x", "\u00e9"}
	var clauses []string
	for _, c := range cores {
		for _, l := range pads {
			for _, r := range pads {
				clauses = append(clauses, l+c+r)
			}
		}
	}
	for _, w := range clauses {
		for _, v := range []string{"", "HTTP", " http ", "SMTP", "\u00a0HTTP"} {
			h := &received.Hop{With: w, Via: v}
			if got, want := webSubmission(h), ref(h); got != want {
				t.Fatalf("webSubmission(with %q, via %q) = %q, want %q", w, v, got, want)
			}
			if plainClause(w) && len(w) != 4 && ref(h) != "" { // checkOriginNotOldest's shortcut
				t.Fatalf("with %q, via %q: plainClause skips a web submission", w, v)
			}
		}
	}
	for r := rune(0); r < 0x3000; r++ {
		for _, w := range []string{string(r) + "TTP", "H" + string(r) + "TP", "HT" + string(r) + "P", "HTT" + string(r), string(r)} {
			h := &received.Hop{With: w}
			if got, want := webSubmission(h), ref(h); got != want {
				t.Fatalf("webSubmission(with %q) = %q, want %q", w, got, want)
			}
			if plainClause(w) && (w == "" || strings.TrimSpace(w) != w) {
				t.Fatalf("plainClause(%q), which strings.TrimSpace changes", w)
			}
		}
	}
}
