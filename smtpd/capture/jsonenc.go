package capture

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/smtpd"
)

// The journal line of every message is encoded here by hand rather than by encoding/json, whose
// reflection cost about as much CPU per message as the rest of the notifier. The output must stay byte
// for byte what json.Encoder with SetEscapeHTML(false) writes for a sessionFile (the journal's
// readers, and records written before, see no difference): TestAppendSessionFileMatchesJSON and
// FuzzAppendSessionFile compare the two. A field added to sessionFile or to a smtpd record type must
// be added here too; the reflection test there fails until it is.

// errJSONTime is a time encoding/json refuses (a year outside 0-9999, a zone offset of a day or more):
// the record is then not written, as with encoding/json.
var errJSONTime = errors.New("capture: time not representable in RFC 3339")

// appendSessionFile appends r as one JSON line, newline included.
func appendSessionFile(b []byte, r *sessionFile) ([]byte, error) {
	sep := byte('{') // before the next field
	if r.Message != "" {
		b = append(append(b, sep), `"message":`...)
		b, sep = appendJSONString(b, r.Message), ','
	}
	if r.QueueID != "" {
		b = append(append(b, sep), `"queue_id":`...)
		b, sep = appendJSONString(b, r.QueueID), ','
	}
	if r.HeaderSize != 0 {
		b = append(append(b, sep), `"header_size":`...)
		b, sep = strconv.AppendInt(b, r.HeaderSize, 10), ','
	}
	var err error
	if r.Envelope != nil {
		b = append(append(b, sep), `"envelope":`...)
		if b, err = appendEnvelope(b, r.Envelope); err != nil {
			return b, err
		}
		sep = ','
	}
	b = append(append(b, sep), `"transcript_from":`...)
	b = strconv.AppendInt(b, int64(r.TranscriptFrom), 10)
	b = append(b, `,"session":`...)
	if b, err = appendSessionRecord(b, &r.Session); err != nil {
		return b, err
	}
	return append(b, '}', '\n'), nil
}

