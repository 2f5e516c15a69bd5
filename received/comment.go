package received

import "strings"

// comment interprets a comment in the clause it follows (RFC 5321 §4.4
// allows comments after each clause; MTAs put TCP-info, software names,
// TLS and authentication details there).
func (b *builder) comment(c string) {
	b.cmark = commentNeedles.match(c)
	if b.cmark&nForged != 0 {
		b.h.MayBeForged = true // Sendmail: the HELO name's forward DNS does not match
		b.marks |= mSendmail
	}
	if b.genericComment(c) {
		return
	}
	if hasPrefixFold(c, "crosscheck:") {
		b.fromComment(c) // Amazon: the peer as verified, written after "with"
		return
	}
	switch b.cur {
	case cNone:
		b.leadComment(c)
	case cFrom:
		b.fromComment(c)
	case cBy:
		b.byComment(c)
	case cWith:
		b.withComment(c)
	case cID:
		b.idComment(c)
	default:
		b.noteText("comment not understood: ", c)
	}
}

// idComment reads Sendmail IDA's comment after the id, its version and the
// recipient: "id AA01234 (5.61++/IDA-1.2.8 for <jan@hp4nl.nluug.nl>)".
func (b *builder) idComment(c string) {
	version, rcpt, ok := strings.Cut(c, " for ")
	rcpt = strings.TrimSpace(rcpt)
	ida := version != "" && isDigit(version[0]) && strings.Contains(version, "/") // "5.61++/IDA-1.2.8"
	if !ok || !ida && !isSendmailVersion(version) || !strings.HasPrefix(rcpt, "<") || !strings.HasSuffix(rcpt, ">") {
		b.noteText("comment not understood: ", c)
		return
	}
	if b.h.Software == "" {
		b.h.Software = version
	}
	b.forAddrs.add(stripAngle(rcpt))
}

// genericComment handles the comments whose meaning does not depend on the
// clause: envelope sender, TLS, authentication, certificate remarks.
func (b *builder) genericComment(c string) bool {
	switch {
	case hasPrefixFold(c, "envelope-from"), hasPrefixFold(c, "envelope-sender"), hasPrefixFold(c, "return-path"):
		// Exim, Sendmail, Momentum, qmail-scanner; Exim at Cambridge writes "return-path".
		b.envelopeComment(c)
	case isTLSText(c, b.cmark):
		b.addTLS(collapse(strings.TrimPrefix(c, "using "))) // Postfix: "(using TLSv1.3 with cipher ...)"
	case isAuthText(c, b.cmark):
		b.authComment(c)
	case hasPrefixFold(c, "no client certificate"), hasPrefixFold(c, "client cn"),
		hasPrefixFold(c, "client did not present"), hasPrefixFold(c, "client certificate"),
		eqFold(c, "single-drop"), eqFold(c, "multi-drop"):
		// Postfix certificate remarks; fetchmail delivery mode.
	default:
		return false
	}
	return true
}

// commentNeedles are the phrases looked for anywhere in a comment; one
// pass finds them all.
var commentNeedles = newFoldSet("may be forged", "cipher=", "authenticated user", "authenticated as")

const (
	nForged uint64 = 1 << iota
	nCipher
	nAuthUser
	nAuthAs
)

// isTLSText recognises the TLS details MTAs write in comments:
// "version=TLS1_2 cipher=..." (Gmail, Exchange, Sendmail), "using TLSv1.3
// with cipher ..." (Postfix), "TLS1.2:ECDHE-...:256" (Exim),
// "TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO" (OpenSMTPD), "TLS1.2 TLS_..."
// (mox), "cipher=..." (Haraka), "TLS" (Exchange), "Google Transport
// Security".
func isTLSText(c string, m uint64) bool {
	return m&nCipher != 0 || hasPrefixFold(c, "using TLS") || hasPrefixFold(c, "using SSL") ||
		hasPrefixFold(c, "version=") || tlsVersionPrefix(c) || eqFold(c, "Google Transport Security")
}

func tlsVersionPrefix(c string) bool {
	if !hasPrefixFold(c, "TLS") && !hasPrefixFold(c, "SSL") {
		return false
	}
	if len(c) == 3 {
		return true
	}
	n := c[3]
	return n == 'v' || n == 'V' || isDigit(n) || n == ':' || n == '_'
}

// authComment records an authentication remark. Courier-MTA writes the
// session's TLS in the same comment, "(AUTH: PLAIN erik, TLS:
// TLSv1.3,256bits,TLS_AES_256_GCM_SHA384)": that part is TLS, written as
// Courier writes it alone ("(TLS: TLSv1.3,...)").
func (b *builder) authComment(c string) {
	if auth, tls, ok := strings.Cut(c, ", TLS: "); ok && hasPrefixFold(c, "auth:") {
		b.addAuth(collapse(auth))
		b.addTLS(collapse("TLS: " + tls))
		return
	}
	b.addAuth(collapse(c))
}

// isAuthText recognises authentication remarks: "Authenticated sender: x"
// (Postfix), "authenticated bits=0" (Sendmail), "authenticated as x",
// "SquirrelMail authenticated user x", "AUTH: LOGIN x" (Courier),
// "Authid: x" (fairway).
func isAuthText(c string, m uint64) bool {
	return m&(nAuthUser|nAuthAs) != 0 || hasPrefixFold(c, "authenticated") ||
		hasPrefixFold(c, "auth:") || hasPrefixFold(c, "authid:")
}

