// Package analyze turns raw message bytes into a Report: it splits the
// message (RFC 5322 §2.2, header fields kept raw with their line numbers),
// rebuilds the envelope and the Received chain, runs the rules and computes
// the verdict.
//
// The header path never decodes MIME, so a broken body cannot stop header
// analysis; the body is summarised through enmime only when asked. Findings
// are values: an error from this package means a message could not be read
// at all, never that it looks forged.
package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/received"
)

// Options configure an Analyzer. The zero value analyses offline, with the
// real clock and the default clock-skew tolerance.
type Options struct {
	HeaderOnly bool         // skip MIME decoding of the body
	Resolver   dns.Resolver // nil: offline, DNS checks report "not checked"
	DNSMode    string       // "offline", "zone" or "network", for the report
	Now        func() time.Time
	ClockSkew  time.Duration // tolerance for hops stamped out of order; 0 means 5 minutes
	Trusted    []string      // CIDRs, hosts or domains of the receiving side (--trusted)
	// Disabled are the IDs of rules not to run (--disable): they yield no
	// finding and weigh nothing in the score. ValidRuleID checks an ID.
	Disabled []string
	// Attached also analyses the messages a message carries (forwarded as
	// an attachment, returned in a bounce or an abuse report): see
	// AnalyzeAll.
	Attached bool
}

// Input is one message to analyse.
type Input struct {
	File  string
	Index int
	// Line is the line of File where the message starts, when that is not
	// the first (a message of an mbox): the report's lines are then the
	// file's. 0 means 1.
	Line int
	Raw  []byte
	// Envelope is the true SMTP envelope when mailtrace captured the message
	// itself; nil means read it from trace fields.
	Envelope *Envelope
	Session  any // recorded in the report as-is
	// Anomalies are what the SMTP session itself showed (pre-greeting
	// talk, bare line ends, an impersonating HELO...), when captured live.
	Anomalies []SessionAnomaly
	// Prepended is how many octets at the start of Raw the receiver wrote
	// itself (serve's Return-Path, Delivered-To and Received fields), when
	// captured live. The client's text after them never continues their
	// last field, even when it starts with white space: that would let the
	// client write into the trusted hop.
	Prepended int
	// Recoded names the encoding Raw was read from when it is not the
	// file's bytes (Source.Recoded); the report's defects say so.
	Recoded string
}

// SessionAnomaly is one protocol-level observation from the SMTP session
// that delivered the message. Codes are the receiver's stable anomaly codes.
type SessionAnomaly struct {
	Code   string
	Detail string
	Where  string // "session" (the client's byte stream) or "message"
	Offset int64
	Line   int64
}

// Analyzer runs the analysis. It is safe for concurrent use.
type Analyzer struct {
	opts  Options
	rules []*Rule // the catalogue without the disabled rules
	// checks are the rules' Check functions, side by side with their
	// rules: every message calls each, and reaching it through its Rule, a
	// record of its own with the rule's texts, took a cache line per rule.
	checks []ruleCheck
	// fileChecks are checks without the session rules (sessionOnly),
	// which find nothing in a message with no session anomalies, as every
	// message read from a file is.
	fileChecks []ruleCheck
	// firstCheck and firstFileCheck are where runRules starts each list.
	firstCheck, firstFileCheck *ruleCheck
	// contexts are judge's Contexts, zeroed, for the next message: with
	// its trust and inline buffers one is two kilobytes, which every
	// message allocated and dropped. spare holds one of them, taken and
	// given back with one atomic swap each: a run that judges one message
	// at a time, as most do, never reaches the pool, whose Get and Put
	// cost some sixty instructions each; judges running at once share
	// the pool.
	contexts sync.Pool
	spare    atomic.Pointer[Context]
}

// New returns an Analyzer with defaults filled in.
func New(opts Options) *Analyzer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = 5 * time.Minute
	}
	if opts.DNSMode == "" {
		opts.DNSMode = "offline"
		if opts.Resolver != nil {
			opts.DNSMode = "network"
		}
	}
	a := &Analyzer{opts: opts, rules: enabledRules(opts.Disabled)}
	for _, r := range a.rules {
		a.checks = append(a.checks, ruleCheck{r.Check, r, nil})
		if !sessionOnly(r) {
			a.fileChecks = append(a.fileChecks, ruleCheck{r.Check, r, nil})
		}
	}
	a.firstCheck, a.firstFileCheck = linkChecks(a.checks), linkChecks(a.fileChecks)
	return a
}

