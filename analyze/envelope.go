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

// maxRcpts bounds the envelope recipients rebuilt from trace fields: RFC
// 5321 §4.5.3.1.8 has servers take at least 100 recipients a message, and
// serve takes 1000. Past it, recipients are counted, not listed, since
// rules compare each with the header's addresses and DNS may be asked
// about their domains.
const maxRcpts = 1000

// maxEvidence bounds the trace fields an envelope lists as its evidence.
const maxEvidence = 4 * maxRcpts

// envelopeFromTrace rebuilds the SMTP envelope from trace fields: the sender
// from Return-Path (RFC 5321 §4.4: written at final delivery) or
// X-Envelope-From, the recipients from delivery fields and the Received "for"
// clauses. Every address keeps the field it came from. Past maxRcpts
// recipients it counts the others and returns the line of the first.
func envelopeFromTrace(m *Message, hops []received.Hop) (env Envelope, omitted, omittedLine int) {
	env = Envelope{Source: "trace", RcptTo: []string{}}
	evidence := func(field, addr string, line int) {
		if len(env.Evidence) < maxEvidence {
			env.Evidence = append(env.Evidence, EnvelopeSource{Field: field, Address: addr, Line: line})
		}
	}
	for _, name := range []string{"Return-Path", "X-Envelope-From"} {
		for _, f := range m.Fields {
			if !sameFieldName(f.Name, name) {
				continue
			}
			addr := angleAddr(f.Unfolded())
			evidence(f.Name, addr, f.Line)
			if env.MailFrom == "" {
				env.MailFrom = addr
			}
		}
	}
	known := map[string]bool{} // lower-cased address: true when listed, false when counted past maxRcpts
	add := func(field, addr string, line int) {
		addr = angleAddr(addr)
		if addr == "" || !strings.Contains(addr, "@") {
			return
		}
		key := strings.ToLower(addr)
		kept, seen := known[key]
		switch {
		case seen:
		case len(env.RcptTo) < maxRcpts:
			known[key], kept = true, true
			env.RcptTo = append(env.RcptTo, addr)
		default:
			known[key] = false
			if omitted++; omitted == 1 {
				omittedLine = line
			}
		}
		if kept {
			evidence(field, addr, line)
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
	return env, omitted, omittedLine
}
