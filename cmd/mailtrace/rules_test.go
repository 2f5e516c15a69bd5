package main

import (
	"bytes"
	"encoding/json"
	"errors"
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