// sessionOnly reports a rule that judges the SMTP session alone (one of
// sessionRules'): sessionFindings finds nothing without anomalies.
func sessionOnly(r *Rule) bool {
	for _, s := range sessionRules {
		if s.rule == r.ID {
			return true
		}
	}
	return false
}

// Analyze analyses one message. It never fails: a message that cannot be
// split becomes a report with Error set and verdict "error".
func (a *Analyzer) Analyze(ctx context.Context, in Input) *MessageReport {
	rep, _ := a.analyze(ctx, in)
	return rep
}

// analyze is Analyze that also returns the message as split, nil when it
// could not be: finding the messages it carries reads the same split.
func (a *Analyzer) analyze(ctx context.Context, in Input) (*MessageReport, *Message) {
	rep, msg := a.read(in)
	if msg != nil {
		a.judge(ctx, in, msg, rep)
	}
	return rep, msg
}

// read is the first half of Analyze: it splits the message and fills the
// report's header summary, hops, envelope and (unless HeaderOnly) body.
// The message is nil when it could not be split; the report then says why.
func (a *Analyzer) read(in Input) (*MessageReport, *Message) {
	rep := &MessageReport{File: in.File, Index: in.Index, Line: in.Line, Verdict: VerdictClean, Session: in.Session}
	defer rep.fillLists() // on every path: the lists the contract calls arrays are [], not null
	msg, err := splitAfter(in.Raw, in.Prepended)
	if in.Line > 1 { // a message that failed too: its defects name file lines
		shiftLines(msg, in.Line-1)
	}
	rep.Defects = msg.Defects
	if in.Recoded != "" {
		rep.Defects = append([]string{fmt.Sprintf("line 1: the file is %s text, read as UTF-8", in.Recoded)}, rep.Defects...)
	}
	if err != nil {
		rep.Error = err.Error()
		rep.Verdict = VerdictError
		return rep, nil
	}
	rep.Fields = msg.Fields
	rep.Header = summarize(msg)
	cuts := capAddressLists(&rep.Header, msg) // what the bounds leave out, said in the defects
	if n := len(msg.Fields); n > maxListedFields {
		cuts = append(cuts, fmt.Sprintf("line %d: %d more header fields not listed (at most %d are)",
			msg.Fields[maxListedFields].Line, n-maxListedFields, maxListedFields))
	}
	fields, omitted, line := receivedFields(msg)
	if omitted > 0 {
		cuts = append(cuts, fmt.Sprintf("line %d: %d older Received fields not analysed (at most %d hops are)", line, omitted, maxHops))
	}
	rep.Hops = received.BuildChain(fields).Hops
	if in.Envelope != nil {
		rep.Envelope = *in.Envelope
	} else if rep.Envelope, omitted, line = envelopeFromTrace(msg, rep.Hops); omitted > 0 {
		cuts = append(cuts, fmt.Sprintf("line %d: %d more envelope recipients not listed (at most %d are)", line, omitted, maxRcpts))
	}
	if len(cuts) > 0 {
		rep.Defects = append(slices.Clip(rep.Defects), cuts...) // msg.Defects stay the message's own
	}
	if !a.opts.HeaderOnly {
		rep.Body = summarizeBody(msg)
	}
	return rep, msg
}

// judge is the second half: trust inference, the rules and the verdict.
func (a *Analyzer) judge(ctx context.Context, in Input, msg *Message, rep *MessageReport) {
	captured := in.Envelope != nil || in.Session != nil
	c := a.spare.Swap(nil)
	if c == nil {
		c, _ = a.contexts.Get().(*Context)
		if c == nil {
			c = new(Context)
		}
	}
	// Nothing the report keeps points into the Context or its trust (the
	// findings, the auth result and the hops are allocated apart), so it
	// is zeroed, to hold no message, and reused; its findings buffer is
	// kept, emptied.
	defer func() {
		found := c.found
		clear(found)
		*c = Context{found: found[:0]}
		if !a.spare.CompareAndSwap(nil, c) {
			a.contexts.Put(c)
		}
	}()
	c.Ctx, c.Msg, c.Report, c.Opts, c.Captured, c.Anomalies = ctx, msg, rep, &a.opts, captured, in.Anomalies
	c.lineOffset = max(in.Line-1, 0)
	rcpt := "" // only DNS (the recipient domain's MX) makes use of it
	if a.opts.Resolver != nil && a.opts.DNSMode != "offline" {
		rcpt = c.deliveredTo()
	}
	c.trust.infer(ctx, rep.Hops, &a.opts, captured, rcpt)
	c.Trust = &c.trust
	checks := a.firstCheck
	if len(in.Anomalies) == 0 {
		checks = a.firstFileCheck
	}
	rep.Findings, rep.Score = runRules(c, checks)
	rep.Verdict = VerdictFor(rep.Score)
	rep.Findings = capFindings(rep.Findings)
}

