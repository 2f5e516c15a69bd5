package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// TextOptions tune the text renderer.
type TextOptions struct {
	Color bool // ANSI colour for verdicts and severities (terminals only)
}

// Text writes the report for people: per message a summary, the hop table
// and the findings.
func Text(w io.Writer, r *analyze.Report, opts TextOptions) error {
	for i, m := range r.Messages {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := TextMessage(w, m, opts); err != nil {
			return err
		}
	}
	return nil
}

// TextMessage writes one message's report.
func TextMessage(w io.Writer, m *analyze.MessageReport, opts TextOptions) error {
	p := &printer{w: w, color: opts.Color}
	p.title(m)
	if m.Error != "" {
		p.linef("  error: %s\n", Safe(m.Error))
		p.defects(m)
		return p.err
	}
	p.summary(m)
	if len(m.Hops) == 0 {
		p.linef("\nNo Received headers.\n")
	} else {
		p.linef("\nHops (oldest first):\n")
		if err := HopTable(w, m.Hops); err != nil {
			return err
		}
	}
	if p.err == nil && m.Auth != nil {
		p.err = AuthTextOf(w, m)
	}
	p.findings(m)
	p.defects(m)
	return p.err
}

// defects lists what reading the message ran into: a broken header block,
// an attached message that could not be analysed.
func (p *printer) defects(m *analyze.MessageReport) {
	if len(m.Defects) == 0 {
		return
	}
	p.linef("\nDefects:\n")
	for _, d := range m.Defects {
		p.linef("  %s\n", Safe(d))
	}
}

type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) linef(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) title(m *analyze.MessageReport) {
	p.linef("== %s ==\n", Safe(messageName(m)))
	if m.Error == "" {
		p.linef("Verdict: %s (score %d)\n", p.paint(string(m.Verdict), verdictColor(m.Verdict)), m.Score)
	}
}

func (p *printer) summary(m *analyze.MessageReport) {
	h := m.Header
	p.field("From", addresses(h.From))
	p.field("To", addresses(h.To))
	if len(h.Cc) > 0 {
		p.field("Cc", addresses(h.Cc))
	}
	p.field("Subject", h.Subject)
	p.field("Date", h.DateText)
	p.field("Message-ID", h.MessageID)
	env := "MAIL FROM:<" + m.Envelope.MailFrom + ">"
	if len(m.Envelope.RcptTo) > 0 {
		env += "  RCPT TO:<" + strings.Join(m.Envelope.RcptTo, ">, <") + ">"
	}
	p.field("Envelope", env+"  ("+m.Envelope.Source+")")
	if m.DNS != nil {
		dnsLine := m.DNS.Mode
		if m.DNS.Lookups > 0 {
			dnsLine += fmt.Sprintf(", %d lookups", m.DNS.Lookups)
		}
		if m.DNS.Unavailable {
			dnsLine += ": DNS was unavailable, DNS checks are unknown"
		} else if m.DNS.Note != "" {
			dnsLine += ": " + m.DNS.Note
		}
		p.field("DNS", dnsLine)
	}
}

func (p *printer) field(name, value string) {
	p.linef("%-11s %s\n", name+":", Safe(value))
}

func (p *printer) findings(m *analyze.MessageReport) {
	if len(m.Findings) == 0 {
		p.linef("\nFindings: none\n")
		return
	}
	p.linef("\nFindings:\n")
	for _, f := range m.Findings {
		where := "message"
		if len(f.Hops) > 0 {
			where = "hop " + joinInts(f.Hops)
		}
		sev := p.paint(fmt.Sprintf("%-6s", f.Severity), severityColor(f.Severity))
		p.linef("  %s %-24s %-9s %s\n", sev, f.Rule, where, Safe(f.Message))
		if f.Evidence != "" && f.Evidence != f.Message {
			// Folding whitespace is kept in the evidence (JSON has it
			// exact); on a terminal its runs only push the text apart.
			p.linef("         evidence: %s\n", Safe(truncateFields(f.Evidence, 300)))
		}
	}
}

