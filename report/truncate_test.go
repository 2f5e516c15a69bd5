package report

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
)

// refTruncate is the former truncate, which decoded the whole of s.
func refTruncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// truncatePieces build text of every kind truncate and truncateFields
// meet: white space ASCII and not (NBSP, NEL, em space), runes of two to
// four bytes, bytes that are no UTF-8, a sequence cut short.
var truncatePieces = []string{"a", "word", " ", "  ", "\t", "\r\n", "\u00a0", "\u0085", "\u2003", "é", "日本", "🙂",
	"\xff", "\xe2\x82", "\x85", "…"}

// TestTruncateMatchesReference: truncate and truncateFields give what
// []rune and strings.Fields gave, on generated text and limits.
func TestTruncateMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 20000 {
		s := gentext.Join(r, truncatePieces, r.IntN(30))
		n := r.IntN(25)
		if got, want := truncate(s, n), refTruncate(s, n); got != want {
			t.Fatalf("truncate(%q, %d) = %q, want %q", s, n, got, want)
		}
		if got, want := truncateFields(s, n), refTruncate(strings.Join(strings.Fields(s), " "), n); got != want {
			t.Fatalf("truncateFields(%q, %d) = %q, want %q", s, n, got, want)
		}
	}
}

// TestTruncateFieldsBounded: evidence of 4 MiB is cut to its first runes
// without building its words: it allocated 13 MB before.
func TestTruncateFieldsBounded(t *testing.T) {
	s := strings.Repeat("lorem  ipsum\r\n\tdolor ", 4<<20/21)
	var got string
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got = truncateFields(s, 300)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("truncateFields allocated %d bytes, want under 64 KiB", n)
	}
	if want := refTruncate(strings.Join(strings.Fields(s), " "), 300); got != want {
		t.Errorf("truncateFields = %q, want %q", got, want)
	}
}
