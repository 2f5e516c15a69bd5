package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
)

func TestRulesCatalogue(t *testing.T) {
	var out bytes.Buffer
	if err := runRules(nil, "text", streams{out: &out, err: &out}); err != nil {
		t.Fatal(err)
	}
	for _, r := range analyze.Rules() {
		if !strings.Contains(out.String(), r.ID+"  ["+string(r.Severity)+"]") {
			t.Errorf("catalogue lacks %s", r.ID)
		}
	}
	if !strings.Contains(out.String(), "SCORING:") {
		t.Error("catalogue does not say how findings combine")
	}

	out.Reset()
	if err := runRules([]string{"hop-continuity"}, "json", streams{out: &out}); err != nil {
		t.Fatal(err)
	}
	var got []struct{ ID, Severity, Explain, Example string }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "hop-continuity" || got[0].Severity != "medium" || got[0].Explain == "" {
		t.Errorf("json catalogue: %+v", got)
	}

	if err := runRules([]string{"no-such-rule"}, "text", streams{out: &out}); !errors.Is(err, errUsage) {
		t.Errorf("unknown rule: %v, want a usage error", err)
	}
	if err := runRules(nil, "yaml", streams{out: &out}); !errors.Is(err, errUsage) {
		t.Errorf("bad format: %v, want a usage error", err)
	}
}

// TestFailOn: the CI gate. The seed forgery is forged; the genuine
// example is clean.
func TestFailOn(t *testing.T) {
	const seed, genuine = "../../testdata/examples/seed-forged.eml", "../../testdata/examples/genuine-postfix.eml"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"default gate on a forgery", []string{seed}, exitGate},
		{"default gate on genuine mail", []string{genuine}, exitOK},
		{"suspicious gate", []string{"--fail-on", "suspicious", seed, genuine}, exitGate},
		{"never", []string{"--fail-on", "never", seed}, exitOK},
		{"bad level", []string{"--fail-on", "sometimes", genuine}, exitUsage},
		{"bad trusted", []string{"--trusted", "10.0.0.0/33", genuine}, exitUsage},
		{"trusted ok", []string{"--trusted", "10.0.0.0/8", "--trusted", "mx.example.net", genuine}, exitOK},
		{"bad skew", []string{"--clock-skew", "-1m", genuine}, exitUsage},
		{"skew ok", []string{"--clock-skew", "90s", genuine}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"analyze", "--offline", "--format", "json"}, tt.args...)
			code, _, stderr := runCLI(t, "", args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.want, stderr)
			}
		})
	}
}

// TestDisable: --disable keeps rules from running, so their findings and
// their weight leave the report and the gate (the seed example, forged by
// its appended lines, then passes --fail-on forged); the report and the
// summary line name the rules; an unknown ID is a usage error.
func TestDisable(t *testing.T) {
	const seed = "../../testdata/examples/seed-forged.eml"
	code, _, _ := runCLI(t, "", "analyze", "--offline", seed)
	if code != exitGate {
		t.Fatalf("seed without --disable: exit %d, want %d", code, exitGate)
	}
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "-f", "json",
		"--disable", "received-appended,hop-continuity", "--disable", "received-appended", seed)
	if code != exitOK {
		t.Fatalf("exit %d, want %d (stderr %q)", code, exitOK, stderr)
	}
	var doc struct {
		Disabled []string `json:"disabled_rules"`
		Messages []struct {
			Verdict  string
			Findings []struct{ Rule string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(doc.Disabled) != "[received-appended hop-continuity]" {
		t.Errorf("disabled_rules %v, want each rule once, in the order given", doc.Disabled)
	}
	for _, f := range doc.Messages[0].Findings {
		if f.Rule == "received-appended" || f.Rule == "hop-continuity" {
			t.Errorf("a disabled rule found something: %s", f.Rule)
		}
	}
	if doc.Messages[0].Verdict == "forged" {
		t.Error("still forged with the rules that find the appended lines disabled")
	}
	if !strings.Contains(stderr, "rules not run: received-appended, hop-continuity") {
		t.Errorf("summary line does not name the disabled rules: %q", stderr)
	}
	code, _, stderr = runCLI(t, "", "analyze", "--offline", "--disable", "hop-continuty", seed)
	if code != exitUsage || !strings.Contains(stderr, `no rule "hop-continuty"`) {
		t.Errorf("misspelt rule: exit %d, stderr %q; want a usage error naming it", code, stderr)
	}
}
