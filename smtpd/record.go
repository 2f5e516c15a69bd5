package smtpd

import (
	"time"
)

// Anomaly codes recorded in a session. They are stable: the analysis layer and stored session records
// depend on them.
const (
	AnomalyPregreet            = "pregreet"                // client sent bytes before the 220 greeting
	AnomalyPipelining          = "pipelining"              // commands sent ahead without PIPELINING, or after a command that must end a group (RFC 2920 §3.1)
	AnomalySTARTTLSInjection   = "starttls.injection"      // plaintext sent after STARTTLS before the handshake (CVE-2011-0411); discarded
	AnomalyCmdBareLF           = "cmd.bare-lf"             // command line ended by LF alone (RFC 5321 §2.3.8)
	AnomalyCmdBareCR           = "cmd.bare-cr"             // CR not followed by LF inside a command line
	AnomalyCmdLineTooLong      = "cmd.line-too-long"       // command line over Options.MaxLineLength (RFC 5321 §4.5.3.1.4)
	AnomalyCmdLenient          = "cmd.lenient-syntax"      // accepted although the RFCs forbid it (space after colon, path without <>, AUTH= not xtext)
	AnomalyHTTP                = "http"                    // an HTTP request line instead of SMTP
	AnomalyHeloSyntax          = "helo.syntax"             // HELO/EHLO argument is neither a domain nor an address literal (RFC 5321 §4.1.1.1)
	AnomalyHeloBareIP          = "helo.bare-ip"            // an IP address without the [] of an address literal (RFC 5321 §4.1.3)
	AnomalyHeloNotFQDN         = "helo.not-fqdn"           // a single-label name
	AnomalyHeloOurName         = "helo.our-name"           // the client claims to be this server
	AnomalyHeloOurIP           = "helo.our-ip"             // the client claims this server's IP address
	AnomalyHeloLiteralMismatch = "helo.literal-mismatch"   // an address literal that is not the client's address
	AnomalyHeloLiteralPrivate  = "helo.literal-private"    // a private address literal from a client elsewhere: its own address behind NAT
	AnomalyHeloChanged         = "helo.changed"            // a second HELO/EHLO with another name in one session
	AnomalyHeloProvider        = "helo.provider"           // a big provider's name from a client that is not that provider's
	AnomalyDataBareLF          = "data.bare-lf"            // LF not preceded by CR in message text
	AnomalyDataBareCR          = "data.bare-cr"            // CR not followed by LF in message text
	AnomalyDataSmuggling       = "data.smuggling"          // "." between line ends other than <CRLF>.<CRLF>: an end-of-data a lenient server would see
	AnomalyDataLeadingSpace    = "data.leading-whitespace" // text starts with SP or HT: read as folded into the receiver's own Received field
	AnomalyData8Bit            = "data.8bit"               // 8-bit octets without BODY=8BITMIME (RFC 6152 §3)
	AnomalyDataNUL             = "data.nul"                // NUL octet in message text (RFC 5321 §4.5.2 forbids it)
	AnomalyDataLineTooLong     = "data.line-too-long"      // text line over Options.MaxLineLength (RFC 5321 §4.5.3.1.6)
	AnomalyDataTooBig          = "data.too-big"            // message over Options.MaxMessageSize
	AnomalyDataIncomplete      = "data.incomplete"         // connection ended or timed out inside DATA/BDAT
	AnomalyAuthCleartext       = "auth.cleartext"          // credentials sent without TLS
	AnomalyTooManyErrors       = "errors.limit"            // session ended after Options.MaxErrors errors
	AnomalyTimeout             = "timeout"                 // a command or connection timeout ended the session
	AnomalyTranscriptTruncated = "transcript.truncated"    // transcript or anomaly list reached its cap
	AnomalyTLSHandshake        = "tls.handshake-failed"    // STARTTLS or implicit TLS handshake failed or timed out
	AnomalyUnexpectedBDAT      = "bdat.out-of-transaction" // BDAT without a transaction; its octets were read and dropped
)

// Where an anomaly offset counts from.
const (
	InSession = "session" // offset in the client's cleartext byte stream since connect, line = command number
	InMessage = "message" // offset in the message as stored (after dot-unstuffing), line = 1-based text line
)

