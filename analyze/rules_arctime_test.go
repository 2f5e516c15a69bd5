package analyze

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
)

// TestARCSealTimeCorpus: on real mail every ARC seal whose sealer's
// Received line can be found names that line's moment, within the rule's
// tolerance; and the rule finds enough of them to mean something.
func TestARCSealTimeCorpus(t *testing.T) {
	applicable, widest := 0, time.Duration(0)
	for _, c := range corpusContexts(t) {
		rep := c.Report
		res := c.authResult()
		if res.ARC == nil {
			continue
		}
		for _, set := range res.ARC.Sets {
			if set.Seal == nil || set.Sealed == nil {
				continue
			}
			st := *set.Sealed
			h := sealerHop(rep.Hops, set, set.Seal.Line)
			if h == nil || h.Time == nil {
				continue
			}
			applicable++
			d := st.Sub(*h.Time)
			widest = max(widest, d, -d)
		}
		for _, f := range checkARCSealTime(c) {
			t.Errorf("%s: %s", strings.TrimPrefix(rep.File, corpusDir+"/"), f.Message)
		}
	}
	t.Logf("%d ARC seals with their sealer's Received line; widest gap %s", applicable, widest)
	if applicable < 10 {
		t.Errorf("only %d ARC seals matched to their sealer's Received line; the research found 14", applicable)
	}
}

// TestARCSealTimeInMbox: a message further down an mbox, checked with DNS
// (package auth then splits the message itself and counts lines from its
// start), still finds its ARC-Seal at the file's line.
func TestARCSealTimeInMbox(t *testing.T) {
	raw, err := os.ReadFile("../testdata/rules/arc-seal-time-pos.eml")
	if err != nil {
		t.Fatal(err)
	}
	z, err := dns.ParseZone(strings.NewReader(authZone(t)), "", "auth.zone")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []int{1, 40} {
		a := New(Options{Resolver: z, DNSMode: "zone", HeaderOnly: true, Now: rulesNow})
		m := a.Analyze(context.Background(), Input{File: "box.mbox", Raw: raw, Line: line})
		if got := fired(m)["arc-seal-time"]; len(got) != 1 {
			t.Errorf("message at line %d: arc-seal-time found %d times; findings %s", line, len(got), ruleIDs(m))
		}
	}
}