// hopTable is a table drawn into its own buffer, kept for the next message:
// tablewriter.NewTable makes a 10,240-entry cache map for its stringer,
// which cost as much as drawing the table (this package passes strings, so
// the stringer is never used and the table gets a cache that keeps nothing).
type hopTable struct {
	buf bytes.Buffer
	t   *tablewriter.Table
}

var hopTables = sync.Pool{New: func() any {
	h := &hopTable{}
	h.t = tablewriter.NewTable(&h.buf,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithStringerCacheCustom(noCache{}),
	)
	return h
}}

// noCache is a stringer cache that keeps nothing.
type noCache struct{}

func (noCache) Add(reflect.Type, reflect.Value) bool           { return false }
func (noCache) Get(reflect.Type) (v reflect.Value, found bool) { return v, false }
func (noCache) Purge()                                         {}

// HopTable writes the hop table: # | time | delay | from | by | with, TLS.
func HopTable(w io.Writer, hops []received.Hop) error {
	h := hopTables.Get().(*hopTable)
	defer hopTables.Put(h)
	h.buf.Reset()
	h.t.Reset()
	if err := fillHopTable(h.t, hops); err != nil {
		return err
	}
	if _, err := w.Write(h.buf.Bytes()); err != nil {
		return fmt.Errorf("hop table: %w", err)
	}
	return nil
}

func fillHopTable(t *tablewriter.Table, hops []received.Hop) error {
	t.Header("#", "Time", "Delay", "From: HELO / rDNS [IP]", "By", "With / TLS")
	for _, h := range hops {
		row := []string{
			hopIndex(h),
			hopTime(h.Time),
			FormatDelay(h.DelaySeconds),
			textCell(fromLines(h.From)),
			textCell(byLines(h.By)),
			textCell(withLines(h)),
		}
		if err := t.Append(row); err != nil {
			return fmt.Errorf("hop table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("hop table: %w", err)
	}
	return nil
}

func hopIndex(h received.Hop) string {
	s := fmt.Sprint(h.Index)
	if h.Trusted {
		s += "*"
	}
	if h.Parsed == received.ParsedNone {
		s += "?"
	}
	return s
}

func hopTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02 15:04:05 -0700")
}

// FormatDelay renders a signed delay: "+2s", "-4m05s", "+1h02m". A clock
// that stepped backwards keeps its minus sign.
func FormatDelay(sec *float64) string {
	if sec == nil {
		return "-"
	}
	s := *sec
	sign := "+"
	if s < 0 {
		sign, s = "-", -s
	}
	d := time.Duration(math.Round(s)) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%s%ds", sign, int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%s%dm%02ds", sign, int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%02dm", sign, int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%s%dd%02dh", sign, int(d.Hours())/24, int(d.Hours())%24)
	}
}

// fromLines, byLines and withLines give a hop's cells as lines: the text
// table shows them stacked, the other formats on one line.
func fromLines(f received.From) []string {
	var lines []string
	if f.HELO != "" {
		lines = append(lines, truncate(f.HELO, 44))
	}
	second := truncate(f.RDNS, 44)
	if f.IP != "" {
		second = strings.TrimSpace(second + " [" + f.IP + "]")
	}
	if second != "" && (len(lines) == 0 || second != lines[0]) {
		lines = append(lines, second)
	}
	return lines
}

func byLines(b received.By) []string {
	var lines []string
	if b.Host != "" {
		lines = append(lines, truncate(b.Host, 44))
	}
	if b.IP != "" && b.IP != b.Host {
		lines = append(lines, "["+b.IP+"]")
	}
	return lines
}

func withLines(h received.Hop) []string {
	var lines []string
	if h.With != "" {
		lines = append(lines, truncate(h.With, 22))
	}
	if v := tlsVersion(h.TLS); v != "" {
		lines = append(lines, v)
	}
	return lines
}

