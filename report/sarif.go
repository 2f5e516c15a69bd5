package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mailtrace/mailtrace/analyze"
)

// SARIFSchema is the schema URI SARIF logs name (OASIS SARIF 2.1.0, errata 01).
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// SARIF writes a SARIF 2.1.0 log: one run whose driver lists
// analyze.Rules(), and one result per finding located at the file and
// header line it points at, so code-scanning tools annotate .eml fixtures
// in a repository. Messages that could not be read become error
// notifications of the invocation.
func SARIF(w io.Writer, r *analyze.Report, opts Options) error {
	return Render(w, "sarif", r, opts)
}

type sarifWriter struct {
	w         io.Writer
	ruleIndex map[string]int
	results   int
	notes     spool // toolExecutionNotifications, written after the results
	nNotes    int
	prints    map[string]bool // fingerprints of the message being written
	// overrides turn the disabled rules off in the invocation
	// (ruleConfigurationOverrides, §3.20.5).
	overrides []sarifOverride
}

// sarifOverride is a configurationOverride (§3.51): here, a rule the run
// did not run.
type sarifOverride struct {
	Configuration struct {
		Enabled bool `json:"enabled"`
	} `json:"configuration"`
	Descriptor struct {
		ID    string `json:"id"`
		Index int    `json:"index"`
	} `json:"descriptor"`
}

