package analyze

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/received"
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
	raw := randomChain(rand.New(rand.NewPCG(3, 4)), lines, 3*maxPairwiseHops)
	rep := New(Options{Now: rulesNow, HeaderOnly: true}).Analyze(context.Background(), Input{Raw: raw})
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

// TestHopCap: a message with more Received fields than maxHops keeps them
// all in its header, and its chain is the newest maxHops of them; the
// report's defects say how many were left out from which line on (a file
// line when the message sits further down an mbox), and received-too-many
// counts every field. Lines past the limit that the receiving side wrote
// (internal addresses all the way down) are a loop inside it: info.
func TestHopCap(t *testing.T) {
	const n = maxHops + 205
	var b strings.Builder
	for i := n; i >= 1; i-- { // newest first; hop i comes from relay i-1
		fmt.Fprintf(&b, "Received: from r%d.example.org (r%d.example.org [10.0.%d.%d])\r\n\tby r%d.example.org; Mon, 3 Mar 2025 09:%02d:%02d +0000\r\n",
			i-1, i-1, i/250, i%250, i, i/60%60, i%60)
	}
	b.WriteString("From: a@example.org\r\nTo: b@example.org\r\nDate: Mon, 3 Mar 2025 09:00:00 +0000\r\n\r\nbody\r\n")
	for _, start := range []int{1, 11} {
		m := New(Options{Now: rulesNow}).Analyze(context.Background(), Input{Raw: []byte(b.String()), Line: start})
		if len(m.Hops) != maxHops || m.Hops[maxHops-1].Line != start || m.Hops[0].Line != start+2*(maxHops-1) {
			t.Fatalf("start %d: %d hops, newest on line %d, oldest on line %d", start, len(m.Hops), m.Hops[maxHops-1].Line, m.Hops[0].Line)
		}
		received := 0
		for _, f := range m.Header.Fields {
			if f.Name == "Received" {
				received++
			}
		}
		want := fmt.Sprintf("line %d: 205 older Received fields not analysed (at most %d hops are)", start+2*maxHops, maxHops)
		if received != n || !slices.Contains(m.Defects, want) {
			t.Errorf("start %d: %d Received fields in the header, defects %q; want %d and %q", start, received, m.Defects, n, want)
		}
		got := fired(m)["received-too-many"]
		if len(got) != 1 || got[0].Hops[0] != maxHops-hopLimit || got[0].Severity != SeverityInfo ||
			!strings.HasPrefix(got[0].Message, fmt.Sprintf("%d Received fields, more than the %d", n, hopLimit)) {
			t.Errorf("start %d: received-too-many %+v; want one info finding on hop %d counting %d fields", start, got, maxHops-hopLimit, n)
		}
	}
}

// TestDuplicatesPairwiseMatchesReference: hops that parse alike have one
// shape (parseShape), and the copies duplicatesPairwise finds over the
// corpus (and a random chain of lines alike) are those of comparing every
// pair's parse, text hash and words as it did before shapes and sameCopy.
func TestDuplicatesPairwiseMatchesReference(t *testing.T) {
	reference := func(hops []received.Hop) []int {
		out := make([]int, len(hops))
		for i := range out {
			out[i] = -1
			for j := 0; j < i; j++ {
				if sameParse(&hops[j], &hops[i]) && normHash(hops[j].Raw) == normHash(hops[i].Raw) &&
					sameLine(hops[j].Raw, hops[i].Raw) {
					out[i] = j
					break
				}
			}
		}
		return out
	}
	lines := []string{
		"from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1; Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.1])\r\n\tby b.example with ESMTP id 1; Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 2; Mon, 3 Mar 2025 10:00:00 +0000",
		"from a.example (a.example [192.0.2.2]) by b.example with ESMTP id 1; Mon, 3 Mar 2025 10:00:00 +0000",
		"by c.example; Mon, 3 Mar 2025 09:59:00 +0000",
	}
	raws := append(rulesBenchMessages(t), randomChain(rand.New(rand.NewPCG(5, 6)), lines, 20))
	copies := 0
	for _, raw := range raws {
		p, ok := headerPath(raw)
		if !ok || len(p.rep.Hops) > maxPairwiseHops {
			continue
		}
		hops := p.rep.Hops
		for i := range hops {
			for j := range hops {
				if sameParse(&hops[i], &hops[j]) && parseShape(&hops[i]) != parseShape(&hops[j]) {
					t.Fatalf("hops %d and %d parse alike, shapes differ", i, j)
				}
			}
		}
		got, want := make([]int, len(hops)), reference(hops)
		(&Context{Report: p.rep}).duplicatesPairwise(got)
		if !slices.Equal(got, want) {
			t.Fatalf("duplicatesPairwise %v, reference %v", got, want)
		}
		for _, j := range got {
			if j >= 0 {
				copies++
			}
		}
	}
	if copies == 0 {
		t.Fatal("no copies found: the test compares nothing")
	}
}

// TestSameCopy holds sameCopy to what duplicatesPairwise asked before:
// the same normHash and the same strings.Fields words, on lines built from
// every kind of white space (normHash's, the rest of strings.Fields',
// Unicode's), words that differ in a byte, and bytes that are not UTF-8;
// and sameWords never holds where the hashes differ.
func TestSameCopy(t *testing.T) {
	pieces := []string{" ", "\t", "\r\n", "\n", "\v", "\f", "\u0085", "\u00a0", "a", "b", "ab", "é", "\xff", "by", "x.example"}
	r := rand.New(rand.NewPCG(7, 8))
	build := func() string {
		var b strings.Builder
		for range r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	same := 0
	for range 200000 {
		a := build()
		b := a
		if r.IntN(2) == 0 {
			b = build()
		} else if r.IntN(2) == 0 {
			// The same words, white space changed.
			b = strings.NewReplacer(" ", "\t", "\n", "  ", "\v", " ").Replace(a)
		}
		want := normHash(a) == normHash(b) && sameLine(a, b)
		if got := sameCopy(a, b); got != want {
			t.Fatalf("sameCopy(%q, %q) = %v, want %v", a, b, got, want)
		}
		if sameWords(a, b) && normHash(a) != normHash(b) {
			t.Fatalf("sameWords(%q, %q) holds, the hashes differ", a, b)
		}
		if want && a != b {
			same++
		}
	}
	if same < 1000 {
		t.Fatalf("only %d distinct pairs were copies: the test tells little", same)
	}
}

// randomChain is a message of n Received fields, each one of lines picked
// by r, then a From and a body.
func randomChain(r *rand.Rand, lines []string, n int) []byte {
	var b strings.Builder
	for range n {
		b.WriteString("Received: " + lines[r.IntN(len(lines))] + "\r\n")
	}
	b.WriteString("From: a@a.example\r\n\r\nbody\r\n")
	return []byte(b.String())
}
