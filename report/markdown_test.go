package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// TestMarkdownBudget: a long run's Markdown report fits a GitHub comment
// (65,536 characters) and says how many messages it leaves out.
func TestMarkdownBudget(t *testing.T) {
	var msgs []*analyze.MessageReport
	for i := range 500 {
		msgs = append(msgs, &analyze.MessageReport{File: fmt.Sprintf("fixtures/m%03d.eml", i), Verdict: analyze.VerdictClean,
			Header:   analyze.HeaderSummary{Subject: strings.Repeat("subject ", 20)},
			Findings: []analyze.Finding{{Rule: "r", Severity: analyze.SeverityInfo, Message: strings.Repeat("m", 200)}}})
	}
	msgs[499].Verdict = analyze.VerdictForged
	var buf bytes.Buffer
	if err := Render(&buf, "markdown", &analyze.Report{Schema: analyze.Schema, Messages: msgs}, testOptions()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) > 65536 {
		t.Errorf("%d bytes", len(out))
	}
	if !strings.Contains(out, "**500 messages:**") || !strings.Contains(out, "more messages are not shown (1 forged, 0 suspicious,") {
		t.Errorf("no count of what is left out:\n%s", out[len(out)-600:])
	}
}

// TestMarkdownBudgetOneMessage: a single message too big for the budget
// (a thousand hops, as many findings and defects) is cut to fit, and says
// what it leaves out.
func TestMarkdownBudgetOneMessage(t *testing.T) {
	m := &analyze.MessageReport{File: "big.eml", Verdict: analyze.VerdictForged}
	for i := range 1000 {
		m.Hops = append(m.Hops, received.Hop{Index: i + 1, Parsed: received.ParsedFull,
			From: received.From{HELO: fmt.Sprintf("relay%d.example.net", i), IP: "192.0.2.1"},
			By:   received.By{Host: fmt.Sprintf("relay%d.example.net", i+1)}})
		m.Findings = append(m.Findings, analyze.Finding{Rule: "hop-continuity", Severity: analyze.SeverityMedium,
			Hops: []int{i + 1}, Message: strings.Repeat("m", 150), Evidence: strings.Repeat("e", 150)})
		m.Defects = append(m.Defects, strings.Repeat("d", 100))
	}
	var buf bytes.Buffer
	if err := Render(&buf, "markdown", &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{m}}, testOptions()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) > 65536 {
		t.Errorf("%d bytes", len(out))
	}
	for _, want := range []string{"more findings not shown", "more hops not shown", "more defects not shown", "| 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q", want)
		}
	}
}

// TestMarkdownCounts: counts of one take the singular.
func TestMarkdownCounts(t *testing.T) {
	for _, c := range []struct {
		verdicts []analyze.Verdict
		want     string
	}{
		{[]analyze.Verdict{analyze.VerdictError}, "**1 message:** ❌ 0 forged · ⚠️ 0 suspicious · ✅ 0 clean · 💥 1 error\n"},
		{[]analyze.Verdict{analyze.VerdictClean, analyze.VerdictClean}, "**2 messages:** ❌ 0 forged · ⚠️ 0 suspicious · ✅ 2 clean · 💥 0 errors\n"},
	} {
		var msgs []*analyze.MessageReport
		for i, v := range c.verdicts {
			msgs = append(msgs, &analyze.MessageReport{File: fmt.Sprintf("m%d.eml", i), Verdict: v})
		}
		var buf bytes.Buffer
		if err := Render(&buf, "markdown", &analyze.Report{Schema: analyze.Schema, Messages: msgs}, testOptions()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("%v: no %q in\n%s", c.verdicts, c.want, buf.String())
		}
	}
	if got := Counted(1, "more message") + ", " + Counted(3, "more message"); got != "1 more message, 3 more messages" {
		t.Errorf("Counted: %q", got)
	}
}
