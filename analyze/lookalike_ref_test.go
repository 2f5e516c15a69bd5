package analyze

import (
	"math/rand/v2"
	"testing"
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
