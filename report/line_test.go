package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
)

// TestMessageStartLine: a finding about a whole message of an mbox, and an
// mbox message that could not be read, point at the line the message
// starts at; a lone file's message has no such line.
func TestMessageStartLine(t *testing.T) {
	whole := analyze.Finding{Rule: "header-missing", Severity: analyze.SeverityMedium, Hops: []int{}}
	inMbox := &analyze.MessageReport{File: "box.mbox", Index: 2, Line: 6, Findings: []analyze.Finding{whole}}
	lone := &analyze.MessageReport{File: "a.eml", Findings: []analyze.Finding{whole}}
	if got := findingLines(inMbox, whole); !slices.Equal(got, []int{6}) {
		t.Errorf("mbox message: lines %v, want [6]", got)
	}
	if got := findingLines(lone, whole); len(got) != 0 {
		t.Errorf("lone message: lines %v, want none", got)
	}
	broken := analyze.ErrorReport("box.mbox", 3, errors.New("analyze: no header fields"))
	broken.Line = 9
	var buf bytes.Buffer
	if err := SARIF(&buf, &analyze.Report{Messages: []*analyze.MessageReport{broken}}, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Invocations []struct {
				Notes []struct {
					Locations []struct {
						PhysicalLocation struct {
							Region *struct{ StartLine int } `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	notes := doc.Runs[0].Invocations[0].Notes
	if len(notes) != 1 || len(notes[0].Locations) != 1 || notes[0].Locations[0].PhysicalLocation.Region == nil ||
		notes[0].Locations[0].PhysicalLocation.Region.StartLine != 9 {
		t.Errorf("notification %+v, want a region at line 9", notes)
	}
}

// TestDecodedMessageLines: a message attached in base64 numbers its lines
// in its decoded text; SARIF, JUnit and Markdown point into the file, so
// its findings point at the line its encoded part starts at, and HTML,
// which shows the message's own header, keeps its own lines.
func TestDecodedMessageLines(t *testing.T) {
	onField := analyze.Finding{Rule: "header-duplicate", Severity: analyze.SeverityMedium, Hops: []int{}, Line: 3, Message: "two Subject fields"}
	m := &analyze.MessageReport{File: "report.eml", Part: "4", Line: 87, Decoded: "base64", Verdict: analyze.VerdictSuspicious,
		Findings: []analyze.Finding{onField}}
	if got := fileLines(m, onField); !slices.Equal(got, []int{87}) {
		t.Errorf("file lines %v, want [87]", got)
	}
	if got := findingLines(m, onField); !slices.Equal(got, []int{3}) {
		t.Errorf("own lines %v, want [3]", got)
	}
	var buf bytes.Buffer
	if err := SARIF(&buf, &analyze.Report{Messages: []*analyze.MessageReport{m}}, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						Region *struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	res := doc.Runs[0].Results
	if len(res) != 1 || len(res[0].Locations) != 1 || res[0].Locations[0].PhysicalLocation.Region == nil ||
		res[0].Locations[0].PhysicalLocation.Region.StartLine != 87 {
		t.Errorf("SARIF results %+v, want a region at line 87", res)
	}
	buf.Reset()
	if err := Markdown(&buf, &analyze.Report{Messages: []*analyze.MessageReport{m}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "87") || strings.Contains(buf.String(), "line 3") {
		t.Errorf("Markdown does not point at line 87:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "base64") || !strings.Contains(buf.String(), "decoded") {
		t.Errorf("Markdown does not say the message was decoded:\n%s", buf.String())
	}
}
