package analyze

import (
	"slices"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Schema names the JSON contract documented in docs/json.md. Later versions
// add fields; they never rename or remove one.
const Schema = "mailtrace/v1"

// Verdict is the overall judgement on a message's trace.
type Verdict string

const (
	VerdictClean      Verdict = "clean"
	VerdictSuspicious Verdict = "suspicious"
	VerdictForged     Verdict = "forged"
	VerdictError      Verdict = "error" // the message could not be read at all
)

// Severity grades a finding.
type Severity string

const (
	SeverityInfo   Severity = "info"
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// Finding is one forgery sign or observation. It is a value, never an error.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Hops     []int    `json:"hops"`     // hop indexes (1 = oldest) the finding concerns; [] when none
	Message  string   `json:"message"`  // one sentence for people
	Evidence string   `json:"evidence"` // the exact raw text or DNS answer it rests on
	Line     int      `json:"line,omitempty"`
}

// Report is the result of a run: every message, in input order.
type Report struct {
	Schema   string           `json:"schema"`
	Messages []*MessageReport `json:"messages"`
}

// MessageReport is the analysis of one message.
type MessageReport struct {
	File  string `json:"file"`
	Index int    `json:"index"` // position in an mbox (1-based); 0 for a single message
	// Part is where in the message read from File this one was attached
	// ("2", "2/1" for one attached inside that one); "" for the message
	// read itself. Set with Options.Attached.
	Part string `json:"part,omitempty"`
	// Line is the line of File the message starts at, for a message of an
	// mbox or one attached to another; 0 for a file that is one message.
	Line int `json:"line,omitempty"`
	// Decoded is the transfer encoding ("base64", "quoted-printable") an
	// attached message was carried in, or its carrier was: the lines in
	// its report count from its own first line, decoded, and Line is where
	// the encoded part starts in File. "" for a message read as it is.
	Decoded  string         `json:"decoded,omitempty"`
	Error    string         `json:"error,omitempty"`
	Verdict  Verdict        `json:"verdict"`
	Score    int            `json:"score"`
	Findings []Finding      `json:"findings"`
	Envelope Envelope       `json:"envelope"`
	Header   HeaderSummary  `json:"header"`
	Body     *BodySummary   `json:"body"`              // nil on the header-only path
	Hops     []received.Hop `json:"hops"`              // oldest first
	Defects  []string       `json:"defects,omitempty"` // omitted when the header block is sound
	DNS      *DNSSummary    `json:"dns,omitempty"`
	Auth     any            `json:"auth,omitempty"`
	Session  any            `json:"session,omitempty"`

	// Fields are the raw header fields, for renderers that show the header
	// (HTML, SARIF); kept out of JSON where header already summarises them.
	Fields []Field `json:"-"`
}

// DNSSummary says whether DNS was consulted and whether it answered.
type DNSSummary struct {
	Mode        string `json:"mode"` // "offline", "zone", "network"
	Lookups     int    `json:"lookups"`
	Unavailable bool   `json:"unavailable"` // lookups failed for lack of DNS
	Note        string `json:"note,omitempty"`
}

// Address is one mailbox from an address header.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// HeaderSummary is the decoded view of the fields people look at first.
type HeaderSummary struct {
	From       []Address    `json:"from"`
	Sender     *Address     `json:"sender,omitempty"`
	ReplyTo    []Address    `json:"reply_to"`
	To         []Address    `json:"to"`
	Cc         []Address    `json:"cc"`
	Subject    string       `json:"subject"`
	Date       *time.Time   `json:"date"`
	DateText   string       `json:"date_text,omitempty"`
	MessageID  string       `json:"message_id"`
	ReturnPath string       `json:"return_path"`
	Fields     []FieldEntry `json:"fields"`
}

// FieldEntry is one header field as JSON shows it.
type FieldEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Line  int    `json:"line"`
}

// Envelope is the SMTP envelope (RFC 5321 §2.3.1): from trace fields, or
// from the SMTP session itself when mailtrace captured the message.
type Envelope struct {
	MailFrom string           `json:"mail_from"`
	RcptTo   []string         `json:"rcpt_to"`
	Source   string           `json:"source"` // "trace" (read from fields) or "smtp" (seen live)
	Evidence []EnvelopeSource `json:"evidence"`
}

// EnvelopeSource names the field an envelope address was read from.
type EnvelopeSource struct {
	Field   string `json:"field"`
	Address string `json:"address"`
	Line    int    `json:"line,omitempty"`
}

// BodySummary describes the MIME body as enmime decoded it.
type BodySummary struct {
	Size        int          `json:"size"`
	TextSize    int          `json:"text_size"`
	HTMLSize    int          `json:"html_size"`
	Attachments []Attachment `json:"attachments"`
	Inlines     int          `json:"inlines"`
	Errors      []string     `json:"errors,omitempty"` // omitted when the body decoded cleanly
}

// Attachment is one attached file.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// fillLists replaces every nil list the contract calls an array with an
// empty one, so that JSON shows [] and never null (docs/json.md). Every
// report the package makes goes through it (read, ErrorReport); it is done
// on the values rather than in a MarshalJSON method, which would make
// encoding/json check every report's bytes a second time. The findings and
// body m points to are copied before they change.
func (m *MessageReport) fillLists() {
	m.Findings = orEmpty(m.Findings)
	if slices.ContainsFunc(m.Findings, func(f Finding) bool { return f.Hops == nil }) {
		m.Findings = slices.Clone(m.Findings)
		for i := range m.Findings {
			m.Findings[i].Hops = orEmpty(m.Findings[i].Hops)
		}
	}
	m.Hops = orEmpty(m.Hops)
	m.Envelope.RcptTo = orEmpty(m.Envelope.RcptTo)
	m.Envelope.Evidence = orEmpty(m.Envelope.Evidence)
	h := &m.Header
	h.From, h.ReplyTo, h.To, h.Cc = orEmpty(h.From), orEmpty(h.ReplyTo), orEmpty(h.To), orEmpty(h.Cc)
	h.Fields = orEmpty(h.Fields)
	if m.Body != nil && m.Body.Attachments == nil {
		b := *m.Body
		b.Attachments = []Attachment{}
		m.Body = &b
	}
}

// orEmpty returns s, or an empty slice when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