// The SARIF objects mailtrace writes: a subset of the 2.1.0 schema.
type (
	sarifMessage struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	sarifRule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name,omitempty"`
		ShortDescription     *sarifMessage  `json:"shortDescription,omitempty"`
		FullDescription      *sarifMessage  `json:"fullDescription,omitempty"`
		Help                 *sarifMessage  `json:"help,omitempty"`
		DefaultConfiguration *sarifConfig   `json:"defaultConfiguration,omitempty"`
		Properties           map[string]any `json:"properties,omitempty"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifDriver struct {
		Name    string      `json:"name"`
		Version string      `json:"version,omitempty"`
		Rules   []sarifRule `json:"rules"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           *int              `json:"ruleIndex,omitempty"`
		Kind                string            `json:"kind,omitempty"` // "informational" for info findings (§3.27.9)
		Level               string            `json:"level"`
		Message             sarifMessage      `json:"message"`
		Locations           []sarifLocation   `json:"locations,omitempty"`
		PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
		Properties          map[string]any    `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
)

func newSARIFWriter(w io.Writer, opts Options) (*sarifWriter, error) {
	rules := opts.Rules
	sw := &sarifWriter{w: w, ruleIndex: make(map[string]int, len(rules))}
	driver := sarifDriver{Name: opts.Tool, Version: opts.Version, Rules: make([]sarifRule, len(rules))}
	for i, r := range rules {
		sw.ruleIndex[r.ID] = i
		driver.Rules[i] = sarifRuleOf(r)
	}
	for _, id := range opts.Disabled {
		if i, ok := sw.ruleIndex[id]; ok {
			var o sarifOverride
			o.Descriptor.ID, o.Descriptor.Index = id, i
			sw.overrides = append(sw.overrides, o)
		}
	}
	b, err := marshalInert(driver, "        ", "  ")
	if err != nil {
		return nil, fmt.Errorf("write sarif: %w", err)
	}
	head := fmt.Sprintf("{\n  \"$schema\": %q,\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": %s\n      },\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [", SARIFSchema, b)
	if _, err := io.WriteString(w, head); err != nil {
		return nil, fmt.Errorf("write sarif: %w", err)
	}
	return sw, nil
}

// sarifRuleOf describes a rule. It sets no security-severity: GitHub code
// scanning would rank every alert of a rule by that one score, while a
// rule's findings range over severities (lookalike-domain: low to high);
// without it, each alert is ranked by its own level.
func sarifRuleOf(r analyze.Rule) sarifRule {
	help := r.Explain
	md := r.Explain
	if r.Example != "" {
		help += "\n\nExample:\n" + r.Example
		md += "\n\nExample:\n\n```\n" + r.Example + "\n```"
	}
	props := map[string]any{"tags": []string{"security", "email"}}
	return sarifRule{ID: r.ID, Name: r.Title, ShortDescription: &sarifMessage{Text: r.Title},
		FullDescription: &sarifMessage{Text: r.Explain}, Help: &sarifMessage{Text: help, Markdown: md},
		DefaultConfiguration: &sarifConfig{Level: sarifLevel(r.Severity)}, Properties: props}
}

// sarifLevel maps a severity to a result level: info findings weigh
// nothing in the verdict, so they are "none", not alerts (§3.27.10).
func sarifLevel(s analyze.Severity) string {
	switch s {
	case analyze.SeverityHigh:
		return "error"
	case analyze.SeverityMedium:
		return "warning"
	case analyze.SeverityInfo:
		return "none"
	}
	return "note"
}

func (sw *sarifWriter) Message(m *analyze.MessageReport) error {
	if m.Error != "" {
		return sw.notify(m)
	}
	clear(sw.prints)
	for _, f := range m.Findings {
		if err := sw.result(m, f); err != nil {
			return err
		}
	}
	return nil
}

func (sw *sarifWriter) result(m *analyze.MessageReport, f analyze.Finding) error {
	hops := f.Hops
	if hops == nil {
		hops = []int{} // a list, as in the JSON report, even for a finding built by hand
	}
	text := sarifText(f.Message)
	switch {
	case m.Index > 0 && m.Part != "":
		text = fmt.Sprintf("Message #%d, attached in part %s: %s", m.Index, sarifText(m.Part), text)
	case m.Index > 0:
		text = fmt.Sprintf("Message #%d: %s", m.Index, text)
	case m.Part != "":
		text = fmt.Sprintf("Attached in part %s: %s", sarifText(m.Part), text)
	}
	if f.Evidence != "" && f.Evidence != f.Message {
		text += "\nEvidence: " + sarifText(truncate(f.Evidence, 500))
	}
	res := sarifResult{RuleID: Safe(f.Rule), Level: sarifLevel(f.Severity), Message: sarifMessage{Text: text},
		PartialFingerprints: map[string]string{"mailtraceFinding/v1": sw.fingerprint(m, f)},
		Properties:          map[string]any{"severity": Safe(string(f.Severity)), "hops": hops, "verdict": Safe(string(m.Verdict))}}
	if f.Severity == analyze.SeverityInfo {
		res.Kind = "informational"
	}
	if i, ok := sw.ruleIndex[f.Rule]; ok {
		res.RuleIndex = &i
	}
	if loc, ok := sarifLocationOf(m, fileLines(m, f)); ok {
		res.Locations = []sarifLocation{loc}
	}
	if m.Index > 0 {
		res.Properties["mboxIndex"] = m.Index
	}
	if m.Part != "" {
		res.Properties["attachedPart"] = Safe(m.Part)
	}
	return sw.element(sw.w, &sw.results, res, "        ")
}

// sarifLocationOf places a result at the message's file and the first
// header line it points at: a line of the file, for a message of an mbox
// too (analyze.Input.Line).
func sarifLocationOf(m *analyze.MessageReport, lines []int) (sarifLocation, bool) {
	if m.File == "" || m.File == "-" {
		return sarifLocation{}, false
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(m.File)}}}
	if len(lines) > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: lines[0]}
	}
	return loc, true
}

// fileURI makes a path a URI reference: relative paths stay relative (to
// the repository root, as code scanning expects), absolute ones become
// file:// URIs; every other character is percent-encoded as a path.
func fileURI(p string) string {
	slash := filepath.ToSlash(p)
	u := url.URL{Path: slash}
	if filepath.IsAbs(p) {
		if !strings.HasPrefix(slash, "/") {
			slash = "/" + slash // C:/x -> /C:/x
		}
		u = url.URL{Scheme: "file", Path: slash}
	}
	return u.String()
}

// fingerprint identifies a finding across runs, whatever line it moves to.
// Two findings of one message that would share it (the same rule and
// evidence on two fields) are told apart by their lines, the later one's
// fingerprint taking its line in.
func (sw *sarifWriter) fingerprint(m *analyze.MessageReport, f analyze.Finding) string {
	fp := fingerprint(m, f, "")
	if sw.prints[fp] {
		fp = fingerprint(m, f, fmt.Sprint(f.Line))
	}
	if sw.prints == nil {
		sw.prints = make(map[string]bool)
	}
	sw.prints[fp] = true
	return fp
}

func fingerprint(m *analyze.MessageReport, f analyze.Finding, salt string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%v", f.Rule, filepath.ToSlash(m.File), m.Index, f.Evidence, f.Hops)
	if m.Part != "" {
		fmt.Fprintf(h, "\x00part %s", m.Part) // an attached message's findings are its own
	}
	if salt != "" {
		fmt.Fprintf(h, "\x00%s", salt)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (sw *sarifWriter) notify(m *analyze.MessageReport) error {
	n := sarifNotification{Level: "error", Message: sarifMessage{Text: sarifText(messageName(m) + ": " + m.Error)}}
	var lines []int
	if m.Line > 0 {
		lines = []int{m.Line} // where an mbox's message that could not be read starts
	}
	if loc, ok := sarifLocationOf(m, lines); ok {
		n.Locations = []sarifLocation{loc}
	}
	return sw.element(&sw.notes, &sw.nNotes, n, "            ")
}

// element writes one array element, indented to sit at its depth.
func (sw *sarifWriter) element(w io.Writer, count *int, v any, indent string) error {
	b, err := marshalInert(v, indent, "  ")
	if err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	sep := ",\n" + indent
	if *count == 0 {
		sep = "\n" + indent
	}
	*count++
	if _, err := io.WriteString(w, sep); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

func (sw *sarifWriter) Close() error {
	end := "\n      ]"
	if sw.results == 0 {
		end = "]"
	}
	// An input that could not be read fails the run (exit status 1).
	end += fmt.Sprintf(",\n      \"invocations\": [\n        {\n          \"executionSuccessful\": %t", sw.nNotes == 0)
	if _, err := io.WriteString(sw.w, end); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	if len(sw.overrides) > 0 {
		b, err := marshalInert(sw.overrides, "          ", "  ")
		if err != nil {
			return fmt.Errorf("write sarif: %w", err)
		}
		if _, err := io.WriteString(sw.w, ",\n          \"ruleConfigurationOverrides\": "+string(b)); err != nil {
			return fmt.Errorf("write sarif: %w", err)
		}
	}
	if sw.nNotes > 0 {
		if _, err := io.WriteString(sw.w, ",\n          \"toolExecutionNotifications\": ["); err != nil {
			return fmt.Errorf("write sarif: %w", err)
		}
		if err := sw.notes.copyTo(sw.w); err != nil {
			return fmt.Errorf("write sarif: %w", err)
		}
		if _, err := io.WriteString(sw.w, "\n          ]"); err != nil {
			return fmt.Errorf("write sarif: %w", err)
		}
	}
	if _, err := io.WriteString(sw.w, "\n        }\n      ]\n    }\n  ]\n}\n"); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}
