// Package received turns Received trace fields (RFC 5321 §4.4, RFC 5322 §3.6.7)
// into Hops, and a message's Received fields into a Chain ordered oldest first.
//
// It is pure: no I/O, no DNS. Parsing never fails and never panics: whatever
// cannot be understood is kept in Hop.Raw and reported through Hop.Parsed and
// Hop.Notes. Real MTAs depart from the RFC grammar in many ways (Exchange omits
// the ";" before the date, SendGrid writes Go-style dates, qmail writes
// comment-only lines); the parser follows what MTAs write, not only the ABNF.
package received

import "time"

// Parsed says how much of a Received value the parser understood.
type Parsed string

const (
	ParsedFull    Parsed = "full"    // every clause and the date understood
	ParsedPartial Parsed = "partial" // some clauses or the date understood
	ParsedNone    Parsed = "none"    // nothing recognisable
)

// From is the from-clause: what the receiving MTA recorded about its peer.
type From struct {
	HELO  string `json:"helo"`            // name or address literal the client gave in HELO/EHLO
	RDNS  string `json:"rdns"`            // name the receiver found for the IP (reverse DNS), "unknown" kept as ""
	IP    string `json:"ip"`              // connecting IP in canonical form (v4-mapped unmapped, zone dropped)
	Port  int    `json:"port,omitempty"`  // source port when written (Exim port=, Postfix ...)
	Ident string `json:"ident,omitempty"` // RFC 1413 ident or user (Exim ident=, "from userid")
}

// By is the by-clause: the host that wrote the line.
type By struct {
	Host string `json:"host"`
	IP   string `json:"ip"`
}

// Hop is one parsed Received field.
type Hop struct {
	Index        int        `json:"index"` // 1 = oldest (where the message started); 0 when parsed alone
	Raw          string     `json:"raw"`   // the field value exactly as written, folding kept
	Line         int        `json:"line"`  // 1-based line of the field name in the file; 0 when unknown
	From         From       `json:"from"`
	By           By         `json:"by"`
	Via          string     `json:"via"`
	With         string     `json:"with"` // protocol as written: ESMTP, ESMTPS, SMTP, LMTP, HTTP, mapi, ...
	ID           string     `json:"id"`
	For          string     `json:"for"`
	TLS          string     `json:"tls"`  // TLS version/cipher when written, "" otherwise
	Auth         string     `json:"auth"` // authentication evidence when written (ESMTPA, "Authenticated sender: x", ...)
	EnvelopeFrom string     `json:"envelope_from"`
	Time         *time.Time `json:"time"`          // with its original offset; nil when absent or unparsable
	DelaySeconds *float64   `json:"delay_seconds"` // signed delay from the previous (older) hop; nil when unknown
	Parsed       Parsed     `json:"parsed"`

	// Forensic details beyond the JSON contract's core fields.
	MTA         string   `json:"mta,omitempty"`           // guessed software family: postfix, sendmail, exim, qmail, exchange, gmail, ...
	Software    string   `json:"software,omitempty"`      // version text when written, e.g. "8.8.5", "Postfix", "Exim 4.96"
	MayBeForged bool     `json:"may_be_forged,omitempty"` // Sendmail's own "(may be forged)" remark
	DateText    string   `json:"date_text,omitempty"`     // the date part as written
	Notes       []string `json:"notes,omitempty"`         // what could not be parsed, and oddities seen
	Trusted     bool     `json:"trusted"`                 // set by analysis: added by the receiving side
	// HELOInjection: the HELO carries trace text of its own (a client comment, "by" or ";") that the
	// receiver wrote as given; From.HELO is then all of it, up to the receiver's own client comment.
	HELOInjection bool `json:"helo_injection,omitempty"`
}

// HasIP reports whether the hop recorded any IP literal.
func (h *Hop) HasIP() bool { return h.From.IP != "" || h.By.IP != "" }
