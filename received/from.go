package received

import "strings"

// fromState collects the from-clause (RFC 5321 §4.4 "From-domain"
// TCP-info) until every clause is read: whether its first word is the HELO
// name or the peer's host name depends on comments that follow it.
type fromState struct {
	nameSet    bool
	name       words  // as written; "mail pickup service" (SMTPSVC) has three
	sawComment bool   // a comment followed the name
	heloApart  bool   // the MTA wrote the HELO apart: "helo=x" (Exim), "(HELO x)" (qmail)
	commentIP  bool   // From.IP came from a comment (what the receiver saw)
	really     bool   // InterMail's "(really [ip])" names the true peer
	bareIP     bool   // a from-comment was one address, unbracketed: "(ip)", "(user@ip)" (qmail)
	nameOnly   bool   // a from-comment was one host name and nothing else: "(name)"
	top        ipText // "from name [ip]" (fetchmail, Exim 3, ZoneMTA)
	hasTop     bool
}

func (b *builder) fromToken(t token) {
	f := &b.from
	switch {
	case !f.nameSet:
		f.nameSet = true
		f.name.add(t.text)
	case t.kind == tLiteral && !f.hasTop:
		if ip, ok := wordIP(t.text, false); ok {
			f.top, f.hasTop = ip, true
			return
		}
		b.problemText("from-clause literal not understood: ", t.text)
	case t.kind == tWord && !f.sawComment && !f.hasTop:
		f.name.add(t.text)
	default:
		b.problemText("from-clause text not understood: ", t.text)
	}
}

// fromComment reads the TCP-info comment of the from-clause in its many
// shapes: "(rdns [ip])" (Postfix, Sendmail), "(unknown [ip])" (Postfix),
// "([ip]:port helo=x ident=y)" (Exim), "(HELO x) (ip)" (qmail), "(ip)"
// (Exchange, qmail), "(user@rdns [ip])" and "(user@[ip])" (Sendmail),
// "(really [ip])" (InterMail), "(account a HELO x)" (CommuniGate-like),
// "(crosscheck: name [ip])" (Amazon).
func (b *builder) fromComment(c string) {
	f := &b.from
	f.sawComment = true
	if hasPrefixFold(c, "crosscheck:") {
		c = c[len("crosscheck:"):]
	}
	var cand string // the first word, when it may be the peer's name
	// candIP: an address or literal followed cand, so cand names the peer.
	candIP, idx, found := false, 0, false
	w := wordIter{s: c}
	for w.next() {
		if b.fromKeyword(&w, c) {
			found = true
			continue
		}
		if ip, ok := wordIP(w.word, idx == 0); ok {
			f.bareIP = idx == 0 && w.word[0] != '['
			b.setFromIP(ip, f.really)
			candIP = candIP || idx == 1 && cand != ""
			idx++
			found = true
			continue
		}
		if eqFold(w.word, "[unix socket]") || eqFold(w.word, "[local]") {
			// Cyrus LMTP, OpenSMTPD and Momentum local submissions.
			found = true
			candIP = candIP || idx == 1 && cand != ""
		} else if idx == 0 && w.word[0] != '[' {
			cand = w.word
		}
		idx++
	}
	f.bareIP = f.bareIP && idx == 1
	if cand != "" && (candIP || idx == 1) && b.setRDNS(cand) {
		found = true
		f.nameOnly = idx == 1
	}
	if !found {
		b.unknownFromComment(c)
	}
}

// fromKeyword handles the words that announce a value in a from-comment.
func (b *builder) fromKeyword(w *wordIter, c string) bool {
	word := w.word
	switch {
	case eqFold(word, "helo") || eqFold(word, "ehlo") || eqFold(word, "lhlo"):
		// qmail, qpsmtpd, Yahoo: "(HELO name)", "(EHLO name)"; LMTP: "(LHLO name)".
		helo := w.peek()
		if helo != "" {
			w.next()
		}
		b.setHELO(helo)
		b.marks |= mHeloWord
	case hasPrefixFold(word, "helo="):
		b.setHELO(word[5:]) // Exim
		b.marks |= mExim
	case hasPrefixFold(word, "port="):
		b.h.From.Port, _ = atoi(word[5:]) // Exim
		b.marks |= mExim
	case hasPrefixFold(word, "ident="):
		b.h.From.Ident = word[6:] // Exim, RFC 1413
	case eqFold(word, "really"):
		b.from.really = true
	case eqFold(word, "account") && w.next():
		b.addAuth("account " + w.word)
	case eqFold(word, "with") && isAuthMech(w.peek()):
		w.next()
		b.addAuth(collapse(c)) // qmail-smtpd-auth, Yahoo: "(user@ip with login)"
	default:
		return false
	}
	return true
}

func isAuthMech(w string) bool {
	return eqFold(w, "login") || eqFold(w, "plain") || eqFold(w, "cram-md5")
}

func (b *builder) setHELO(v string) {
	b.h.From.HELO = v
	b.from.heloApart = true
}

// setFromIP records the peer address; the first one a comment gives wins,
// except that "really" overrides.
func (b *builder) setFromIP(ip ipText, really bool) {
	f := &b.from
	if f.commentIP && !really {
		return
	}
	f.commentIP = true
	b.h.From.IP = ip.ip
	if ip.port != 0 {
		b.h.From.Port = ip.port
	}
	if ip.user != "" && b.h.From.Ident == "" {
		b.h.From.Ident = ip.user
	}
	if ip.note != "" {
		b.note("from: " + ip.note)
	}
}

