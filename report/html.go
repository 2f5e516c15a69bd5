package report

import (
	"embed"
	"fmt"
	"github.com/mailtrace/mailtrace/auth"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// CSP is the policy the HTML report declares: nothing may load or run,
// only the report's own inline style applies. The report has no script.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

//go:embed html.tmpl html.css
var htmlFiles embed.FS

var htmlTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"sevClass": func(s analyze.Severity) string { return "sev-" + cssWord(string(s)) },
	"verClass": func(v analyze.Verdict) string { return "v-" + cssWord(string(v)) },
}).ParseFS(htmlFiles, "html.tmpl"))

var htmlCSS = func() template.CSS {
	b, err := htmlFiles.ReadFile("html.css")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return template.CSS(b) // trusted as CSS: it is our own file, never message data
}()

// HTML writes one self-contained HTML page: no external asset and no
// script, a Content-Security-Policy that forbids both, and every value from
// a message escaped by html/template after Safe has made control and bidi
// characters visible.
func HTML(w io.Writer, r *analyze.Report, opts Options) error {
	return Render(w, "html", r, opts)
}

type htmlWriter struct {
	w     io.Writer
	opts  Options
	tally analyze.Tally
	index spool // summary table rows
	body  spool // one <article> per message
}

func newHTMLWriter(w io.Writer, opts Options) *htmlWriter {
	return &htmlWriter{w: w, opts: opts}
}

