package analyze

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mailtrace/mailtrace/received"
)

// Parse findings: what the parsers could not understand. They are
// observations, never forgery signs on their own.
func init() {
	register(&Rule{
		ID: "received-unparsed", Severity: SeverityInfo,
		Title:   "Received line not understood",
		Explain: "The Received field matches no known MTA format. mailtrace keeps its raw text but cannot use it for continuity or timing checks; an unusual shape alone is not forgery.",
		Example: "Received: hello world",
		Check:   checkUnparsed,
	})
	register(&Rule{
		ID: "received-no-date", Severity: SeverityInfo,
		Title:   "Received line without a usable date",
		Explain: "RFC 5321 §4.4 requires every Received field to end with the date of receipt. Without one the hop's delay cannot be computed.",
		Example: "Received: from a by b with SMTP",
		Check:   checkNoDate,
	})
	register(&Rule{
		ID: "header-malformed", Severity: SeverityInfo,
		Title:   "Malformed header block",
		Explain: "The header block breaks RFC 5322 §2.2: a line that is neither a field nor a continuation, no blank line before the body, or an oversized field. Mail software disagrees on how to read such headers, which forgers exploit.",
		Example: "From: a@example.com\nthis line is not a field",
		Check:   checkHeaderDefects,
	})
	register(&Rule{
		ID: "mime-error", Severity: SeverityInfo,
		Title:   "MIME structure errors",
		Explain: "The body's MIME structure has errors (missing boundaries, bad encodings, unknown charsets). Header analysis is unaffected.",
		Example: "Content-Type: multipart/mixed (no boundary)",
		Check:   checkMIME,
	})
}

// Bits of Context.hopKinds: which kinds of hop the chain has, found in one
// walk for the two rules that ask.
const (
	hopKindsKnown = 1 << iota
	hopUnparsed   // a Received line not understood
	hopUndated    // one understood but without a usable date
)

// hopKinds walks the hops once for received-unparsed and received-no-date:
// nearly every chain has neither kind, and the second rule then needs no
// walk of its own.
func (c *Context) hopKinds() uint8 {
	if c.hopKindBits&hopKindsKnown == 0 {
		k := uint8(hopKindsKnown)
		for i := range c.Report.Hops {
			switch h := &c.Report.Hops[i]; {
			case h.Parsed == received.ParsedNone:
				k |= hopUnparsed
			case h.Time == nil:
				k |= hopUndated
			}
		}
		c.hopKindBits = k
	}
	return c.hopKindBits
}

func checkUnparsed(c *Context) []Finding {
	if c.hopKinds()&hopUnparsed == 0 {
		return nil
	}
	var out []Finding
	for i := range c.Report.Hops {
		if h := &c.Report.Hops[i]; h.Parsed == received.ParsedNone {
			out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
				Message: "hop " + strconv.Itoa(h.Index) + ": Received line not understood", Evidence: strings.TrimSpace(h.Raw)})
		}
	}
	return out
}

func checkNoDate(c *Context) []Finding {
	if c.hopKinds()&hopUndated == 0 {
		return nil
	}
	var out []Finding
	for i := range c.Report.Hops {
		if h := &c.Report.Hops[i]; h.Time == nil && h.Parsed != received.ParsedNone {
			out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
				Message: "hop " + strconv.Itoa(h.Index) + ": no usable date", Evidence: strings.TrimSpace(h.Raw)})
		}
	}
	return out
}

func checkHeaderDefects(c *Context) []Finding {
	var out []Finding
	for _, d := range c.Msg.Defects {
		line, _ := defectLine(d)
		out = append(out, Finding{Message: d, Evidence: d, Line: line})
	}
	return out
}

// defectLine reads the line a defect names ("line 12: ..."), 0 when none.
func defectLine(d string) (line int, rest string) {
	num, rest, ok := strings.Cut(strings.TrimPrefix(d, "line "), ": ")
	if !ok || !strings.HasPrefix(d, "line ") {
		return 0, d
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, d
	}
	return n, rest
}

func checkMIME(c *Context) []Finding {
	if c.Report.Body == nil || len(c.Report.Body.Errors) == 0 {
		return nil
	}
	return []Finding{{Message: fmt.Sprintf("%d MIME error(s)", len(c.Report.Body.Errors)), Evidence: strings.Join(c.Report.Body.Errors, "; ")}}
}