// maxRuleFindings bounds the findings one rule lists for one message; the
// verdict and score count them all.
const maxRuleFindings = 100

// capFindings keeps the first maxRuleFindings findings of each rule (a
// rule's findings are together, in the order the rule made them) and says
// how many more there were in an info finding after them.
func capFindings(findings []Finding) []Finding {
	over := false
	for i := maxRuleFindings; i < len(findings) && !over; i++ {
		over = findings[i].Rule == findings[i-maxRuleFindings].Rule
	}
	if !over {
		return findings
	}
	var out []Finding
	for i := 0; i < len(findings); {
		j := i
		for j < len(findings) && findings[j].Rule == findings[i].Rule {
			j++
		}
		if j-i <= maxRuleFindings {
			out = append(out, findings[i:j]...)
		} else {
			out = append(out, findings[i:i+maxRuleFindings]...)
			out = append(out, Finding{Rule: findings[i].Rule, Severity: SeverityInfo, Hops: []int{},
				Message: fmt.Sprintf("%d more %s findings not listed (the score counts them)", j-i-maxRuleFindings, findings[i].Rule)})
		}
		i = j
	}
	return out
}

// maxAddresses bounds each address list of the header summary (From,
// Reply-To, To, Cc): rules compare each address with others, and no one
// addresses mail by hand to more.
const maxAddresses = 1000

// capAddressLists keeps the first maxAddresses addresses of each list of
// h, and returns a defect for each longer list that says how long it was.
func capAddressLists(h *HeaderSummary, m *Message) (defects []string) {
	for _, l := range []struct {
		name string
		list *[]Address
	}{{"From", &h.From}, {"Reply-To", &h.ReplyTo}, {"To", &h.To}, {"Cc", &h.Cc}} {
		n := len(*l.list)
		if n <= maxAddresses {
			continue
		}
		*l.list = slices.Clone((*l.list)[:maxAddresses])
		defects = append(defects, fmt.Sprintf("line %d: %s lists %d addresses; the first %d are analysed",
			firstFieldLine(m.Fields, l.name), l.name, n, maxAddresses))
	}
	return defects
}

// shiftLines makes the lines Split counted from the message's first line
// lines of the file it sits in, off lines further down: the fields' and
// those the defects name.
func shiftLines(msg *Message, off int) {
	for i := range msg.Fields {
		msg.Fields[i].Line += off
	}
	for i, d := range msg.Defects {
		if n, rest := defectLine(d); n > 0 {
			msg.Defects[i] = fmt.Sprintf("line %d: %s", n+off, rest)
		}
	}
}

// maxHops bounds the chain read from one message: the newest maxHops
// Received fields are analysed. No MTA passes on mail with more than about
// a hundred (received-too-many); without a bound, a 25 MB message of
// Received lines, which serve accepts, took a gigabyte and seconds to
// analyse and a hundred megabytes to report.
const maxHops = 1000

// receivedFields lists the newest maxHops Received fields in header order
// (newest first): the receiving side's end of the chain. It also returns
// how many older ones it left out, and the line of the newest of those.
func receivedFields(m *Message) (out []received.Field, omitted, omittedLine int) {
	for _, f := range m.Fields {
		if !isReceived(f.Name) {
			continue
		}
		if len(out) == maxHops {
			if omitted == 0 {
				omittedLine = f.Line
			}
			omitted++
			continue
		}
		// The value loses the space after the colon and its final line
		// end; folding inside it is kept as written.
		v := strings.TrimRight(strings.TrimLeft(f.Value, " \t"), "\r\n")
		out = append(out, received.Field{Value: v, Line: f.Line})
	}
	return out, omitted, omittedLine
}

// isReceived reports a field name that is Received, in any case.
func isReceived(name string) bool { return len(name) == 8 && equalFoldASCII(name, "Received") }

// equalFoldASCII reports whether a and b are equal once ASCII letters are
// folded; every other byte must match exactly (folding with |0x20 would
// also take '@' for '`' and CR for '-').
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		// Most bytes are equal; two that are not fold together when they
		// differ in the case bit alone and are letters (c^0x20 is a
		// letter exactly when c is).
		if c := a[i]; c != b[i] && (c^b[i] != 0x20 || !isLetterASCII(c)) {
			return false
		}
	}
	return true
}
