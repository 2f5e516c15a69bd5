// Package report renders analysis reports for people and for machines:
// text tables, JSON and JSON Lines. Renderers only format: every value
// that came from a message or from DNS is escaped for its format here.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mailtrace/mailtrace/analyze"
)

// JSON writes the whole report as one JSON document
// ({"schema": "mailtrace/v1", "messages": [...]}), indented.
func JSON(w io.Writer, r *analyze.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// JSONLine writes one message object on one line (JSON Lines).
func JSONLine(w io.Writer, m *analyze.MessageReport) error {
	if err := json.NewEncoder(w).Encode(m); err != nil {
		return fmt.Errorf("write jsonl: %w", err)
	}
	return nil
}
