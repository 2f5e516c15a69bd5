package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestDisabledRules: each format that has a place for the run's settings
// names the rules --disable kept from running, and stays valid: JSON in
// disabled_rules, SARIF as ruleConfigurationOverrides that turn the rules
// off (checked against the schema), JUnit as a property (against the XSD),
// Markdown and HTML in their header. Without Disabled nothing is added.
func TestDisabledRules(t *testing.T) {
	disabled := []string{"received-appended", "hop-continuity"}
	render := func(t *testing.T, format string, disabled []string) []byte {
		t.Helper()
		opts := testOptions()
		opts.Disabled = disabled
		var buf bytes.Buffer
		if err := Render(&buf, format, handBuilt(), opts); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	t.Run("json", func(t *testing.T) {
		var doc struct {
			Schema   string   `json:"schema"`
			Disabled []string `json:"disabled_rules"`
			Messages []json.RawMessage
		}
		if err := json.Unmarshal(render(t, "json", disabled), &doc); err != nil {
			t.Fatal(err)
		}
		if strings.Join(doc.Disabled, " ") != "received-appended hop-continuity" || doc.Schema == "" || len(doc.Messages) == 0 {
			t.Errorf("document %+v", doc)
		}
		if bytes.Contains(render(t, "json", nil), []byte("disabled_rules")) {
			t.Error("disabled_rules written with no rule disabled")
		}
	})
	t.Run("sarif", func(t *testing.T) {
		out := render(t, "sarif", disabled)
		if err := validateSARIF(out); err != nil {
			t.Fatalf("invalid SARIF:\n%v", err)
		}
		var log map[string]any
		if err := json.Unmarshal(out, &log); err != nil {
			t.Fatal(err)
		}
		rules := driver(log)["rules"].([]any)
		inv := run(log)["invocations"].([]any)[0].(map[string]any)
		overrides, _ := inv["ruleConfigurationOverrides"].([]any)
		if len(overrides) != len(disabled) {
			t.Fatalf("overrides %v, want one per disabled rule", overrides)
		}
		for i, o := range overrides {
			o := o.(map[string]any)
			d := o["descriptor"].(map[string]any)
			idx := int(d["index"].(float64))
			if d["id"] != disabled[i] || rules[idx].(map[string]any)["id"] != disabled[i] || o["configuration"].(map[string]any)["enabled"] != false {
				t.Errorf("override %v does not turn %s off at its index", o, disabled[i])
			}
		}
		if bytes.Contains(render(t, "sarif", nil), []byte("ruleConfigurationOverrides")) {
			t.Error("overrides written with no rule disabled")
		}
	})
	t.Run("junit", func(t *testing.T) {
		out := render(t, "junit", disabled)
		if err := validateJUnit(out); err != nil {
			t.Fatalf("invalid JUnit:\n%v", err)
		}
		if !bytes.Contains(out, []byte(`<property name="disabled-rules" value="received-appended,hop-continuity">`)) {
			t.Errorf("no disabled-rules property:\n%s", out)
		}
	})
	for _, format := range []string{"markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			if out := render(t, format, disabled); !bytes.Contains(out, []byte("not run (--disable)")) {
				t.Errorf("%s does not say which rules were not run", format)
			}
			if bytes.Contains(render(t, format, nil), []byte("--disable")) {
				t.Errorf("%s names --disable with no rule disabled", format)
			}
		})
	}
}
