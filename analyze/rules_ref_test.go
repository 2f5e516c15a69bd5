package analyze

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mailtrace/mailtrace/received"
)

// TestFieldLineMatchesScan holds fieldLine, which finds a single-instance
// field through the fields' index, to firstFieldLine's walk, for every
// field name a rule points its findings at and every single-instance
// name, on the corpus and the test messages.
func TestFieldLineMatchesScan(t *testing.T) {
	names := append([]string{}, singleFields[:]...)
	for _, r := range registry {
		if r.Field != "" {
			names = append(names, r.Field)
		}
	}
	names = append(names, "received", "DKIM-Signature", "X-Nothing")
	for _, raw := range rulesBenchMessages(t) {
		msg, err := Split(raw)
		if err != nil {
			continue
		}
		c := &Context{Msg: msg, Report: &MessageReport{}}
		for _, n := range names {
			if got, want := c.fieldLine(n), firstFieldLine(msg.Fields, n); got != want {
				t.Fatalf("fieldLine(%q) = %d, want %d", n, got, want)
			}
		}
	}
}

// TestVerdictOfMatchesMap holds verdictOf, which looks at the rule of the
// finding before first, to the rule's definition worked out with a map,
// on findings of a few rules in runs and interleaved, more rules than its
// buffer holds.
func TestVerdictOfMatchesMap(t *testing.T) {
	ref := func(findings []Finding) int {
		sum, heaviest := map[string]int{}, map[string]int{}
		for _, f := range findings {
			w := SeverityWeight(f.Severity)
			sum[f.Rule] += w
			heaviest[f.Rule] = max(heaviest[f.Rule], w)
		}
		score := 0
		for r := range sum {
			score += min(sum[r], 2*heaviest[r])
		}
		return score
	}
	sevs := []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, ""}
	r := rand.New(rand.NewPCG(21, 22))
	for range 20000 {
		var findings []Finding
		rules := 1 + r.IntN(12)
		for range r.IntN(30) {
			rule := fmt.Sprintf("rule-%d", r.IntN(rules))
			for range 1 + r.IntN(3) {
				findings = append(findings, Finding{Rule: rule, Severity: sevs[r.IntN(len(sevs))]})
			}
		}
		want := ref(findings)
		if v, score := verdictOf(findings); score != want || v != VerdictFor(want) {
			t.Fatalf("verdictOf(%v) = %s %d, want %d", findings, v, score, want)
		}
	}
}

// TestHopKinds holds the one walk the two parse rules share to what each
// rule's own walk found, on every chain of the corpus.
func TestHopKinds(t *testing.T) {
	for _, raw := range rulesBenchMessages(t) {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		c := &Context{Msg: p.msg, Report: p.rep}
		unparsed, undated := false, false
		for _, h := range p.rep.Hops {
			unparsed = unparsed || h.Parsed == received.ParsedNone
			undated = undated || h.Time == nil && h.Parsed != received.ParsedNone
		}
		k := c.hopKinds()
		if k&hopUnparsed != 0 != unparsed || k&hopUndated != 0 != undated {
			t.Fatalf("hopKinds = %b, want unparsed %v, undated %v", k, unparsed, undated)
		}
	}
}

// verdictOf combines a finished list of findings into a verdict and a
// score: the reference judge's score (runRules adds each rule's up as it
// gathers its findings) is held to.
func verdictOf(findings []Finding) (Verdict, int) {
	// A message has findings of a few rules: a short list beats a map.
	// A rule's findings come together, so each finding looks first at the
	// rule of the one before it; the findings are read in place, not
	// copied out one by one.
	type ruleWeight struct {
		rule          string
		sum, heaviest int
	}
	var buf [8]ruleWeight
	rules := buf[:0]
	k := 0
	for i := range findings {
		f := &findings[i]
		w := SeverityWeight(f.Severity)
		if k == len(rules) || rules[k].rule != f.Rule {
			k = 0
			for k < len(rules) && rules[k].rule != f.Rule {
				k++
			}
		}
		if k == len(rules) {
			rules = append(rules, ruleWeight{rule: f.Rule})
		}
		rules[k].sum += w
		rules[k].heaviest = max(rules[k].heaviest, w)
	}
	score := 0
	for _, r := range rules {
		score += ruleScore(r.sum, r.heaviest)
	}
	return VerdictFor(score), score
}
