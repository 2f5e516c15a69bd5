package report

import (
	"fmt"
	"github.com/mailtrace/mailtrace/auth"
	"io"
	"strings"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// Markdown writes the report as GitHub-flavoured Markdown sized for a CI job
// summary: totals, one table row per message with its verdict, then per
// message its findings and (folded) its hop table. Every value from a
// message is escaped by mdText/mdCell.
func Markdown(w io.Writer, r *analyze.Report, opts Options) error {
	return Render(w, "markdown", r, opts)
}

type markdownWriter struct {
	w     io.Writer
	opts  Options
	tally analyze.Tally
	index spool // the per-message table rows
	body  spool // the per-message sections
	err   error
	size  int           // bytes of rows and sections so far
	left  analyze.Tally // messages past markdownBudget, not shown
}

// markdownBudget bounds the rows and sections of a Markdown report: GitHub
// takes a comment of at most 65,536 characters (and a job summary of 1 MiB),
// so a long run shows its first messages and counts the rest.
const markdownBudget = 60_000

func newMarkdownWriter(w io.Writer, opts Options) *markdownWriter {
	return &markdownWriter{w: w, opts: opts}
}

func (mw *markdownWriter) Message(m *analyze.MessageReport) error {
	mw.tally.Add(m)
	n := mw.tally.Messages
	if mw.left.Messages > 0 {
		mw.left.Add(m)
		return nil
	}
	var row, sec strings.Builder
	fmt.Fprintf(&row, "| %d | %s | %s | %d | %d | %s | %s |\n", n, mdCell(truncate(messageName(m), 80)),
		verdictBadge(m.Verdict), m.Score, len(m.Findings), mdCell(truncate(addresses(m.Header.From), 60)),
		mdCell(truncate(m.Header.Subject, 80)))
	// The first message is always shown, cut to the budget when it alone
	// would pass it (a thousand hops); later ones are counted instead.
	mw.section(&sec, n, m, markdownBudget-row.Len())
	if n > 1 && mw.size+row.Len()+sec.Len() > markdownBudget {
		mw.left.Add(m)
		return nil
	}
	mw.size += row.Len() + sec.Len()
	io.WriteString(&mw.index, row.String())
	io.WriteString(&mw.body, sec.String())
	if mw.index.err != nil {
		return mw.index.err
	}
	return mw.body.err
}

// section writes a message's section, its tables cut short with a note so
// that it stays within limit bytes.
func (mw *markdownWriter) section(b *strings.Builder, n int, m *analyze.MessageReport, limit int) {
	fmt.Fprintf(b, "\n### %d. %s %s\n\n", n, verdictBadge(m.Verdict), mdText(messageName(m)))
	if m.Error != "" {
		fmt.Fprintf(b, "**Error:** %s\n", mdText(m.Error))
		return
	}
	fmt.Fprintf(b, "**Verdict:** %s (score %d)  \n", mdText(string(m.Verdict)), m.Score)
	fmt.Fprintf(b, "**From:** %s  \n**Subject:** %s  \n", mdText(addresses(m.Header.From)), mdText(m.Header.Subject))
	fmt.Fprintf(b, "**Envelope:** MAIL FROM %s (%s)\n", mdText("<"+m.Envelope.MailFrom+">"), mdText(m.Envelope.Source))
	if a, ok := m.Auth.(*auth.Result); ok && a != nil {
		rows := authRows(a)
		parts := make([]string, len(rows))
		for i, r := range rows {
			parts[i] = mdText(r.Method) + " " + mdText(r.Result)
		}
		fmt.Fprintf(b, "\n**Authentication:** %s (%s)\n", strings.Join(parts, " · "), mdText(authHeading(a)))
	}
	// The findings may take half of what is left, the hops most of the
	// rest; whatever a table leaves, the next may use.
	mdFindings(b, m, b.Len()+(limit-b.Len())/2)
	mdHops(b, m, limit-mdReserve)
	if len(m.Defects) > 0 {
		fmt.Fprintf(b, "\n**Defects:**\n\n")
		for i, d := range m.Defects {
			if b.Len() > limit-mdReserve/2 {
				fmt.Fprintf(b, "- %s\n", notShown(len(m.Defects)-i, "defect"))
				break
			}
			fmt.Fprintf(b, "- %s\n", mdText(d))
		}
	}
}

// mdReserve is the room a section keeps for what follows a cut table.
const mdReserve = 2000

// notShown says how many rows a table left out to stay within the budget.
func notShown(n int, what string) string {
	return fmt.Sprintf("*%s not shown here (the JSON report has all)*", Counted(n, "more "+what))
}

func mdFindings(b *strings.Builder, m *analyze.MessageReport, limit int) {
	if len(m.Findings) == 0 {
		fmt.Fprintf(b, "\nNo findings.\n")
		return
	}
	fmt.Fprintf(b, "\n| Severity | Rule | Hops | Line | Finding | Evidence |\n|---|---|---|---:|---|---|\n")
	for i, f := range m.Findings {
		if b.Len() > limit {
			fmt.Fprintf(b, "\n%s\n", notShown(len(m.Findings)-i, "finding"))
			break
		}
		line := ""
		if l := fileLines(m, f); len(l) > 0 {
			line = joinInts(l)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", severityBadge(f.Severity), mdCell(f.Rule),
			joinInts(f.Hops), line, mdCell(truncate(f.Message, 200)), mdCell(truncate(f.Evidence, 200)))
	}
}

func mdHops(b *strings.Builder, m *analyze.MessageReport, limit int) {
	if len(m.Hops) == 0 {
		fmt.Fprintf(b, "\nNo Received headers.\n")
		return
	}
	open := ""
	if m.Verdict != analyze.VerdictClean {
		open = " open"
	}
	fmt.Fprintf(b, "\n<details%s><summary>Hops, oldest first (%d)</summary>\n\n", open, len(m.Hops))
	fmt.Fprintf(b, "| # | Time | Delay | From (HELO / rDNS [IP]) | By | With, TLS |\n|---:|---|---:|---|---|---|\n")
	for i, h := range m.Hops {
		if b.Len() > limit {
			fmt.Fprintf(b, "\n%s\n", notShown(len(m.Hops)-i, "hop"))
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdText(hopIndex(h)), hopTime(h.Time),
			mdText(FormatDelay(h.DelaySeconds)), mdCell(hopFrom(h)), mdCell(byCell(h.By)), mdCell(withCell(h)))
	}
	fmt.Fprintf(b, "\n</details>\n")
}

// hopFrom is the from cell, or the raw text when the line was not parsed.
func hopFrom(h received.Hop) string {
	if h.Parsed == received.ParsedNone {
		return "unparsed: " + truncateFields(h.Raw, 100)
	}
	return fromCell(h.From)
}

func (mw *markdownWriter) Close() error {
	t := mw.tally
	var head strings.Builder
	fmt.Fprintf(&head, "## %s\n\n", mdText(mw.opts.Title))
	fmt.Fprintf(&head, "**%s:** %s %d forged · %s %d suspicious · %s %d clean · %s %s\n\n",
		Counted(t.Messages, "message"), verdictEmoji(analyze.VerdictForged), t.Forged, verdictEmoji(analyze.VerdictSuspicious), t.Suspicious,
		verdictEmoji(analyze.VerdictClean), t.Clean, verdictEmoji(analyze.VerdictError), Counted(t.Errors, "error"))
	if len(mw.opts.Disabled) > 0 {
		fmt.Fprintf(&head, "_Rules not run (--disable): %s._\n\n", mdText(strings.Join(mw.opts.Disabled, ", ")))
	}
	if t.Messages > 0 {
		head.WriteString("| # | Message | Verdict | Score | Findings | From | Subject |\n|---:|---|---|---:|---:|---|---|\n")
	}
	if _, err := io.WriteString(mw.w, head.String()); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	if err := mw.index.copyTo(mw.w); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	if l := mw.left; l.Messages > 0 {
		verb := "are"
		if l.Messages == 1 {
			verb = "is"
		}
		note := fmt.Sprintf("\n_%s %s not shown (%d forged, %d suspicious, %d clean, %s): a Markdown report "+
			"stops near %d KB, within GitHub's comment limit; `--format json` or `--format sarif` lists every message._\n",
			Counted(l.Messages, "more message"), verb, l.Forged, l.Suspicious, l.Clean, Counted(l.Errors, "error"), markdownBudget/1000)
		if _, err := io.WriteString(mw.w, note); err != nil {
			return fmt.Errorf("write markdown: %w", err)
		}
	}
	if err := mw.body.copyTo(mw.w); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

func verdictEmoji(v analyze.Verdict) string {
	switch v {
	case analyze.VerdictClean:
		return "✅"
	case analyze.VerdictSuspicious:
		return "⚠️"
	case analyze.VerdictForged:
		return "❌"
	}
	return "💥"
}

// verdictBadge is the emoji and the verdict; verdicts are this program's
// own words, but an unknown one is escaped all the same.
func verdictBadge(v analyze.Verdict) string {
	return verdictEmoji(v) + " " + mdText(string(v))
}

func severityBadge(s analyze.Severity) string {
	icon := map[analyze.Severity]string{analyze.SeverityHigh: "🔴", analyze.SeverityMedium: "🟠",
		analyze.SeverityLow: "🟡", analyze.SeverityInfo: "⚪"}[s]
	return strings.TrimSpace(icon + " " + mdCell(string(s)))
}
