package report

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailtrace/mailtrace/analyze"
)

// Formats are the formats NewWriter knows, in the order --help lists them.
var Formats = []string{"text", "json", "jsonl", "markdown", "html", "junit", "sarif"}

// ErrUnknownFormat is returned by NewWriter for a format not in Formats.
var ErrUnknownFormat = errors.New("report: unknown format")

// Writer renders a run message by message, so a batch of any size is
// rendered in bounded memory. Close writes what follows the last message
// (totals, closing tags); it does not close the underlying io.Writer.
type Writer interface {
	Message(m *analyze.MessageReport) error
	Close() error
}

// Options configure every format; each reads the fields it needs. The zero
// value is usable.
type Options struct {
	Color bool // text: ANSI colours (terminals only)

	// FailOn says whether a message fails the run (junit: a <failure>).
	// nil means a forged verdict fails.
	FailOn func(*analyze.MessageReport) bool
	// FailOnText describes FailOn for people, e.g. "forged" (junit property).
	FailOnText string

	Tool string // tool name for sarif and junit; "" means "mailtrace"
	// Rules is the catalogue sarif lists in tool.driver.rules; nil means
	// analyze.Rules().
	Rules   []analyze.Rule
	Version string // tool version for sarif; "" leaves it out
	Title   string // html and markdown title; "" means "mailtrace report"
	// Disabled are the IDs of the rules the run did not run (--disable):
	// json, sarif, junit, markdown and html say so, text leaves it to the
	// summary line.
	Disabled []string

	// Now is the clock for timestamps and durations; nil means time.Now.
	// Tests fix it so golden files stay stable.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.FailOn == nil {
		o.FailOn = func(m *analyze.MessageReport) bool { return m.Verdict == analyze.VerdictForged }
		if o.FailOnText == "" {
			o.FailOnText = string(analyze.VerdictForged)
		}
	}
	if o.Tool == "" {
		o.Tool = "mailtrace"
	}
	if o.Title == "" {
		o.Title = "mailtrace report"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rules == nil {
		o.Rules = analyze.Rules()
	}
	return o
}

// NewWriter returns a Writer rendering format to w.
func NewWriter(w io.Writer, format string, opts Options) (Writer, error) {
	opts = opts.withDefaults()
	switch format {
	case "text":
		return &textWriter{w: w, opts: TextOptions{Color: opts.Color}}, nil
	case "json":
		return &jsonWriter{w: w, disabled: opts.Disabled}, nil
	case "jsonl":
		return writerFunc(func(m *analyze.MessageReport) error { return JSONLine(w, m) }), nil
	case "markdown":
		return newMarkdownWriter(w, opts), nil
	case "html":
		return newHTMLWriter(w, opts), nil
	case "junit":
		return newJUnitWriter(w, opts), nil
	case "sarif":
		return newSARIFWriter(w, opts)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
}

// Render writes a whole report in format: NewWriter fed every message.
func Render(w io.Writer, format string, r *analyze.Report, opts Options) error {
	rw, err := NewWriter(w, format, opts)
	if err != nil {
		return err
	}
	for _, m := range r.Messages {
		if err := rw.Message(m); err != nil {
			return err
		}
	}
	return rw.Close()
}

// writerFunc is a Writer with nothing to write after the last message.
type writerFunc func(*analyze.MessageReport) error

func (f writerFunc) Message(m *analyze.MessageReport) error { return f(m) }
func (f writerFunc) Close() error                           { return nil }

// textWriter streams Text: messages separated by a blank line.
type textWriter struct {
	w    io.Writer
	opts TextOptions
	n    int
}

func (t *textWriter) Message(m *analyze.MessageReport) error {
	if t.n > 0 {
		if _, err := fmt.Fprintln(t.w); err != nil {
			return err
		}
	}
	t.n++
	return TextMessage(t.w, m, t.opts)
}

func (t *textWriter) Close() error { return nil }

// jsonWriter streams the document JSON writes whole, byte for byte the
// same, so --format json needs no more memory than jsonl.
type jsonWriter struct {
	w        io.Writer
	disabled []string // the document's disabled_rules
	n        int
}

// head opens the document: the schema, the rules disabled if any, and the
// messages array.
func (j *jsonWriter) head() string {
	head := fmt.Sprintf("{\n  \"schema\": %q,\n", analyze.Schema)
	if len(j.disabled) > 0 {
		ids, _ := marshalInert(j.disabled, "", "") // a []string always encodes
		head += "  \"disabled_rules\": " + string(ids) + ",\n"
	}
	return head + "  \"messages\": ["
}

func (j *jsonWriter) Message(m *analyze.MessageReport) error {
	b, err := marshalMessage(m, "    ", "  ")
	if err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	sep := ",\n    "
	if j.n == 0 {
		sep = j.head() + "\n    "
	}
	j.n++
	if _, err := io.WriteString(j.w, sep); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if _, err := j.w.Write(b); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func (j *jsonWriter) Close() error {
	end := "\n  ]\n}\n"
	if j.n == 0 {
		end = j.head() + "]\n}\n"
	}
	if _, err := io.WriteString(j.w, end); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// messageName is how every format names a message: the file, and its
// position when it came from an mbox. Not yet escaped.
func messageName(m *analyze.MessageReport) string {
	name := m.File
	if m.Index > 0 {
		name = fmt.Sprintf("%s #%d", m.File, m.Index)
	}
	if m.Part != "" {
		name += " attached in part " + m.Part
	}
	if m.Decoded != "" {
		name += " (" + m.Decoded + ", decoded)"
	}
	return name
}

// fileLines are findingLines as lines of m.File. A message carried
// encoded (Decoded) numbers its lines in its decoded text, which the file
// does not hold: for it, the line where its encoded part starts.
func fileLines(m *analyze.MessageReport, f analyze.Finding) []int {
	if m.Decoded == "" {
		return findingLines(m, f)
	}
	if m.Line > 0 {
		return []int{m.Line}
	}
	return nil
}

// findingLines are the header lines a finding points at: its own line, or
// the lines of the hops it concerns; for a finding about a whole message of
// an mbox or an attached one, the line that message starts at.
func findingLines(m *analyze.MessageReport, f analyze.Finding) []int {
	if f.Line > 0 {
		return []int{f.Line}
	}
	var out []int
	for _, i := range f.Hops {
		if i >= 1 && i <= len(m.Hops) && m.Hops[i-1].Line > 0 {
			out = append(out, m.Hops[i-1].Line)
		}
	}
	if len(out) == 0 && m.Line > 0 {
		out = []int{m.Line}
	}
	return out
}