func appendEnvelope(b []byte, e *smtpd.Envelope) ([]byte, error) {
	b = append(b, `{"queue_id":`...)
	b = appendJSONString(b, e.QueueID)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, e.From)
	b = append(b, `,"mail_arg":`...)
	b = appendJSONString(b, e.MailArg)
	b = append(b, `,"params":`...)
	b = appendMailParams(b, &e.Params)
	b = append(b, `,"rcpts":`...)
	if e.Rcpts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range e.Rcpts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRecipient(b, &e.Rcpts[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"protocol":`...)
	b = appendJSONString(b, e.Protocol)
	b = append(b, `,"start":`...)
	b, err := appendJSONTime(b, e.Start)
	if err != nil {
		return b, err
	}
	b = append(b, `,"chunked":`...)
	b = strconv.AppendBool(b, e.Chunked)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, e.Size, 10)
	b = append(b, `,"data_start":`...)
	b = strconv.AppendInt(b, e.DataStart, 10)
	b = append(b, `,"data_end":`...)
	b = strconv.AppendInt(b, e.DataEnd, 10)
	b = append(b, `,"end":`...)
	if b, err = appendJSONTime(b, e.End); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func appendMailParams(b []byte, p *smtpd.MailParams) []byte {
	sep := byte('{') // before the next field
	if p.Size != 0 {
		b = append(append(b, sep), `"size":`...)
		b, sep = strconv.AppendInt(b, p.Size, 10), ','
	}
	if p.Body != "" {
		b = append(append(b, sep), `"body":`...)
		b, sep = appendJSONString(b, p.Body), ','
	}
	if p.SMTPUTF8 {
		b, sep = append(append(b, sep), `"smtputf8":true`...), ','
	}
	if p.Ret != "" {
		b = append(append(b, sep), `"ret":`...)
		b, sep = appendJSONString(b, p.Ret), ','
	}
	if p.EnvID != "" {
		b = append(append(b, sep), `"envid":`...)
		b, sep = appendJSONString(b, p.EnvID), ','
	}
	if p.Auth != "" {
		b = append(append(b, sep), `"auth":`...)
		b, sep = appendJSONString(b, p.Auth), ','
	}
	if sep == '{' {
		return append(b, '{', '}')
	}
	return append(b, '}')
}

func appendRecipient(b []byte, r *smtpd.Recipient) []byte {
	b = append(b, `{"address":`...)
	b = appendJSONString(b, r.Address)
	b = append(b, `,"arg":`...)
	b = appendJSONString(b, r.Arg)
	if len(r.Notify) > 0 {
		b = append(b, `,"notify":[`...)
		for i, n := range r.Notify {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, n)
		}
		b = append(b, ']')
	}
	if r.ORcpt != "" {
		b = append(b, `,"orcpt":`...)
		b = appendJSONString(b, r.ORcpt)
	}
	return append(b, '}')
}

func appendSessionRecord(b []byte, r *smtpd.SessionRecord) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"hostname":`...)
	b = appendJSONString(b, r.Hostname)
	b = append(b, `,"local_addr":`...)
	b = appendJSONString(b, r.LocalAddr)
	b = append(b, `,"client_ip":`...)
	b = appendJSONString(b, r.ClientIP)
	b = append(b, `,"client_port":`...)
	b = strconv.AppendInt(b, int64(r.ClientPort), 10)
	if r.ClientName != "" {
		b = append(b, `,"client_name":`...)
		b = appendJSONString(b, r.ClientName)
	}
	b = append(b, `,"start":`...)
	b, err := appendJSONTime(b, r.Start)
	if err != nil {
		return b, err
	}
	if !r.End.IsZero() {
		b = append(b, `,"end":`...)
		if b, err = appendJSONTime(b, r.End); err != nil {
			return b, err
		}
	}
	if r.HeloVerb != "" {
		b = append(b, `,"helo_verb":`...)
		b = appendJSONString(b, r.HeloVerb)
	}
	if r.Helo != "" {
		b = append(b, `,"helo":`...)
		b = appendJSONString(b, r.Helo)
	}
	if t := r.TLS; t != nil {
		b = append(b, `,"tls":{"version":`...)
		b = appendJSONString(b, t.Version)
		b = append(b, `,"cipher_suite":`...)
		b = appendJSONString(b, t.CipherSuite)
		if t.ServerName != "" {
			b = append(b, `,"server_name":`...)
			b = appendJSONString(b, t.ServerName)
		}
		if t.Implicit {
			b = append(b, `,"implicit":true`...)
		}
		b = append(b, `,"at":`...)
		if b, err = appendJSONTime(b, t.At); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	if a := r.Auth; a != nil {
		b = append(b, `,"auth":{"mechanism":`...)
		b = appendJSONString(b, a.Mechanism)
		b = append(b, `,"identity":`...)
		b = appendJSONString(b, a.Identity)
		if a.AuthzID != "" {
			b = append(b, `,"authzid":`...)
			b = appendJSONString(b, a.AuthzID)
		}
		b = append(b, `,"tls":`...)
		b = strconv.AppendBool(b, a.TLS)
		b = append(b, `,"at":`...)
		if b, err = appendJSONTime(b, a.At); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	b = append(b, `,"messages":`...)
	b = strconv.AppendInt(b, int64(r.Messages), 10)
	b = append(b, `,"bytes_in":`...)
	b = strconv.AppendInt(b, r.BytesIn, 10)
	b = append(b, `,"anomalies":`...)
	if r.Anomalies == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Anomalies {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendAnomaly(b, &r.Anomalies[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"transcript":`...)
	if r.Transcript == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Transcript {
			t := &r.Transcript[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"t_us":`...)
			b = strconv.AppendInt(b, t.T, 10)
			b = append(b, `,"dir":`...)
			b = appendJSONString(b, t.Dir)
			b = append(b, `,"text":`...)
			b = appendJSONString(b, t.Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Truncated != 0 {
		b = append(b, `,"transcript_dropped":`...)
		b = strconv.AppendInt(b, int64(r.Truncated), 10)
	}
	if r.CloseReason != "" {
		b = append(b, `,"close_reason":`...)
		b = appendJSONString(b, r.CloseReason)
	}
	return append(b, '}'), nil
}

func appendAnomaly(b []byte, a *smtpd.Anomaly) ([]byte, error) {
	b = append(b, `{"code":`...)
	b = appendJSONString(b, a.Code)
	b = append(b, `,"where":`...)
	b = appendJSONString(b, a.Where)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, a.Offset, 10)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, a.Line, 10)
	if a.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, a.Detail)
	}
	b = append(b, `,"at":`...)
	b, err := appendJSONTime(b, a.At)
	if err != nil {
		return b, err
	}
	if a.QueueID != "" {
		b = append(b, `,"queue_id":`...)
		b = appendJSONString(b, a.QueueID)
	}
	return append(b, '}'), nil
}

// appendJSONTime is time.Time.MarshalJSON without its allocation: RFC 3339 with nanoseconds, refused
// where that format cannot represent the time (the same checks).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	switch {
	case len(b) < n0+5 || b[n0+4] != '-': // the year must be exactly 4 digits wide
		return b, errJSONTime
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(b[len(b)-5]-'0')+(b[len(b)-4]-'0') >= 24 {
			return b, errJSONTime
		}
	}
	return append(b, '"'), nil
}

// appendJSONString quotes s as encoding/json does without HTML escaping: '"', '\\' and control
// characters escaped (\b \f \n \r \t by name), invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u escapes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
