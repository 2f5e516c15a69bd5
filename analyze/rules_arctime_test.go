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
	srcs := loadRulesCorpus(t)
	a := New(Options{HeaderOnly: true, Now: corpusNow, DNSMode: "offline"})
	applicable, widest := 0, time.Duration(0)
	for _, s := range srcs {
		rep, msg := a.read(Input{File: s.File, Raw: s.Raw})
		if msg == nil {
			continue
		}
		c := &Context{Ctx: context.Background(), Msg: msg, Report: rep, Opts: &a.opts}
		c.Trust = inferTrust(c.Ctx, rep.Hops, &a.opts, false)
		res := c.authResult()
		if res.ARC == nil {
			continue
		}
		for _, set := range res.ARC.Sets {
			if set.Seal == nil {
				continue
			}
			st, ok := c.sealTime(set.Seal.Line)
			h := sealerHop(rep.Hops, set, set.Seal.Line)
			if !ok || h == nil || h.Time == nil {
				continue
			}
			applicable++
			d := st.Sub(*h.Time)
			widest = max(widest, d, -d)
		}
		for _, f := range checkARCSealTime(c) {
			t.Errorf("%s: %s", strings.TrimPrefix(s.File, corpusDir+"/"), f.Message)
		}
	}
	t.Logf("%d ARC seals with their sealer's Received line; widest gap %s", applicable, widest)
	if applicable < 10 {
		t.Errorf("only %d ARC seals matched to their sealer's Received line; the research found 14", applicable)
	}
}

func TestTagValue(t *testing.T) {
	for _, tt := range []struct{ list, name, want string }{
		{"i=1; a=rsa-sha256; t=1674807084; cv=none", "t", "1674807084"},
		{"i=1;t = 5 ;cv=none", "t", "5"},
		{"i=1; at=5", "t", ""},
		{"", "t", ""},
		{"t", "t", ""},
	} {
		if got := tagValue(tt.list, tt.name); got != tt.want {
			t.Errorf("tagValue(%q, %q) = %q, want %q", tt.list, tt.name, got, tt.want)
		}
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
