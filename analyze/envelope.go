package analyze

import (
	"strings"

	"github.com/mailtrace/mailtrace/received"
)

// recipientFields are the trace fields final delivery agents write with the
// envelope recipient (Postfix X-Original-To and Delivered-To, Exim
// Envelope-To). They carry the address Bcc never shows in To/Cc.
var recipientFields = []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"}

// sameFieldName is strings.EqualFold for a field name from Split, which
// holds only printable ASCII (cutField), and an ASCII name: then only
// names of the same length can match, and most fields are skipped on
// their length alone.
func sameFieldName(fieldName, name string) bool {
	return len(fieldName) == len(name) && strings.EqualFold(fieldName, name)
}

// envelopeFromTrace rebuilds the SMTP envelope from trace fields: the sender
// from Return-Path (RFC 5321 §4.4: written at final delivery) or
// X-Envelope-From, the recipients from delivery fields and the Received "for"
// clauses. Every address keeps the field it came from.
func envelopeFromTrace(m *Message, hops []received.Hop) Envelope {
	env := Envelope{Source: "trace", RcptTo: []string{}}
	for _, name := range []string{"Return-Path", "X-Envelope-From"} {
		for _, f := range m.Fields {
			if !sameFieldName(f.Name, name) {
				continue
			}
			addr := angleAddr(f.Unfolded())
			env.Evidence = append(env.Evidence, EnvelopeSource{Field: f.Name, Address: addr, Line: f.Line})
			if env.MailFrom == "" {
				env.MailFrom = addr
			}
		}
	}
	seen := map[string]bool{}
	add := func(field, addr string, line int) {
		addr = angleAddr(addr)
		if addr == "" || !strings.Contains(addr, "@") {
			return
		}
		env.Evidence = append(env.Evidence, EnvelopeSource{Field: field, Address: addr, Line: line})
		if key := strings.ToLower(addr); !seen[key] {
			seen[key] = true
			env.RcptTo = append(env.RcptTo, addr)
		}
	}
	for _, name := range recipientFields {
		for _, f := range m.Fields {
			if !sameFieldName(f.Name, name) {
				continue
			}
			for _, a := range strings.Split(f.Unfolded(), ",") {
				add(f.Name, a, f.Line)
			}
		}
	}
	// Newest hop first: its "for" is the one closest to final delivery.
	for i := len(hops) - 1; i >= 0; i-- {
		add("Received for", hops[i].For, hops[i].Line)
	}
	return env
}