// byComment reads the comments after the by-host: its address, written
// "(10.1.2.3)" by Exchange and "(name [ip])" by amavisd-new and GMX, and
// the software: "(Postfix)", "(8.8.5/8.8.5)" (Sendmail), "(Haraka/2.8.25)".
func (b *builder) byComment(c string) {
	if hasPrefixFold(c, "via ") && b.via.n == 0 && strings.IndexByte(trimSpace(c[4:]), ' ') < 0 {
		// GMX and web.de webmail: "by web-mail.gmx.net (3c-app-gmx-bap53.server.lan
		// [172.19.172.123]) (via HTTP)", the link Yahoo's webmail wrote as a clause.
		b.via.add(trimSpace(c[4:]))
		return
	}
	if strings.IndexAny(c, "0123456789:") < 0 {
		b.setSoftware(c, true) // "(Postfix)", "(Dovecot)": no address to look for
		return
	}
	if ip, ok := commentIP(c); ok {
		if b.h.By.IP == "" {
			b.setByIP(ip)
		}
		return
	}
	if ipShaped(c) {
		b.problemText("by-address not understood: ", c)
		return
	}
	sw, uid, hasUID := strings.Cut(c, ", from userid ")
	if hasUID && b.h.From.Ident == "" {
		b.h.From.Ident = "userid " + trimSpace(uid) // Postfix: "(Postfix, from userid 1000)"
	}
	b.setSoftware(sw, true)
}

// commentIP finds the address in a by-comment: a bracketed literal
// anywhere, or a bare address as the first word.
func commentIP(c string) (ipText, bool) {
	w := wordIter{s: c}
	for first := true; w.next(); first = false {
		if ip, ok := wordIP(w.word, first); ok {
			return ip, true
		}
	}
	return ipText{}, false
}

// withComment reads the comments of the with-clause: software ("Exim
// 4.96", "fetchmail-6.4.38", "Nemesis") and Microsoft's SMTPSVC version.
func (b *builder) withComment(c string) {
	if b.chasquidSession(c) {
		return
	}
	if cipher, ok := strings.CutSuffix(collapse(c), " encrypted"); ok && cipher != "" && b.with.n == 0 {
		// Axigen names the cipher before the protocol: "with
		// (ECDHE-RSA-AES256-GCM-SHA384 encrypted) ESMTPSA".
		b.addTLS(cipher)
		return
	}
	if hasPrefixFold(b.with.first(), "qmail-scanner") {
		b.qmailScannerIP(c)
	}
	if eqFold(b.with.last(), "SMTPSVC") && b.h.Software == "" {
		b.h.Software = b.with.join(" ") + "(" + collapse(c) + ")" // "Microsoft SMTPSVC(6.0.3790.4675)"
		return
	}
	b.setSoftware(c, false)
}

// chasquidSession reads chasquid's note of the session after its
// with-clause: "(over SMTP, TLS-1.3, envelope from "a@example.org")", with
// "plain text!" for the TLS version when there was none and "submission"
// or "submission+TLS" for the port's mode. The envelope sender is written
// as a Go quoted string, "" for the null path.
func (b *builder) chasquidSession(c string) bool {
	const env = `envelope from "`
	i := strings.Index(c, env)
	if !hasPrefixFold(c, "over ") || i < 0 {
		return false
	}
	if mode, version, ok := strings.Cut(c[len("over "):i], ","); ok && mode != "" {
		if v := trimSpace(strings.TrimSuffix(trimSpace(version), ",")); hasPrefixFold(v, "TLS-") || hasPrefixFold(v, "SSL-") {
			b.addTLS(v)
		}
	}
	addr := c[i+len(env):]
	if j := strings.LastIndexByte(addr, '"'); j >= 0 {
		addr = addr[:j]
	}
	b.setEnvelope(addr)
	return true
}

// setSoftware keeps the first software text seen.
func (b *builder) setSoftware(c string, fromBy bool) {
	c = collapse(c)
	if c == "" {
		return
	}
	if b.h.Software != "" {
		b.noteText("comment: ", c)
		return
	}
	b.h.Software = c
	b.swFromBy = fromBy
}

// envelopeComment reads "envelope-from <a@b>", "envelope-from a@b",
// "envelope-from <a@b>, uid 0", the null path "envelope-from <>" and a
// quoted local part, spaces and all: <"a b"@c>.
func (b *builder) envelopeComment(c string) {
	i := 0
	for i < len(c) && !isSpace(c[i]) && c[i] != '<' && c[i] != '=' && c[i] != ':' {
		i++
	}
	rest := strings.TrimLeft(c[i:], "=: \t")
	if end := quotedEnd(rest, 1); end > 0 && rest[0] == '<' {
		if gt := strings.IndexByte(rest[end:], '>'); gt >= 0 {
			b.setEnvelope(rest[1 : end+gt])
			return
		}
	}
	w := wordIter{s: strings.TrimLeft(c[i:], "=:")}
	if w.next() {
		b.setEnvelope(stripAngle(w.word))
	}
}

// qmailScannerIP reads the client address qmail-scanner writes in its
// verdict, "Clear:RC:0(192.0.2.1):", when the from-clause had none (it
// names the envelope sender there instead).
func (b *builder) qmailScannerIP(c string) {
	i := strings.Index(c, "RC:")
	if i < 0 || b.h.From.IP != "" {
		return
	}
	rest := c[i+3:]
	open, end := strings.IndexByte(rest, '('), strings.IndexByte(rest, ')')
	if open < 0 || end < open {
		return
	}
	if ip, ok := canonIP(rest[open+1 : end]); ok {
		b.setFromIP(ip, false)
	}
}
