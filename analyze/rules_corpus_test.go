package analyze

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var corpusVerbose = flag.Bool("corpus-verbose", false, "log every corpus message that is not clean")

// corpusNow is a fixed clock for corpus runs: the corpus has messages
// from 1997 to now, and age alone must never be a finding. It returns a
// time made once, as `--now` makes the CLI's clock: the benchmarks time
// the rules that ask it, not time.Date.
func corpusNow() time.Time { return corpusTime }

var corpusTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func loadRulesCorpus(tb testing.TB) []Source {
	tb.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	var out []Source
	err := ReadSources([]string{corpusDir}, nil, func(s Source) error {
		if s.Err == nil {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Skip("corpus is empty")
	}
	return out
}

// TestCorpusFalsePositives runs every rule over real mail and holds the
// false-positive budget: at most 1% forged, 10% suspicious or worse, 1% of
// adjacent hop pairs reported as continuity breaks.
func TestCorpusFalsePositives(t *testing.T) {
	srcs := loadRulesCorpus(t)
	a := New(Options{HeaderOnly: true, Now: corpusNow})
	verdicts := map[Verdict]int{}
	perRule := map[string]int{}
	pairs, breaks, msgs := 0, 0, 0
	for _, s := range srcs {
		m := a.Analyze(context.Background(), Input{File: s.File, Index: s.Index, Raw: s.Raw})
		if m.Error != "" {
			continue
		}
		msgs++
		verdicts[m.Verdict]++
		if len(m.Hops) > 1 {
			pairs += len(m.Hops) - 1
		}
		fired := map[string]bool{}
		for _, f := range m.Findings {
			if f.Rule == "hop-continuity" {
				breaks++
			}
			fired[f.Rule] = true
			if f.Severity != SeverityInfo {
				fired[f.Rule+" (low or worse)"] = true
			}
		}
		for r := range fired {
			perRule[r]++
		}
		if *corpusVerbose && m.Verdict != VerdictClean {
			t.Logf("%s: %s (%d)\n%s", strings.TrimPrefix(s.File, corpusDir+"/"), m.Verdict, m.Score, describeFindings(m.Findings))
		}
	}
	forged := pct(verdicts[VerdictForged], msgs)
	susp := pct(verdicts[VerdictForged]+verdicts[VerdictSuspicious], msgs)
	brk := pct(breaks, pairs)
	t.Logf("%d messages: forged %d (%.1f%%), suspicious or worse %d (%.1f%%); %d/%d hop pairs broken (%.2f%%)",
		msgs, verdicts[VerdictForged], forged, verdicts[VerdictForged]+verdicts[VerdictSuspicious], susp, breaks, pairs, brk)
	t.Logf("messages per rule:\n%s", formatCounts(perRule))
	if forged > 1 {
		t.Errorf("%.1f%% of corpus messages forged, budget 1%%", forged)
	}
	if susp > 10 {
		t.Errorf("%.1f%% of corpus messages suspicious or worse, budget 10%%", susp)
	}
	if brk > 1 {
		t.Errorf("%.2f%% of hop pairs reported as continuity breaks, budget 1%%", brk)
	}
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func describeFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Severity == SeverityInfo {
			continue
		}
		fmt.Fprintf(&b, "    %-6s %-22s %v %s\n", f.Severity, f.Rule, f.Hops, f.Message)
	}
	return b.String()
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-38s %d\n", k, m[k])
	}
	return b.String()
}

// corpusContexts reads every corpus message as Analyze does, header-only
// and offline, and returns each one's rule context with the trust
// boundary inferred: for tests of one rule's parts over real mail.
func corpusContexts(tb testing.TB) []*Context {
	a := New(Options{HeaderOnly: true, Now: corpusNow, DNSMode: "offline"})
	var out []*Context
	for _, s := range loadRulesCorpus(tb) {
		rep, msg := a.read(Input{File: s.File, Raw: s.Raw})
		if msg == nil {
			continue
		}
		c := &Context{Ctx: context.Background(), Msg: msg, Report: rep, Opts: &a.opts}
		c.Trust = inferTrust(c.Ctx, rep.Hops, &a.opts, false)
		out = append(out, c)
	}
	return out
}

// rulesBenchMessages returns the messages benchmarks run over.
func rulesBenchMessages(b testing.TB) [][]byte {
	var raws [][]byte
	dirs := []string{corpusDir}
	if _, err := os.Stat(corpusDir); err != nil {
		dirs = []string{filepath.Join("..", "testdata")}
	}
	_ = ReadSources(dirs, nil, func(s Source) error {
		if s.Err == nil {
			raws = append(raws, s.Raw)
		}
		return nil
	})
	if len(raws) == 0 {
		b.Skip("no messages")
	}
	return raws
}
