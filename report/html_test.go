package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The HTML report marks what findings point at: the hop cards on the
// timeline and the raw header lines, and draws delays to one scale.
func TestHTMLMarksFindings(t *testing.T) {
	var buf bytes.Buffer
	if err := HTML(&buf, handBuilt(), testOptions()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	hit := regexp.MustCompile(`<tr id="m1-L(\d+)" class="hit"`)
	var lines []string
	for _, m := range hit.FindAllStringSubmatch(out, -1) {
		lines = append(lines, m[1])
	}
	// chain-break points at line 2 (a field of lines 2-3), time-backwards at
	// hop 2 (the field at lines 4-5), received-unparsed at line 8.
	if got := strings.Join(lines, ","); got != "2,3,4,5,8" {
		t.Errorf("highlighted lines %s, want 2,3,4,5,8", got)
	}
	tests := []struct{ name, want string }{
		{"hop 2 flagged by its worst finding", `<li class="hop flagged sev-high" id="m1-hop2">`},
		{"hop 1 not flagged", `<li class="hop" id="m1-hop1">`},
		{"trusted hop", `<li class="hop flagged sev-high trusted" id="m1-hop3">`},
		{"badge links to the finding", `<a class="badge sev-medium" href="#m1-f2">time-backwards</a>`},
		{"backwards step is the widest bar", `<li class="gap negative"><span class="delay">-2h57m</span><span class="track"><span class="bar" style="width: 100.0%">`},
		{"small delay to the same scale", `<span class="delay">&#43;2m07s</span><span class="track"><span class="bar" style="width: 1.2%">`},
		{"finding links to its header line", `<a class="ref" href="#m1-L2">2</a>`},
		{"timeline element", `<ol class="timeline" id="m1-timeline">`},
	}
	for _, tt := range tests {
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: output lacks %s", tt.name, tt.want)
		}
	}
}
