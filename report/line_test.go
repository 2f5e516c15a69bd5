package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
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
