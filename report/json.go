// Package report renders analysis reports for people and for machines:
// text tables, JSON and JSON Lines, Markdown, HTML, JUnit XML and SARIF.
// Renderers only format: every value that came from a message or from DNS
// is escaped for its format here.
package report

import (
	"fmt"
	"io"

	"github.com/mailtrace/mailtrace/analyze"
)

// JSON writes the whole report as one JSON document
// ({"schema": "mailtrace/v1", "messages": [...]}), indented. Like every
// JSON renderer here it escapes the runes that act on a terminal
// (jsonInert).
func JSON(w io.Writer, r *analyze.Report) error {
	if r.Messages == nil {
		c := *r
		c.Messages = []*analyze.MessageReport{} // an array, as docs/json.md says
		r = &c
	}
	return WriteJSON(w, r)
}

// JSONLine writes one message object on one line (JSON Lines).
func JSONLine(w io.Writer, m *analyze.MessageReport) error {
	b, err := marshalMessage(m, "", "")
	if err != nil {
		return fmt.Errorf("write jsonl: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write jsonl: %w", err)
	}
	return nil
}
