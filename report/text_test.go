package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
)

// TestTextEvidenceUnfolded: a Received line's evidence keeps its folding
// whitespace (JSON has it exact); text shows it with single spaces.
func TestTextEvidenceUnfolded(t *testing.T) {
	const folded = "from lemongrass.org by turmeric.com (8.7.3) id AA10324;          Tue, 18 Mar 1997 14:34:10 -0800 (PST)"
	m := &analyze.MessageReport{File: "m.eml", Verdict: analyze.VerdictForged, Findings: []analyze.Finding{{
		Rule: "received-appended", Severity: analyze.SeverityHigh, Hops: []int{2},
		Message: "hop 2 looks added by hand", Evidence: folded}}}
	var text, js bytes.Buffer
	if err := TextMessage(&text, m, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "evidence: " + strings.Join(strings.Fields(folded), " ") + "\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text evidence:\n%s\nwant a line ending %q", text.String(), want)
	}
	if err := JSONLine(&js, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), folded) {
		t.Errorf("JSON lost the evidence as written: %s", js.String())
	}
}
