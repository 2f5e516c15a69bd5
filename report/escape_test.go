package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// Cases from CommonMark §2.4 (backslash escapes) and GitHub's extensions.
		{"plain", "Lunch on Thursday", "Lunch on Thursday"},
		{"link", "[x](javascript:alert(1))", `\[x\]\(javascript\:alert\(1\)\)`},
		{"image", "![p](https://e.example/p.png)", `\!\[p\]\(https\:\/\/e\.example\/p\.png\)`},
		{"html", `<img src=x onerror=alert(1)>`, `&lt;img src\=x onerror\=alert\(1\)&gt;`},
		{"entity stays text", "&amp;", `&amp;amp\;`},
		{"pipe", "a | b", `a \| b`},
		{"emphasis and code", "*b* _i_ `c` ~s~", "\\*b\\* \\_i\\_ \\`c\\` \\~s\\~"},
		{"mention, issue, emoji", "@team #12 :x:", `\@team \#12 \:x\:`},
		{"line breaks become visible", "a\r\n# h", `a⏎\# h`},
		{"escape sequence", "\x1b[31m", `\\x1b\[31m`},
		{"bidi override", "a\u202eb", `a\\u202eb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdText(tt.in); got != tt.want {
				t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNoFormula(t *testing.T) {
	// OWASP CSV injection: a cell starting with = + - @ (or tab/CR, or their
	// fullwidth forms) is a formula to spreadsheets.
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2+3", "'-2+3"}, {"@SUM(1)", "'@SUM(1)"},
		{"  =x", "'  =x"}, {"\t=x", "'\t=x"}, {"＝1+1", "'＝1+1"},
		{"-", "-"}, {"a=b", "a=b"}, {"", ""}, {"mail", "mail"},
	}
	for _, tt := range tests {
		if got := noFormula(tt.in); got != tt.want {
			t.Errorf("noFormula(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSARIFText(t *testing.T) {
	if got, want := sarifText("see [here](https://e.example) \x1b[1m"), `see \[here\](https://e.example) \x1b\[1m`; got != want {
		t.Errorf("sarifText = %q, want %q", got, want)
	}
}

func TestFileURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"testdata/examples/a.eml", "testdata/examples/a.eml"},
		{"fixtures/with space#1.eml", "fixtures/with%20space%231.eml"},
		{"/abs/path/a.eml", "file:///abs/path/a.eml"},
		{"c:odd.eml", "./c:odd.eml"}, // a colon in the first segment would read as a scheme
	}
	for _, tt := range tests {
		if got := fileURI(tt.in); got != tt.want {
			t.Errorf("fileURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// SARIF results sit at the file and header line a finding points at: its
// own line, else its first hop's; messages in an mbox get no region (their
// lines count from the message, not the file).
func TestSARIFLocations(t *testing.T) {
	hops := []received.Hop{{Index: 1, Line: 7}, {Index: 2, Line: 4}}
	rep := &analyze.Report{Messages: []*analyze.MessageReport{
		{File: "fx/a.eml", Hops: hops, Findings: []analyze.Finding{
			{Rule: "r", Severity: analyze.SeverityHigh, Line: 3, Message: "own line"},
			{Rule: "r", Severity: analyze.SeverityLow, Hops: []int{2, 1}, Message: "hop line"},
			{Rule: "r", Severity: analyze.SeverityInfo, Message: "no line"},
		}},
		{File: "box.mbox", Index: 2, Hops: hops, Findings: []analyze.Finding{{Rule: "r", Line: 3, Message: "in mbox"}}},
		{File: "-", Findings: []analyze.Finding{{Rule: "r", Line: 3, Message: "stdin"}}},
	}}
	var buf bytes.Buffer
	if err := SARIF(&buf, rep, Options{Rules: []analyze.Rule{{ID: "r", Severity: analyze.SeverityHigh}}}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleIndex *int   `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log.Runs[0].Results {
		s := r.Level + " " + r.Message.Text
		for _, l := range r.Locations {
			s += " @" + l.PhysicalLocation.ArtifactLocation.URI
			if reg := l.PhysicalLocation.Region; reg != nil {
				s += ":" + string(rune('0'+reg.StartLine))
			}
		}
		if r.RuleIndex == nil || *r.RuleIndex != 0 {
			t.Errorf("%s: ruleIndex %v, want 0", s, r.RuleIndex)
		}
		got = append(got, s)
	}
	want := []string{"error own line @fx/a.eml:3", "note hop line @fx/a.eml:4", "none no line @fx/a.eml",
		"note Message #2: in mbox @box.mbox:3", "note stdin"} // mbox lines are the file's (analyze.Input.Line)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("results:\n got %q\nwant %q", got, want)
	}
}

// FuzzRenderInert puts arbitrary text in every field a renderer shows and
// checks every format stays inert, as TestHostileInert does for the known
// payloads.
func FuzzRenderInert(f *testing.F) {
	for _, p := range payloads {
		f.Add(p)
	}
	// The Markdown engine's render is left to TestHostileInert: it is too
	// slow for fuzzing.
	checks := map[string]func(*testing.T, []byte){"json": checkJSON, "markdown": checkMarkdownSource,
		"html": checkHTML, "junit": checkJUnit, "sarif": checkSARIF}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			t.Skip("long inputs only slow the Markdown engine the check renders with")
		}
		rep := hostileReportOf([]string{s, "=" + s, "<" + s + ">", "[" + s + "](javascript:x)"})
		for format, check := range checks {
			var buf bytes.Buffer
			if err := Render(&buf, format, rep, testOptions()); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			check(t, buf.Bytes())
		}
	})
}

// TestSARIFTextBraces: literal braces are doubled (SARIF 2.1.0 §3.11.5), so
// a viewer does not read "{0}" from a message as a placeholder.
func TestSARIFTextBraces(t *testing.T) {
	if got, want := sarifText("Bank {0} [x]"), `Bank {{0}} \[x\]`; got != want {
		t.Errorf("sarifText = %q, want %q", got, want)
	}
}

// TestSARIFFingerprintsDistinct: two findings of one message with the same
// rule and evidence on two lines get two fingerprints; the first keeps the
// fingerprint it had alone.
func TestSARIFFingerprintsDistinct(t *testing.T) {
	m := &analyze.MessageReport{File: "a.eml", Findings: []analyze.Finding{
		{Rule: "r", Severity: analyze.SeverityLow, Line: 2, Evidence: "same"},
		{Rule: "r", Severity: analyze.SeverityLow, Line: 3, Evidence: "same"},
	}}
	var buf bytes.Buffer
	if err := SARIF(&buf, &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{m}}, Options{}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct{ PartialFingerprints map[string]string }
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0].Results
	a, b := r[0].PartialFingerprints["mailtraceFinding/v1"], r[1].PartialFingerprints["mailtraceFinding/v1"]
	if a == b || a != fingerprint(m, m.Findings[0], "") {
		t.Errorf("fingerprints %s and %s", a, b)
	}
}
