package analyze

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestDuplicatesByKeyMatchesPairwise: on a chain too long to compare pair
// by pair, the hops found to be copies are those the comparison of every
// pair finds: lines folded differently are copies, lines that differ in a
// vertical tab (white space to strings.Fields, not to hopKeys) or in their
// id are not.
func TestDuplicatesByKeyMatchesPairwise(t *testing.T) {
	lines := []string{
		"from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1; Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.1])\r\n\tby b.example with ESMTP id 1; Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1;\v Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 2; Mon, 3 Mar 2025 10:00:00 +0000",
		"by c.example; Mon, 3 Mar 2025 09:59:00 +0000",
		"no parse at all",
	}
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for range 3 * maxPairwiseHops {
		b.WriteString("Received: " + lines[r.IntN(len(lines))] + "\r\n")
	}
	b.WriteString("From: a@a.example\r\n\r\nbody\r\n")
	rep := New(Options{Now: rulesNow, HeaderOnly: true}).Analyze(context.Background(), Input{Raw: []byte(b.String())})
	pairwise, byKey := make([]int, len(rep.Hops)), make([]int, len(rep.Hops))
	(&Context{Report: rep}).duplicatesPairwise(pairwise)
	(&Context{Report: rep}).duplicatesByKey(byKey)
	if !slices.Equal(byKey, pairwise) {
		t.Fatalf("by key %v\npairwise %v", byKey, pairwise)
	}
	copies := 0
	for _, j := range pairwise {
		if j >= 0 {
			copies++
		}
	}
	if copies == 0 || copies == len(pairwise) {
		t.Fatalf("%d of %d hops are copies: the chain tests nothing", copies, len(pairwise))
	}
}