// setRDNS records "rdns" or "user@rdns" from a comment; "unknown" is
// Postfix's word for no reverse name and is kept as "".
func (b *builder) setRDNS(cand string) bool {
	user, host := "", cand
	if at := strings.LastIndexByte(cand, '@'); at >= 0 {
		user, host = cand[:at], cand[at+1:]
	}
	if !isHostName(host) {
		return false
	}
	if user != "" && b.h.From.Ident == "" {
		b.h.From.Ident = user
	}
	if !eqFold(host, "unknown") && b.h.From.RDNS == "" {
		b.h.From.RDNS = strings.TrimSuffix(host, ".")
	}
	return true
}

// isHostName accepts the characters of host names as MTAs print them,
// rejecting words such as "unverified" that sit where a name would.
func isHostName(s string) bool {
	if s == "" || eqFold(s, "unverified") || eqFold(s, "verified") || eqFold(s, "local") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// unknownFromComment handles a from-comment that named no host or address.
func (b *builder) unknownFromComment(c string) {
	switch {
	case ipShaped(c):
		b.problemText("address not understood: ", c)
	case softwareFamily(c) != "" && b.h.Software == "":
		b.h.Software = collapse(c) // Oracle Messaging Server writes itself here
	default:
		b.noteText("from-comment not understood: ", c)
	}
}

// ipShaped reports text made only of what addresses are made of, with
// enough dots or colons to be meant as one ("127.0.01").
func ipShaped(s string) bool {
	s = strings.Trim(s, "[] ")
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case !isHex(c):
			return false
		}
	}
	return dots >= 3 || colons >= 2
}

// finishFrom decides what the first word of the from-clause was.
func (b *builder) finishFrom() {
	f, hf := &b.from, &b.h.From
	name := f.name.join(" ")
	switch {
	case name == "":
	case name[0] != '[' && strings.IndexByte(name, '@') >= 0:
		b.setEnvelope(name) // qmail-scanner: "from sender@domain by host"
	case hasPrefixFold(b.with.first(), "local"):
		if hf.Ident == "" {
			hf.Ident = name // Exim: "from user by host with local"
		}
	case strings.IndexByte(name, '$') > 0 && softwareFamily(b.h.Software) == "coremail":
		// Coremail's webmail names the logged-in user, "@" written "$":
		// "from wangxm$163.com ( [223.104.3.9] ) by ajax-webmail-... (Coremail)".
		if hf.Ident == "" {
			hf.Ident = strings.Replace(name, "$", "@", 1)
		}
	case name[0] == '[' && f.nameOnly && softwareFamily(b.h.Software) == "chasquid":
		// chasquid: "from [192.0.2.1] (mail.example.org)" for a client that
		// did not authenticate. It looks up no reverse name: the address is
		// the peer it saw and the name the client's own EHLO.
		hf.HELO, hf.RDNS = hf.RDNS, ""
	case f.heloApart:
		// The HELO was written apart, so the name is the peer as the
		// receiver knew it: its reverse name, an address, or "unknown".
		if _, isIP := looksIP(name); !isIP {
			b.setRDNS(name)
		}
	case f.bareIP && b.marks&mQmailDate != 0 && b.h.ID == "":
		// qmail-smtpd: "from rdns (ip) by host with SMTP; 1 Dec 1997
		// 17:50:04 -0000". It leaves "(HELO x)" out when the HELO is the
		// reverse name or there was none (it then takes the reverse name
		// for the HELO), so the name is both.
		if _, isIP := looksIP(name); !isIP {
			b.setRDNS(name)
		}
		hf.HELO = name
	default:
		hf.HELO = name // RFC 5321 §4.4: the name the client gave
	}
	if hf.IP == "" && f.hasTop {
		b.setFromIP(f.top, false)
	}
	if ip, ok := looksIP(name); ok && hf.IP == "" {
		b.setFromIP(ip, false)
		b.note("from IP read from the from-name")
	}
}

// leadComment reads a comment that comes before any clause: qmail's
// comment-only fields and Sendmail's "(from user@localhost)".
func (b *builder) leadComment(c string) {
	switch {
	case hasPrefixFold(c, "qmail"):
		b.qmailComment(c)
	case hasPrefixFold(c, "from "):
		// Sendmail, local submission: "(from user@localhost) by host".
		user, _, _ := strings.Cut(trimSpace(c[5:]), "@")
		b.h.From.Ident = user
		b.marks |= mSendmail
		b.lead = true
	case softwareFamily(c) != "":
		b.setSoftware(c, false)
		b.lead = true
	default:
		b.noteText("comment not understood: ", c)
	}
}

// qmailComment reads "(qmail 1234 invoked from network)", "(qmail 1234
// invoked by uid 1000)", "(qmail 1234 invoked by alias)", "(qmail 1234
// invoked for bounce)" and the qmail-ldap forms.
func (b *builder) qmailComment(c string) {
	b.marks |= mQmail
	b.lead = true
	b.noteText("", c)
	w := wordIter{s: c}
	for w.next() {
		if eqFold(w.word, "uid") && w.next() {
			b.h.From.Ident = "uid " + w.word
		}
	}
}
