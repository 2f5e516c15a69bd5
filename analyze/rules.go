package analyze

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/mailtrace/mailtrace/auth"
)

// Rule is one check with a stable ID. Findings it produces carry the rule's
// ID; the severity is the rule's unless the check sets its own.
type Rule struct {
	ID       string
	Severity Severity
	Title    string // short name for catalogues
	Explain  string // one paragraph: what it means and why it matters
	Example  string // a minimal example that triggers it
	// Check returns the rule's findings in the message, nil for none. The
	// list is read, and copied, before another rule runs: a rule may give
	// its one finding in the Context's storage (Context.one).
	Check func(c *Context) []Finding
	// Field is the header field the rule's findings are about (its first
	// occurrence), for findings that name no hop and no line: reports
	// point there (a SARIF region, the JSON line).
	Field string
}

// Context is what a rule sees of one message.
type Context struct {
	Ctx    context.Context
	Msg    *Message
	Report *MessageReport
	Opts   *Options
	// Trust is the inferred trust boundary; the hops it covers have
	// Trusted set in Report.Hops.
	Trust *Trust
	// Captured is set when mailtrace received the message itself.
	Captured bool
	// Anomalies are the SMTP session's own evidence, when captured live.
	Anomalies []SessionAnomaly
	// lineOffset is how many lines of the file come before the message
	// (Input.Line - 1): Msg's field lines include it already.
	lineOffset int

	// Results several rules share, computed once per message.
	authRes *auth.Result // authResult
	dnsEv   *dnsEvidence // dnsEvidenceOf; nil offline
	dnsDone bool

	// Values the chain rules share, computed once per message.
	linkCache  []link
	authCache  []AuthResults
	rcptCache  []string
	rcptFacts  []*nameFacts // recipientFacts, filled with rcptCache
	keyCache   []uint64
	dupCache   []int
	cacheReady uint8 // bits: which of the caches above are filled
	fieldIdx   fieldIndex
	authFields [4]auth.Field // the few fields auth reads (authHeader)
	// The caches start in these: most chains have a few hops and most
	// messages one or two recipient families.
	linkBuf [6]link
	dupBuf  [6]int
	rcptBuf [2]string
	trust   Trust // Trust's storage when judge inferred it

	rcptFactsBuf [2]*nameFacts // rcptFacts starts in it, as rcptCache in rcptBuf
	// fromDomain are the From domain's facts (fromDomainFacts), nil until asked.
	fromDomain *nameFacts
	// The facts of the other addresses and names the header and envelope
	// rules each look at (mailFromFacts, senderFacts, replyToFacts,
	// msgIDFacts), nil until asked.
	mailFrom, sender, replyTo, msgID *nameFacts
	hopKindBits                      uint8 // hopKinds
	// found is where runRules gathers the findings; judge keeps its
	// storage for the next message. score is their score (each rule's ruleScore).
	found []Finding
	score int
	// single is where a rule that finds one thing returns it (one).
	single [1]Finding
}

var registry []*Rule

// register adds a rule to the catalogue; rules register from init functions
// in the file that implements them.
func register(r *Rule) { registry = append(registry, r) }

// fieldLine is the line of the first field named name, 0 when there is none.
// A single-instance field (most rules' Field) is found in the fields'
// index, which reading them once per message made: Split's names are
// ASCII, which its EqualFold folds as equalFoldASCII does.
func (c *Context) fieldLine(name string) int {
	if k := singleFieldIndex(name); k >= 0 {
		if i := c.fields().first[k]; i >= 0 {
			return c.Msg.Fields[i].Line
		}
		return 0
	}
	return firstFieldLine(c.Msg.Fields, name)
}

// firstFieldLine is the line of the first of fields named name, 0 when
// none is.
func firstFieldLine(fields []Field, name string) int {
	for i := range fields {
		if f := &fields[i]; len(f.Name) == len(name) && equalFoldASCII(f.Name, name) {
			return f.Line
		}
	}
	return 0
}

