// Package gentext builds random text for the tests that hold a fast
// function to its reference: n pieces drawn from a list, so that generated
// input stays close to what the function really reads.
package gentext

import (
	"math/rand/v2"
	"strings"
)

// Join returns n pieces drawn at random from pieces, joined.
func Join(r *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}
