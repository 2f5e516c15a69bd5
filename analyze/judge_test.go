package analyze

import (
	"context"
	"reflect"
	"sync"
	"testing"
)

// TestSessionOnlyRules holds judge's skip of the session rules for a
// message with no session anomalies (Analyzer.fileChecks) to running them:
// each rule sessionOnly picks finds nothing in any message without
// anomalies, and each is a session rule indeed, finding its codes when
// the session showed them.
func TestSessionOnlyRules(t *testing.T) {
	var session []*Rule
	for _, r := range registry {
		if sessionOnly(r) {
			session = append(session, r)
		}
	}
	if len(session) == 0 {
		t.Fatal("no session rule")
	}
	opts := &Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"}
	for _, raw := range rulesBenchMessages(t) {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		c := p.trusted(opts)
		for _, r := range session {
			if found := r.Check(c); len(found) != 0 {
				t.Fatalf("session rule %s found %v in a message without anomalies", r.ID, found)
			}
		}
	}
	p, ok := headerPath([]byte("Received: from a (a [192.0.2.1]) by b; Fri, 27 Nov 2026 10:00:00 +0000\r\nFrom: a@b.example\r\n\r\nx\r\n"))
	if !ok {
		t.Fatal("no message")
	}
	for code, s := range sessionRules {
		c := p.trusted(opts)
		c.Anomalies = []SessionAnomaly{{Code: code, Where: "session"}}
		found := false
		for _, r := range session {
			if r.ID == s.rule {
				found = found || len(r.Check(c)) > 0
			}
		}
		if !found {
			t.Errorf("anomaly %s: no session rule found it", code)
		}
	}
	a := New(Options{})
	if len(a.fileChecks) != len(a.checks)-len(session) {
		t.Errorf("fileChecks: %d of %d rules; %d session rules", len(a.fileChecks), len(a.checks), len(session))
	}
	for _, rc := range a.fileChecks {
		if reflect.ValueOf(rc.check).Pointer() != reflect.ValueOf(rc.rule.Check).Pointer() || sessionOnly(rc.rule) {
			t.Errorf("fileChecks: %s", rc.rule.ID)
		}
	}
	for i, rc := range a.checks {
		if rc.rule != a.rules[i] || reflect.ValueOf(rc.check).Pointer() != reflect.ValueOf(rc.rule.Check).Pointer() {
			t.Errorf("checks[%d]: %s", i, rc.rule.ID)
		}
	}
	// runRules follows each list's links: every check, in order, once.
	for _, l := range []struct {
		first *ruleCheck
		list  []ruleCheck
	}{{a.firstCheck, a.checks}, {a.firstFileCheck, a.fileChecks}} {
		i := 0
		for rc := l.first; rc != nil; rc = rc.next {
			if i >= len(l.list) || rc != &l.list[i] {
				t.Fatalf("link %d of %d: not the list's", i, len(l.list))
			}
			i++
		}
		if i != len(l.list) {
			t.Errorf("%d links for %d checks", i, len(l.list))
		}
	}
	if linkChecks(nil) != nil {
		t.Error("linkChecks(nil) is not nil")
	}
}

// TestJudgeAllRules holds judge to running every rule of the catalogue in
// a Context of its own, message by message, in one Analyzer.
func TestJudgeAllRules(t *testing.T) {
	a := New(Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"})
	for _, raw := range rulesBenchMessages(t) {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		a.judge(context.Background(), Input{}, p.msg, p.rep)
		got := p.rep.Findings
		c := &Context{Ctx: context.Background(), Msg: p.msg, Report: p.rep, Opts: &a.opts}
		c.Trust = inferTrust(c.Ctx, p.rep.Hops, &a.opts, false)
		all, score := runRules(c, a.firstCheck)
		if want := capFindings(all); !reflect.DeepEqual(got, want) {
			t.Fatalf("judge found %v, every rule %v", got, want)
		}
		// The score runRules works out rule by rule is verdictOf's.
		if v, s := verdictOf(all); s != score || p.rep.Score != s || p.rep.Verdict != v {
			t.Fatalf("runRules' score %d, judge's %d %s; verdictOf %d %s", score, p.rep.Score, p.rep.Verdict, s, v)
		}
	}
}

// TestRuleIDsUnique: no two rules of the catalogue share an ID, which
// runRules' score counts on (each rule's findings are one rule's).
func TestRuleIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range registry {
		if seen[r.ID] {
			t.Errorf("two rules %s", r.ID)
		}
		seen[r.ID] = true
	}
}

// TestPooledContextHoldsNoMessage: the Context judge keeps for the next
// message (Analyzer.spare, or its pool) is zero but for its findings buffer, whose findings are zero too, after
// every message of the corpus (captured ones with a session among them):
// a pooled Context holds nothing of the message it judged.
func TestPooledContextHoldsNoMessage(t *testing.T) {
	a := New(Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"})
	checked := 0
	for i, raw := range rulesBenchMessages(t) {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		in := Input{}
		if i%3 == 0 {
			in = Input{Envelope: &p.rep.Envelope, Anomalies: []SessionAnomaly{{Code: "pregreet", Where: "session"}}}
		}
		a.judge(context.Background(), in, p.msg, p.rep)
		c := a.spare.Load()
		if c == nil {
			t.Fatalf("message %d: no spare Context after judge", i)
		}
		found := c.found
		c.found = nil
		if !reflect.ValueOf(*c).IsZero() {
			t.Fatalf("message %d: the pooled Context holds %+v", i, *c)
		}
		if !allZero(found[:cap(found)]) {
			t.Fatalf("message %d: the pooled Context's findings buffer holds %+v", i, found[:cap(found)])
		}
		c.found = found
		checked++
	}
	if checked == 0 {
		t.Fatal("no pooled Context to look at")
	}
	// Judges at once: the one that finds the spare taken uses the pool,
	// and puts its Context back there when the spare is taken again.
	// Every Context left after judges ran side by side is zero too.
	raws := rulesBenchMessages(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := g; k < len(raws); k += 4 {
				if p, ok := headerPath(raws[k]); ok {
					a.judge(context.Background(), Input{}, p.msg, p.rep)
				}
			}
		}()
	}
	wg.Wait()
	left := []*Context{a.spare.Swap(nil)}
	for range 8 {
		c, _ := a.contexts.Get().(*Context)
		left = append(left, c)
	}
	for _, c := range left {
		if c == nil {
			continue
		}
		found := c.found
		c.found = nil
		if !reflect.ValueOf(*c).IsZero() || !allZero(found[:cap(found)]) {
			t.Errorf("a Context left after judges at once holds %+v", *c)
		}
	}
}

// allZero reports findings that are all zero.
func allZero(fs []Finding) bool {
	for _, f := range fs {
		if !reflect.ValueOf(f).IsZero() {
			return false
		}
	}
	return true
}
