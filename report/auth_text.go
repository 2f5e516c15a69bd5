package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/auth"
)

// AuthTextOf writes the authentication block of a message report; it
// writes nothing when the report has no authentication result.
func AuthTextOf(w io.Writer, m *analyze.MessageReport) error {
	a, ok := m.Auth.(*auth.Result)
	if !ok || a == nil {
		return nil
	}
	return AuthText(w, a)
}

// AuthText writes the short authentication block: one line per DKIM
// signature, then SPF, DMARC, ARC and the receiver's claims that disagree.
// Every value from the message or DNS goes through Safe.
func AuthText(w io.Writer, a *auth.Result) error {
	p := &printer{w: w}
	p.linef("\n%s:\n", authHeading(a))
	for _, r := range authRows(a) {
		p.linef("  %-6s %-11s %s\n", r.Method, Safe(r.Result), Safe(truncate(r.Text, 200)))
	}
	return p.err
}

// authHeading says whether and when the results were computed.
func authHeading(a *auth.Result) string {
	if a.Checked {
		return fmt.Sprintf("Authentication (checked %s against DNS as it is now, not as at delivery)", a.CheckedAt.Format("2006-01-02 15:04 MST"))
	}
	return "Authentication: not checked (DNS is offline)"
}

// authRow is one line of the authentication block, shared by the text and
// HTML renderers. Values are raw: each renderer escapes them.
type authRow struct {
	Method, Result, Text string
}

func authRows(a *auth.Result) []authRow {
	var rows []authRow
	if len(a.DKIM) == 0 {
		rows = append(rows, authRow{"DKIM", "none", "no DKIM-Signature"})
	}
	for _, d := range a.DKIM {
		rows = append(rows, authRow{"DKIM", string(d.Result), dkimText(d)})
	}
	if a.DKIMOmitted > 0 {
		rows = append(rows, authRow{"DKIM", "more", fmt.Sprintf("%d more DKIM-Signature fields, not read (at most %d are)", a.DKIMOmitted, len(a.DKIM))})
	}
	if s := a.SPF; s != nil {
		rows = append(rows, authRow{"SPF", string(s.Result), spfText(s)})
	}
	if d := a.DMARC; d != nil {
		rows = append(rows, authRow{"DMARC", string(d.Result), dmarcText(d)})
	}
	if r := a.ARC; r != nil && r.Instances > 0 {
		rows = append(rows, authRow{"ARC", string(r.Result), arcText(r)})
	}
	for _, m := range a.Compared {
		rows = append(rows, authRow{"CLAIM", "differs", m.Reason})
	}
	return rows
}

func dkimText(d auth.DKIM) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s s=%s %s", orNone(d.Domain), orNone(d.Selector), orNone(d.Algorithm))
	if d.KeyBits > 0 {
		fmt.Fprintf(&b, " %d-bit", d.KeyBits)
	}
	if d.Aligned {
		fmt.Fprintf(&b, ", aligned (%s)", d.Alignment)
	} else {
		b.WriteString(", not aligned with From")
	}
	if r := shownReason(d.Result, d.Reason); r != "" {
		b.WriteString(": " + r)
	}
	return b.String()
}

// shownReason drops the reason of a check that did not run for want of
// DNS: the block's first line already says so.
func shownReason(st auth.Status, reason string) string {
	if st == auth.StatusNotChecked && strings.Contains(reason, "DNS is offline") {
		return ""
	}
	return reason
}

func spfText(s *auth.SPF) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) for %s", orNone(s.Domain), s.Scope, orNone(s.IP))
	if s.Hop > 0 {
		fmt.Fprintf(&b, " (hop %d)", s.Hop)
	}
	if r := shownReason(s.Result, s.Reason); r != "" {
		b.WriteString(": " + r)
	}
	return b.String()
}

func dmarcText(d *auth.DMARC) string {
	var b strings.Builder
	b.WriteString(orNone(d.FromDomain))
	if d.Policy != "" {
		fmt.Fprintf(&b, " %s=%s", d.PolicyTag, d.Policy)
		if d.Percent < 100 {
			fmt.Fprintf(&b, " pct=%d", d.Percent)
		}
	}
	switch {
	case d.Result == auth.StatusPass && d.DKIMAligned:
		fmt.Fprintf(&b, ": aligned DKIM of %s", d.DKIMDomain)
	case d.Result == auth.StatusPass:
		b.WriteString(": aligned SPF")
	case shownReason(d.Result, d.Reason) != "":
		b.WriteString(": " + d.Reason)
	}
	return b.String()
}

func arcText(r *auth.ARC) string {
	var sealers []string
	for _, s := range r.Sets {
		if s.Seal != nil {
			sealers = append(sealers, fmt.Sprintf("i=%d %s", s.Instance, orNone(s.Seal.Domain)))
		}
	}
	text := fmt.Sprintf("%d set(s): %s", r.Instances, strings.Join(sealers, ", "))
	switch {
	case r.Result == auth.StatusPass && r.OldestPass > 0:
		text += fmt.Sprintf("; message unchanged since instance %d", r.OldestPass)
	case r.BrokenAt > 0:
		text += fmt.Sprintf("; broken at instance %d: %s", r.BrokenAt, r.Reason)
	case shownReason(r.Result, r.Reason) != "":
		text += "; " + r.Reason
	}
	if r.Structure != "ok" && r.Result == auth.StatusNotChecked {
		text += "; structure: " + r.Structure
	}
	return text
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