func (hw *htmlWriter) Message(m *analyze.MessageReport) error {
	hw.tally.Add(m)
	v := newHTMLMessage(hw.tally.Messages, m)
	if err := htmlTemplates.ExecuteTemplate(&hw.index, "row", v); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	if err := htmlTemplates.ExecuteTemplate(&hw.body, "message", v); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

func (hw *htmlWriter) Close() error {
	page := htmlPage{Title: Safe(hw.opts.Title), CSP: CSP, CSS: htmlCSS, Tally: hw.tally,
		Generated: hw.opts.Now().UTC().Format("2006-01-02 15:04:05 UTC"), Disabled: Safe(strings.Join(hw.opts.Disabled, ", "))}
	steps := []func() error{
		func() error { return htmlTemplates.ExecuteTemplate(hw.w, "head", page) },
		func() error { return hw.index.copyTo(hw.w) },
		func() error { return htmlTemplates.ExecuteTemplate(hw.w, "mid", page) },
		func() error { return hw.body.copyTo(hw.w) },
		func() error { return htmlTemplates.ExecuteTemplate(hw.w, "foot", page) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("write html: %w", err)
		}
	}
	return nil
}

// htmlPage is what the head and foot templates see.
type htmlPage struct {
	Title, CSP, Generated string
	CSS                   template.CSS
	Tally                 analyze.Tally
	Disabled              string // the rules not run (--disable), through Safe
}

// htmlMessage is one message made ready for the template: every string in
// it has been through Safe; html/template escapes it for HTML.
type htmlMessage struct {
	ID          string // "m3": anchors inside the page derive from it
	N           int
	Name        string
	Verdict     analyze.Verdict // for class names, through verClass
	VerdictText string
	Score       int
	Error       string
	From        string
	Subject     string
	Summary     []keyValue
	Defects     []string
	Findings    []htmlFinding
	Hops        []htmlHop
	Scale       string // what a full-width delay bar stands for
	AuthNote    string
	Auth        []htmlAuth
	DNS         string
	Raw         []htmlLine
}

// htmlAuth is one line of the authentication block.
type htmlAuth struct {
	Method, Result, Text string
	Class                string // pass, fail or other, for colour
}

type htmlFinding struct {
	ID           string
	Severity     analyze.Severity // for class names, through sevClass
	SeverityText string
	Rule         string
	Message      string
	Evidence     string
	Hops         []htmlRef
	Lines        []htmlRef
}

// htmlRef is an in-page link: to a hop, a header line or a finding.
type htmlRef struct {
	ID, Text string
	Severity analyze.Severity
}

type htmlHop struct {
	ID, Index, Time, Delay string
	From, By, With, Raw    string
	Line                   htmlRef
	Trusted, Unparsed      bool
	HasDelay, Negative     bool
	BarWidth               string // percent of the widest delay, for the style attribute
	Worst                  analyze.Severity
	Findings               []htmlRef
	Notes                  []string
}

type htmlLine struct {
	ID    string
	N     int
	Text  string
	Hit   bool
	Rules string
}

func newHTMLMessage(n int, m *analyze.MessageReport) htmlMessage {
	v := htmlMessage{ID: fmt.Sprintf("m%d", n), N: n, Name: Safe(messageName(m)), Verdict: m.Verdict,
		VerdictText: Safe(string(m.Verdict)), Score: m.Score,
		Error: Safe(m.Error), From: Safe(truncate(addresses(m.Header.From), 80)), Subject: Safe(truncate(m.Header.Subject, 120))}
	if m.Error != "" {
		return v
	}
	v.Summary = htmlSummary(m)
	for _, d := range m.Defects {
		v.Defects = append(v.Defects, Safe(d))
	}
	v.Findings = htmlFindings(v.ID, m)
	v.Hops, v.Scale = htmlHops(v.ID, m, v.Findings)
	if a, ok := m.Auth.(*auth.Result); ok && a != nil {
		v.AuthNote = authHeading(a)
		for _, r := range authRows(a) {
			v.Auth = append(v.Auth, htmlAuth{Method: r.Method, Result: Safe(r.Result), Text: Safe(truncate(r.Text, 500)), Class: authClass(r.Result)})
		}
	}
	v.DNS = dnsText(m.DNS)
	v.Raw = htmlRawHeader(v.ID, m)
	return v
}

func htmlSummary(m *analyze.MessageReport) []keyValue {
	h := m.Header
	out := []keyValue{{"From", addresses(h.From)}, {"To", addresses(h.To)}}
	if len(h.Cc) > 0 {
		out = append(out, keyValue{"Cc", addresses(h.Cc)})
	}
	if len(h.ReplyTo) > 0 {
		out = append(out, keyValue{"Reply-To", addresses(h.ReplyTo)})
	}
	out = append(out, keyValue{"Subject", h.Subject}, keyValue{"Date", h.DateText},
		keyValue{"Message-ID", h.MessageID}, keyValue{"Return-Path", h.ReturnPath})
	env := "MAIL FROM:<" + m.Envelope.MailFrom + ">"
	if len(m.Envelope.RcptTo) > 0 {
		env += "  RCPT TO:<" + strings.Join(m.Envelope.RcptTo, ">, <") + ">"
	}
	out = append(out, keyValue{"Envelope", env + "  (" + m.Envelope.Source + ")"})
	if b := m.Body; b != nil {
		out = append(out, keyValue{"Body", fmt.Sprintf("%d bytes, %d attachment(s), %d inline part(s)", b.Size, len(b.Attachments), b.Inlines)})
		for _, a := range b.Attachments {
			out = append(out, keyValue{"Attachment", fmt.Sprintf("%s (%s, %d bytes)", a.Name, a.ContentType, a.Size)})
		}
	}
	kept := out[:0]
	for _, kv := range out {
		if kv.Value != "" {
			kept = append(kept, keyValue{Key: kv.Key, Value: Safe(truncate(kv.Value, 500))})
		}
	}
	return kept
}

func dnsText(d *analyze.DNSSummary) string {
	if d == nil {
		return ""
	}
	s := fmt.Sprintf("%s, %d lookup(s)", d.Mode, d.Lookups)
	if d.Unavailable {
		s += ": DNS was unavailable, DNS checks are unknown"
	} else if d.Note != "" {
		s += ": " + d.Note
	}
	return Safe(s)
}

func htmlFindings(id string, m *analyze.MessageReport) []htmlFinding {
	out := make([]htmlFinding, len(m.Findings))
	for i, f := range m.Findings {
		hf := htmlFinding{ID: fmt.Sprintf("%s-f%d", id, i+1), Severity: f.Severity, SeverityText: Safe(string(f.Severity)), Rule: Safe(f.Rule),
			Message: Safe(f.Message), Evidence: Safe(truncate(f.Evidence, 1000))}
		for _, h := range f.Hops {
			hf.Hops = append(hf.Hops, htmlRef{ID: fmt.Sprintf("%s-hop%d", id, h), Text: fmt.Sprint(h)})
		}
		for _, l := range findingLines(m, f) {
			hf.Lines = append(hf.Lines, htmlRef{ID: fmt.Sprintf("%s-L%d", id, l), Text: fmt.Sprint(l)})
		}
		out[i] = hf
	}
	return out
}

// htmlHops lays out the timeline: each hop with the findings that concern
// it and a bar for its delay from the previous hop, to one linear scale
// (the widest bar is the largest delay, backwards steps included).
func htmlHops(id string, m *analyze.MessageReport, findings []htmlFinding) ([]htmlHop, string) {
	var widest float64
	for _, h := range m.Hops {
		if h.DelaySeconds != nil {
			widest = math.Max(widest, math.Abs(*h.DelaySeconds))
		}
	}
	out := make([]htmlHop, len(m.Hops))
	for i, h := range m.Hops {
		hh := htmlHop{ID: fmt.Sprintf("%s-hop%d", id, h.Index), Index: fmt.Sprint(h.Index), Time: orEmpty(hopTime(h.Time)),
			Delay: FormatDelay(h.DelaySeconds), From: fromCell(h.From), By: byCell(h.By), With: orEmpty(withCell(h)),
			Raw: Safe(truncateFields(h.Raw, 300)), Trusted: h.Trusted, Unparsed: h.Parsed == received.ParsedNone}
		if h.Line > 0 {
			hh.Line = htmlRef{ID: fmt.Sprintf("%s-L%d", id, h.Line), Text: fmt.Sprint(h.Line)}
		}
		if d := h.DelaySeconds; d != nil {
			hh.HasDelay, hh.Negative = true, *d < 0
			hh.BarWidth = "0"
			if widest > 0 {
				hh.BarWidth = fmt.Sprintf("%.1f", 100*math.Abs(*d)/widest)
			}
		}
		for j, f := range m.Findings {
			if slices.Contains(f.Hops, h.Index) {
				hh.Findings = append(hh.Findings, htmlRef{ID: findings[j].ID, Text: findings[j].Rule, Severity: f.Severity})
				hh.Worst = worse(hh.Worst, f.Severity)
			}
		}
		for _, n := range h.Notes {
			hh.Notes = append(hh.Notes, Safe(n))
		}
		out[i] = hh
	}
	scale := ""
	if widest > 0 {
		scale = FormatDelay(&widest)
	}
	return out, scale
}

// orEmpty drops the "-" the text table shows for an empty cell.
func orEmpty(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

var severityRank = map[analyze.Severity]int{analyze.SeverityInfo: 1, analyze.SeverityLow: 2, analyze.SeverityMedium: 3, analyze.SeverityHigh: 4}

func worse(a, b analyze.Severity) analyze.Severity {
	if severityRank[b] > severityRank[a] {
		return b
	}
	return a
}

// maxRawLine bounds one header line as shown; the rest is marked as cut.
const maxRawLine = 4000

// htmlRawHeader lists the header's physical lines with their numbers,
// marking every line of a field that a finding points at.
func htmlRawHeader(id string, m *analyze.MessageReport) []htmlLine {
	hits := map[int][]string{}
	for _, f := range m.Findings {
		for _, l := range findingLines(m, f) {
			if !slices.Contains(hits[l], f.Rule) {
				hits[l] = append(hits[l], f.Rule)
			}
		}
	}
	var out []htmlLine
	for _, f := range m.Fields {
		lines := splitLines(f.Name + ":" + f.Value)
		var rules []string
		for l := f.Line; l < f.Line+len(lines); l++ {
			rules = append(rules, hits[l]...)
		}
		for i, text := range lines {
			n := f.Line + i
			out = append(out, htmlLine{ID: fmt.Sprintf("%s-L%d", id, n), N: n, Text: htmlSafe(truncate(text, maxRawLine)),
				Hit: len(rules) > 0, Rules: Safe(strings.Join(rules, ", "))})
		}
	}
	return out
}

// splitLines splits on CRLF, LF or a bare CR, dropping the final line end.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// htmlSafe is Safe keeping tabs, which HTML shows harmlessly and which
// folded header lines often start with.
func htmlSafe(s string) string {
	parts := strings.Split(s, "\t")
	for i, p := range parts {
		parts[i] = Safe(p)
	}
	return strings.Join(parts, "\t")
}

// cssWord keeps a class-name suffix to [a-z0-9-], whatever it came from.
func cssWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, strings.ToLower(s))
}

// authClass colours a result: pass green, fail-like red, the rest plain.
func authClass(result string) string {
	switch result {
	case "pass":
		return "pass"
	case "fail", "softfail", "permerror", "differs":
		return "fail"
	}
	return "other"
}