// textCell makes each line safe and stacks them; "-" for none.
func textCell(lines []string) string {
	if len(lines) == 0 {
		return "-"
	}
	for i, l := range lines {
		lines[i] = Safe(l)
	}
	return strings.Join(lines, "\n")
}

// fromCell, byCell and withCell are the one-line forms.
func fromCell(f received.From) string { return oneLine(fromLines(f), " / ") }
func byCell(b received.By) string     { return oneLine(byLines(b), " ") }
func withCell(h received.Hop) string  { return oneLine(withLines(h), ", ") }

func oneLine(lines []string, sep string) string {
	if len(lines) == 0 {
		return "-"
	}
	return Safe(strings.Join(lines, sep))
}

// tlsVersion shortens recorded TLS details to the protocol version
// ("TLSv1.3", "TLS1_2"); the full text stays in JSON.
func tlsVersion(s string) string {
	if s == "" {
		return ""
	}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" ,=();:", r) }) {
		u := strings.ToUpper(f)
		if (strings.HasPrefix(u, "TLS") || strings.HasPrefix(u, "SSL")) && len(f) > 4 && strings.ContainsAny(f[3:5], "v1_23") {
			return f
		}
	}
	return "TLS"
}

func addresses(list []analyze.Address) string {
	out := make([]string, len(list))
	for i, a := range list {
		if a.Name != "" {
			out[i] = fmt.Sprintf("%q <%s>", a.Name, a.Address)
		} else {
			out[i] = a.Address
		}
	}
	return strings.Join(out, ", ")
}

func joinInts(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

// truncate cuts s to at most n runes, marking the cut. A byte that is no
// UTF-8 counts as one rune, written U+FFFD in the part kept, as []rune(s)
// has it; only that part is decoded, so a 1 MiB Subject is not made a
// slice of 4 MiB to print 120 runes of it.
func truncate(s string, n int) string {
	end := 0 // s[:end] holds the first n runes
	for k := 0; k < n && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	if end == len(s) {
		return s
	}
	kept := s[:end]
	if !utf8.ValidString(kept) {
		var b strings.Builder
		for _, r := range kept {
			b.WriteRune(r)
		}
		kept = b.String()
	}
	return kept + "…"
}

// truncateFields is truncate(strings.Join(strings.Fields(s), " "), n),
// with only as much of the joined text built as it keeps: evidence can
// be a field of 1 MiB or a MIME parser's error quoting a longer line, and
// splitting that into words took several times its size.
func truncateFields(s string, n int) string {
	var b strings.Builder
	runes := 0
	for w := range strings.FieldsSeq(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
			runes++
		}
		w = firstRunes(w, n+1-runes)
		b.WriteString(w)
		if runes += utf8.RuneCountInString(w); runes > n {
			break // enough for truncate to cut, and where
		}
	}
	return truncate(b.String(), n)
}

// firstRunes is s up to its first n runes (none when n < 1).
func firstRunes(s string, n int) string {
	end := 0
	for k := 0; k < n && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	return s[:end]
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiDim    = "\x1b[2m"
)

func (p *printer) paint(s, color string) string {
	if !p.color || color == "" {
		return s
	}
	return color + s + ansiReset
}

func verdictColor(v analyze.Verdict) string {
	switch v {
	case analyze.VerdictForged, analyze.VerdictError:
		return ansiRed
	case analyze.VerdictSuspicious:
		return ansiYellow
	}
	return ansiGreen
}

func severityColor(s analyze.Severity) string {
	switch s {
	case analyze.SeverityHigh:
		return ansiRed
	case analyze.SeverityMedium:
		return ansiYellow
	case analyze.SeverityInfo:
		return ansiDim
	}
	return ""
}

// Counted is "1 message", "2 messages": n and a noun whose plural takes an s.
func Counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