// Anomaly is one forensic observation about a session. It is data, not an error: the session goes on.
type Anomaly struct {
	Code   string    `json:"code"`
	Where  string    `json:"where"` // InSession or InMessage
	Offset int64     `json:"offset"`
	Line   int64     `json:"line"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
	// QueueID names the message an InMessage anomaly belongs to.
	QueueID string `json:"queue_id,omitempty"`
}

// TranscriptLine is one line of the conversation. Client lines are recorded as received (line end
// removed, escaped in JSON), except AUTH secrets, which are replaced by "<redacted N octets>".
type TranscriptLine struct {
	T    int64  `json:"t_us"` // microseconds since the session start
	Dir  string `json:"dir"`  // "C" (client) or "S" (server)
	Text string `json:"text"`
}

// TLSInfo describes the TLS of a session: started by STARTTLS, or with the connection on an
// implicit-TLS listener (Server.ServeTLS).
type TLSInfo struct {
	Version     string    `json:"version"`      // e.g. "TLS 1.3"
	CipherSuite string    `json:"cipher_suite"` // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
	ServerName  string    `json:"server_name,omitempty"`
	Implicit    bool      `json:"implicit,omitempty"` // RFC 8314 implicit TLS: no STARTTLS, TLS from the first octet
	At          time.Time `json:"at"`
}

// AuthInfo records an AUTH exchange accepted under Options.AuthAcceptAny. The password is never recorded.
type AuthInfo struct {
	Mechanism string    `json:"mechanism"`
	Identity  string    `json:"identity"`          // authentication identity (PLAIN authcid, LOGIN user name)
	AuthzID   string    `json:"authzid,omitempty"` // PLAIN authorization identity
	TLS       bool      `json:"tls"`
	At        time.Time `json:"at"`
}

// MailParams are the MAIL FROM parameters (RFC 5321 §4.1.1.2 and extensions).
type MailParams struct {
	Size     int64  `json:"size,omitempty"`     // RFC 1870 SIZE=
	Body     string `json:"body,omitempty"`     // RFC 6152 BODY=7BIT|8BITMIME
	SMTPUTF8 bool   `json:"smtputf8,omitempty"` // RFC 6531 §3.4
	Ret      string `json:"ret,omitempty"`      // RFC 3461 §4.3 RET=FULL|HDRS
	EnvID    string `json:"envid,omitempty"`    // RFC 3461 §4.4 ENVID= (xtext as sent)
	Auth     string `json:"auth,omitempty"`     // RFC 4954 §5 AUTH= (xtext as sent)
}

// Recipient is one accepted RCPT TO.
type Recipient struct {
	Address string   `json:"address"`
	Arg     string   `json:"arg"`              // the argument exactly as sent after "RCPT "
	Notify  []string `json:"notify,omitempty"` // RFC 3461 §4.1 NOTIFY=
	ORcpt   string   `json:"orcpt,omitempty"`  // RFC 3461 §4.2 ORCPT= (addr-type;xtext as sent)
}

// Envelope is one mail transaction: the true envelope, which the message headers may contradict.
type Envelope struct {
	QueueID  string      `json:"queue_id"`
	From     string      `json:"from"`     // reverse-path mailbox, "" for the null sender <>
	MailArg  string      `json:"mail_arg"` // the argument exactly as sent after "MAIL "
	Params   MailParams  `json:"params"`
	Rcpts    []Recipient `json:"rcpts"`
	Protocol string      `json:"protocol"` // RFC 3848 "with" keyword: SMTP, ESMTP, ESMTPS, ESMTPSA, UTF8SMTPS...
	Start    time.Time   `json:"start"`    // MAIL command
	Chunked  bool        `json:"chunked"`  // sent with BDAT rather than DATA
	// Size is the message size as stored (after dot-unstuffing), set when the data is complete.
	Size int64 `json:"size"`
	// DataStart and DataEnd bracket the message text on the client's cleartext stream.
	DataStart int64     `json:"data_start"`
	DataEnd   int64     `json:"data_end"`
	End       time.Time `json:"end"`
}

// SessionRecord is everything the engine saw of one connection. Backends get snapshots of it from
// [Conn.Record].
type SessionRecord struct {
	ID          string           `json:"id"`
	Hostname    string           `json:"hostname"` // our name, as greeted
	LocalAddr   string           `json:"local_addr"`
	ClientIP    string           `json:"client_ip"`
	ClientPort  int              `json:"client_port"`
	ClientName  string           `json:"client_name,omitempty"` // reverse DNS from Options.LookupAddr, if any
	Start       time.Time        `json:"start"`
	End         time.Time        `json:"end,omitzero"`
	HeloVerb    string           `json:"helo_verb,omitempty"` // HELO or EHLO
	Helo        string           `json:"helo,omitempty"`
	TLS         *TLSInfo         `json:"tls,omitempty"`
	Auth        *AuthInfo        `json:"auth,omitempty"`
	Messages    int              `json:"messages"` // messages acknowledged so far
	BytesIn     int64            `json:"bytes_in"` // cleartext octets received
	Anomalies   []Anomaly        `json:"anomalies"`
	Transcript  []TranscriptLine `json:"transcript"`
	Truncated   int              `json:"transcript_dropped,omitempty"` // lines not kept once the cap was reached
	CloseReason string           `json:"close_reason,omitempty"`
}

// clone returns a deep copy, so a snapshot handed to a backend never aliases the live record.
func (r *SessionRecord) clone() SessionRecord {
	c := *r
	if r.TLS != nil {
		t := *r.TLS
		c.TLS = &t
	}
	if r.Auth != nil {
		a := *r.Auth
		c.Auth = &a
	}
	// Never nil: the JSON shows an empty list, as the analysis report does, not null.
	c.Anomalies = append(make([]Anomaly, 0, len(r.Anomalies)), r.Anomalies...)
	c.Transcript = append(make([]TranscriptLine, 0, len(r.Transcript)), r.Transcript...)
	return c
}

// Clone returns a deep copy of e, for a backend that keeps an envelope beyond its transaction.
func (e *Envelope) Clone() *Envelope {
	c := *e
	c.Rcpts = make([]Recipient, len(e.Rcpts))
	for i, r := range e.Rcpts {
		r.Notify = append([]string(nil), r.Notify...)
		c.Rcpts[i] = r
	}
	return &c
}

// Caps keep a hostile session from growing its record without bound.
const (
	maxTranscript   = 2000
	maxAnomalies    = 200
	maxPerCodeLines = 10  // occurrences of one anomaly code kept per session, or per message for a message's
	maxOldAnomalies = 100 // anomalies of earlier messages kept when a new transaction starts
)
