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

// TestDefectsShown: text and Markdown list a message's defects (a broken
// header block, an attached message left out), escaped like the rest.
func TestDefectsShown(t *testing.T) {
	m := &analyze.MessageReport{File: "m.eml", Verdict: analyze.VerdictClean,
		Defects: []string{"line 7: header ends without a blank line", "attached message in part 3 not analysed: *bold* \x1b[31m"}}
	for format, want := range map[string][]string{
		"text":     {"Defects:\n  line 7: header ends without a blank line\n", `not analysed: *bold* \x1b[31m`},
		"markdown": {"**Defects:**", `not analysed\: \*bold\*`},
	} {
		var buf bytes.Buffer
		if err := Render(&buf, format, &analyze.Report{Messages: []*analyze.MessageReport{m}}, testOptions()); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s lacks %q:\n%s", format, w, buf.String())
			}
		}
		if strings.Contains(buf.String(), "\x1b") {
			t.Errorf("%s passes an escape sequence through", format)
		}
	}
}
