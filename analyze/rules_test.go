package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/golden"
	"github.com/mailtrace/mailtrace/received"
)

// rulesNow is the tests' clock: after every message in testdata/rules but
// the one stamped in 2037 (date-future-pos).
func rulesNow() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }

// requireParser skips chain tests while received.Parse is still a stub.
func requireParser(t *testing.T) {
	t.Helper()
	h := received.Parse("from a.example (a.example [192.0.2.1]) by b.example with ESMTP id X; Tue, 1 Jan 2019 10:00:00 +0000")
	if h.Parsed == received.ParsedNone {
		t.Skip("received.Parse does not parse yet")
	}
}

func analyzeFile(t *testing.T, path string, opts Options) *MessageReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Now == nil {
		opts.Now = rulesNow
	}
	return New(opts).Analyze(context.Background(), Input{File: filepath.Base(path), Raw: raw})
}

func fired(m *MessageReport) map[string][]Finding {
	out := map[string][]Finding{}
	for _, f := range m.Findings {
		out[f.Rule] = append(out[f.Rule], f)
	}
	return out
}

// TestRuleCases runs every testdata/rules/<rule>-pos.eml and -neg.eml: the
// rule must fire on the positive case and stay silent on the negative one.
// The findings of each file are compared with a golden file (-update).
func TestRuleCases(t *testing.T) {
	requireParser(t)
	files, err := filepath.Glob("../testdata/rules/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule cases: %v", err)
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		id, kind, ok := cutLast(name, "-")
		if !ok || (kind != "pos" && kind != "neg") {
			t.Errorf("%s: want <rule>-pos.eml or <rule>-neg.eml", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if !known[id] {
				t.Fatalf("no rule %q", id)
			}
			m := analyzeFile(t, path, Options{})
			got := fired(m)
			switch {
			case kind == "pos" && len(got[id]) == 0:
				t.Errorf("%s did not fire; findings: %s", id, ruleIDs(m))
			case kind == "neg" && len(got[id]) > 0:
				t.Errorf("%s fired: %+v", id, got[id])
			}
			checkGolden(t, name, m)
		})
	}
}

// offlineRuleFiles are the files whose rules judge the message alone; the
// DNS and authentication rules need zone data and have their own tests.
var offlineRuleFiles = map[string]bool{"rules_parse.go": true, "rules_chain.go": true, "rules_time.go": true,
	"rules_addr.go": true, "rules_helo.go": true, "rules_envelope.go": true, "rules_header.go": true,
	"rules_lookalike.go": true, "rules_authres.go": true, "rules_provider.go": true, "rules_queueid.go": true,
	"rules_google.go": true, "rules_origin.go": true, "rules_arctime.go": true,
	"rules_msarrival.go": true, "rules_dkimtime.go": true}

// ruleFile returns the base name of the file that implements a rule.
func ruleFile(r Rule) string {
	pc := reflect.ValueOf(r.Check).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	return filepath.Base(file)
}

// TestEveryRuleHasCases keeps the catalogue and testdata/rules in step.
func TestEveryRuleHasCases(t *testing.T) {
	for _, r := range Rules() {
		if !offlineRuleFiles[ruleFile(r)] {
			continue
		}
		for _, kind := range []string{"pos", "neg"} {
			if _, err := os.Stat(filepath.Join("..", "testdata", "rules", r.ID+"-"+kind+".eml")); err != nil {
				t.Errorf("rule %s has no %s case: %v", r.ID, kind, err)
			}
		}
		if r.Title == "" || r.Explain == "" || r.Example == "" || r.Severity == "" {
			t.Errorf("rule %s lacks a title, explanation, example or severity", r.ID)
		}
	}
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func ruleIDs(m *MessageReport) string {
	var ids []string
	for _, f := range m.Findings {
		ids = append(ids, f.Rule+"("+string(f.Severity)+")")
	}
	return strings.Join(ids, " ")
}

// goldenFinding is the part of a finding the golden files pin down: which
// rule, how bad, which hops. Messages and evidence may be reworded.
type goldenFinding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Hops     []int    `json:"hops"`
}

type goldenReport struct {
	Verdict  Verdict         `json:"verdict"`
	Score    int             `json:"score"`
	Trusted  []int           `json:"trusted_hops"`
	Findings []goldenFinding `json:"findings"`
}

func checkGolden(t *testing.T, name string, m *MessageReport) {
	t.Helper()
	g := goldenReport{Verdict: m.Verdict, Score: m.Score, Trusted: []int{}, Findings: []goldenFinding{}}
	for _, h := range m.Hops {
		if h.Trusted {
			g.Trusted = append(g.Trusted, h.Index)
		}
	}
	for _, f := range m.Findings {
		g.Findings = append(g.Findings, goldenFinding{f.Rule, f.Severity, f.Hops})
	}
	sort.SliceStable(g.Findings, func(i, j int) bool { return g.Findings[i].Rule < g.Findings[j].Rule })
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("..", "testdata", "rules", "golden", name+".json"), got)
}

