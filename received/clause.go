package received

import "strings"

// Readers of the by-, with- and id-clauses (RFC 5321 §4.4) and of the
// evidence they carry.

func (b *builder) byToken(t token) {
	switch {
	case !b.byHost:
		b.byHost = true
		b.h.By.Host = t.text
	case t.kind == tWord:
		b.byWords.add(t.text) // SMTPSVC: "by host over TLS secured channel with"
	default:
		b.problemText("by-clause text not understood: ", t.text)
	}
}

func (b *builder) withToken(t token) {
	switch {
	case t.kind != tWord:
		b.with.add(t.text)
	case b.tlsNext:
		b.addTLS(t.text)
		b.tlsNext = false
	case eqFold(t.text, "tls") && b.with.n > 0:
		b.tlsNext = true // Exim: "with esmtps (TLS1.2) tls TLS_ECDHE_..."
	case eqFold(t.text, "encrypted") && b.with.n > 0:
		// MessageLabs: "with DHE-RSA-AES256-GCM-SHA384 encrypted SMTP".
		b.addTLS(b.with.last())
		b.with.add(t.text)
	default:
		b.with.add(t.text)
	}
}

func (b *builder) idToken(t token) {
	if b.h.ID == "" {
		b.h.ID = t.text
		return
	}
	b.problemText("id-clause text not understood: ", t.text)
}

func (b *builder) addTLS(s string) {
	b.h.TLS = appendDistinct(b.h.TLS, s)
}

func (b *builder) addAuth(s string) {
	b.h.Auth = appendDistinct(b.h.Auth, s)
}

// appendDistinct joins evidence with "; ", skipping repeats.
func appendDistinct(have, s string) string {
	switch {
	case s == "" || strings.Contains(have, s):
		return have
	case have == "":
		return s
	}
	return have + "; " + s
}

func (b *builder) finishBy() {
	if ip, ok := looksIP(b.h.By.Host); ok && b.h.By.IP == "" {
		b.setByIP(ip) // Gmail's internal hops: "by 2002:a05:6a10:...", "by 10.36.5.10"
	}
	if b.byWords.n == 0 {
		return
	}
	extra := b.byWords.join(" ")
	if containsFold(extra, "TLS") {
		b.addTLS(strings.TrimPrefix(extra, "over ")) // SMTPSVC 7.5: "over TLS secured channel"
		return
	}
	b.problemText("by-clause text not understood: ", extra)
}

func (b *builder) setByIP(ip ipText) {
	b.h.By.IP = ip.ip
	if ip.note != "" {
		b.note("by: " + ip.note)
	}
}

func (b *builder) finishWith() {
	b.h.With = b.with.join(" ")
	proto := b.with.first()
	if isAuthProto(proto) {
		b.addAuth(proto) // RFC 3848 / RFC 6531 protocol types
	}
	if i := strings.IndexByte(proto, '/'); i > 0 && containsFold(proto[i:], "TLS") {
		b.addTLS(proto[i+1:]) // IronPort: "with ESMTP/TLS/AES128-GCM-SHA256"
	}
	if b.h.Software == "" && hasPrefixFold(b.h.With, "Microsoft SMTP") {
		b.h.Software = b.h.With
	}
}

// isAuthProto reports the RFC 3848 "A" protocol types (ESMTPA, ESMTPSA,
// LMTPA, LMTPSA) and their RFC 6531 UTF8 forms.
func isAuthProto(p string) bool {
	if hasPrefixFold(p, "UTF8") {
		p = p[4:]
	}
	if hasPrefixFold(p, "E") {
		p = p[1:]
	}
	if !hasPrefixFold(p, "SMTP") && !hasPrefixFold(p, "LMTP") {
		return false
	}
	return eqFold(p[4:], "A") || eqFold(p[4:], "SA")
}