// enabledRules is the catalogue, in the order rules run, without the
// rules whose IDs are in disabled.
func enabledRules(disabled []string) []*Rule {
	if len(disabled) == 0 {
		return registry
	}
	var out []*Rule
	for _, r := range registry {
		if !slices.Contains(disabled, r.ID) {
			out = append(out, r)
		}
	}
	return out
}

// ValidRuleID reports whether id names a rule of the catalogue, for
// Options.Disabled.
func ValidRuleID(id string) error {
	for _, r := range registry {
		if r.ID == id {
			return nil
		}
	}
	return fmt.Errorf("no rule %q (mailtrace rules lists them)", id)
}

// Rules returns the catalogue, sorted by ID.
func Rules() []Rule {
	out := make([]Rule, len(registry))
	for i, r := range registry {
		out[i] = *r
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ruleCheck is a rule's Check function beside the rule, and the next
// rule's in the list it is in (linkChecks), nil after the last.
type ruleCheck struct {
	check func(*Context) []Finding
	rule  *Rule
	next  *ruleCheck
}

// linkChecks links each of list to the one after it, and returns the
// first, nil for none: runRules follows the links.
func linkChecks(list []ruleCheck) *ruleCheck {
	if len(list) == 0 {
		return nil
	}
	for i := range list[:len(list)-1] {
		list[i].next = &list[i+1]
	}
	list[len(list)-1].next = nil
	return &list[0]
}

// runRules runs every rule's check and fills in IDs and default
// severities; it also returns the findings' score, each rule's ruleScore
// added up (the tests' verdictOf works it out of the list). The rest of a rule is read only when it found something.
// The findings gather in the Context's buffer, which judge keeps from one
// message to the next, and are copied out once at the end: a message's
// list took several allocations to grow, each copying it again.
// Most checks find nothing, so the loop holds nothing but the Context and
// the rule's check over the calls (every register is the callee's to use,
// and each value kept is reloaded after every call): the checks are a
// linked list (linkChecks), whose next one is a load away, where a slice
// took its base, length and index reloaded each and the index kept; the
// findings are added by a function of their own.
// Each rule's findings are added at once, by one call, and the rules'
// IDs are all different (TestRuleIDsUnique): what a rule adds to the
// score (at most twice its heaviest finding) is worked out there, and the
// findings need not be read again to tell the rules apart.
func runRules(c *Context, first *ruleCheck) ([]Finding, int) {
	c.found, c.score = c.found[:0], 0
	for rc := first; rc != nil; rc = rc.next {
		if found := rc.check(c); len(found) != 0 {
			c.addFindings(rc.rule, found)
		}
	}
	if len(c.found) == 0 {
		return []Finding{}, 0
	}
	out := make([]Finding, len(c.found))
	copy(out, c.found)
	return out, c.score
}

// one returns f as a rule's list of findings, in the Context's storage:
// runRules copies a rule's findings out before the next rule runs, and
// rules that fire on much honest mail need not allocate a list of one.
func (c *Context) one(f Finding) []Finding {
	c.single[0] = f
	return c.single[:]
}

// addFindings adds a rule's findings to c.found, with its ID, its
// severity where a finding sets none, and its field's line where a
// finding names no line and no hop.
//
//go:noinline
func (c *Context) addFindings(r *Rule, found []Finding) {
	sum, heaviest := 0, 0
	for _, f := range found {
		f.Rule = r.ID
		if f.Severity == "" {
			f.Severity = r.Severity
		}
		if f.Hops == nil {
			f.Hops = []int{}
		}
		if f.Line == 0 && len(f.Hops) == 0 && r.Field != "" {
			f.Line = c.fieldLine(r.Field)
		}
		w := SeverityWeight(f.Severity)
		sum, heaviest = sum+w, max(heaviest, w)
		c.found = append(c.found, f)
	}
	c.score += ruleScore(sum, heaviest)
}