// TestExamples pins the two messages the issue names: the seed forgery
// (appended lines from lemongrass.org and graprao.com) and a genuine
// Postfix chain.
func TestExamples(t *testing.T) {
	requireParser(t)
	seed := analyzeFile(t, "../testdata/examples/seed-forged.eml", Options{})
	if seed.Verdict != VerdictForged {
		t.Errorf("seed: verdict %s (score %d), want forged; findings %s", seed.Verdict, seed.Score, ruleIDs(seed))
	}
	appended := map[int]bool{}
	for _, f := range fired(seed)["received-appended"] {
		if f.Severity == SeverityHigh {
			for _, h := range f.Hops {
				appended[h] = true
			}
		}
	}
	if !appended[1] || !appended[2] || appended[3] {
		t.Errorf("seed: appended hops %v, want 1 and 2 only", appended)
	}
	if b := fired(seed)["hop-continuity"]; len(b) != 1 || !slices.Equal(b[0].Hops, []int{2, 3}) {
		t.Errorf("seed: continuity findings %+v, want one break between hops 2 and 3", b)
	}
	if !seed.Hops[2].Trusted || seed.Hops[1].Trusted {
		t.Errorf("seed: trusted marks %v %v %v, want only hop 3", seed.Hops[0].Trusted, seed.Hops[1].Trusted, seed.Hops[2].Trusted)
	}
	genuine := analyzeFile(t, "../testdata/examples/genuine-postfix.eml", Options{})
	if genuine.Verdict != VerdictClean {
		t.Errorf("genuine: verdict %s (score %d), want clean; findings %s", genuine.Verdict, genuine.Score, ruleIDs(genuine))
	}
}

// TestDocsListEveryRule keeps docs/rules.md in step with the catalogue.
func TestDocsListEveryRule(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !bytes.Contains(doc, []byte("### `"+r.ID+"` — "+string(r.Severity))) {
			t.Errorf("docs/rules.md has no section for %s (%s)", r.ID, r.Severity)
		}
	}
}

// TestDisabledRules: a disabled rule runs in no analyzer built with it and
// in every other; the catalogue keeps it. ValidRuleID knows the
// catalogue's IDs and no others.
func TestDisabledRules(t *testing.T) {
	const seed = "../testdata/examples/seed-forged.eml"
	count := func(m *MessageReport, id string) int {
		n := 0
		for _, f := range m.Findings {
			if f.Rule == id {
				n++
			}
		}
		return n
	}
	off := analyzeFile(t, seed, Options{Disabled: []string{"received-appended"}})
	on := analyzeFile(t, seed, Options{})
	if count(off, "received-appended") != 0 || count(on, "received-appended") == 0 {
		t.Errorf("received-appended findings: %d disabled, %d enabled; want 0 and some", count(off, "received-appended"), count(on, "received-appended"))
	}
	if off.Score >= on.Score || count(off, "hop-continuity") != count(on, "hop-continuity") {
		t.Errorf("disabling one rule: score %d against %d, other rules' findings changed: %s against %s", off.Score, on.Score, ruleIDs(off), ruleIDs(on))
	}
	if len(Rules()) != len(registry) || ValidRuleID("received-appended") != nil || ValidRuleID("received-appendd") == nil {
		t.Error("the catalogue or ValidRuleID changed")
	}
}

// TestOriginatingIP: every X-Originating-IP field is read, in header
// order, whatever the case of its name; reserved ranges are named and a
// value that is no address is quoted.
func TestOriginatingIP(t *testing.T) {
	raw := "From: a@b.example\r\nDate: Mon, 16 Nov 2026 09:14:58 +0000\r\nX-Originating-IP: [10.1.2.3]\r\n" +
		"Subject: hi\r\nx-originating-ip: 81.2.69.160\r\nX-Originating-IP: not-an-ip\r\n\r\nbody\r\n"
	m := New(Options{Now: rulesNow}).Analyze(context.Background(), Input{Raw: []byte(raw)})
	got := fired(m)["originating-ip"]
	if len(got) != 1 {
		t.Fatalf("originating-ip findings: %+v", got)
	}
	f := got[0]
	want := `the sender's webmail recorded the client that wrote the message: private (RFC 1918) address 10.1.2.3; 81.2.69.160; "not-an-ip", which is not an address`
	if f.Message != want || f.Line != 3 || strings.Count(f.Evidence, " | ") != 2 || f.Severity != SeverityInfo {
		t.Errorf("finding %+v\nwant message %q on line 3 with three fields as evidence", f, want)
	}
}
