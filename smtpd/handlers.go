package smtpd

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
)

// handler answers one verb. It returns the reply to send; a zero Reply means it already replied.
type handler func(c *conn, arg string) Reply

// handlers is the one dispatch table. Every verb RFC 5321 names is here, answered on purpose.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"HELO":     func(c *conn, a string) Reply { return c.cmdHelo("HELO", a) },
		"EHLO":     func(c *conn, a string) Reply { return c.cmdHelo("EHLO", a) },
		"MAIL":     (*conn).cmdMail,
		"RCPT":     (*conn).cmdRcpt,
		"DATA":     (*conn).cmdData,
		"BDAT":     (*conn).cmdBdat,
		"RSET":     (*conn).cmdRset,
		"NOOP":     (*conn).cmdNoop,
		"QUIT":     (*conn).cmdQuit,
		"VRFY":     (*conn).cmdVrfy,
		"EXPN":     (*conn).cmdNotImplemented,
		"HELP":     (*conn).cmdHelp,
		"STARTTLS": (*conn).cmdStartTLS,
		"AUTH":     (*conn).cmdAuth,
		"SEND":     (*conn).cmdNotImplemented, // RFC 5321 removed SEND, SOML, SAML (Appendix F.3-F.5)
		"SOML":     (*conn).cmdNotImplemented,
		"SAML":     (*conn).cmdNotImplemented,
		"TURN":     (*conn).cmdNotImplemented, // RFC 5321 Appendix F.1: unsafe, not to be implemented
		"ETRN":     (*conn).cmdNotImplemented, // RFC 1985, not offered
		"ATRN":     (*conn).cmdNotImplemented, // RFC 2645, not offered
	}
}

// The replies of every message, made once: a Reply built in a handler puts its lines on the heap.
// They are never modified.
var (
	replyMailOK = reply(CodeOK, esSenderOK, "Ok")
	replyRcptOK = reply(CodeOK, esRcptOK, "Ok")
	replyBye    = reply(CodeClosing, esOK, "Bye")
)

// helpVerbs is what HELP lists: the verbs that do something.
const helpVerbs = "HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH"

// cmdHelo answers HELO and EHLO (RFC 5321 §4.1.1.1). The argument is checked and recorded but never
// refused when present: a sink wants to see what forgers claim. EHLO/HELO replies carry no enhanced code
// (RFC 2034 §3).
func (c *conn) cmdHelo(verb, arg string) Reply {
	// White space after the name is tolerated, as Postfix does; it is not a second word.
	arg = strings.TrimRight(arg, " \t")
	if arg == "" {
		return Reply{Code: CodeParamSyntax, Lines: []string{"Syntax: " + verb + " hostname"}}
	}
	if c.helo != "" && c.helo != arg {
		c.anomaly(AnomalyHeloChanged, InSession, c.cmdOff, c.cmdNo, "was "+printable(c.helo, 100))
	}
	for _, f := range checkHelo(arg, c.client.Addr(), c.local.Addr(), c.opts.Hostname, c.clientNameReady()) {
		c.anomaly(f.Code, InSession, c.cmdOff, c.cmdNo, f.Detail+": "+printable(arg, 100))
	}
	c.resetTx() // RFC 5321 §4.1.4: HELO/EHLO in a transaction resets it
	c.helo, c.esmtp = arg, verb == "EHLO"
	c.rec.HeloVerb, c.rec.Helo = verb, arg
	if !c.esmtp {
		return Reply{Code: CodeOK, Lines: []string{c.opts.Hostname}}
	}
	if c.srv.tlsConfig != nil && c.tls == nil {
		return Reply{Code: CodeOK, Lines: c.srv.ehloLines[1]}
	}
	return Reply{Code: CodeOK, Lines: c.srv.ehloLines[0]}
}

// ehloLines is the EHLO reply's text, without STARTTLS ([0]) and with it ([1]). It depends on the
// options alone, so the server makes it once rather than every session.
func ehloLines(o *Options) (lines [2][]string) {
	for i := range lines {
		l := []string{o.Hostname, "PIPELINING", "SIZE " + strconv.FormatInt(o.MaxMessageSize, 10)}
		if i == 1 {
			l = append(l, "STARTTLS")
		}
		if o.AuthAcceptAny {
			l = append(l, "AUTH PLAIN LOGIN")
		}
		lines[i] = append(l, "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING")
	}
	return lines
}

// cmdMail answers MAIL FROM (RFC 5321 §4.1.1.2) with its parameters.
func (c *conn) cmdMail(arg string) Reply {
	switch {
	case c.helo == "":
		return reply(CodeBadSequence, esInvalidCmd, "Error: send HELO/EHLO first")
	case c.env != nil:
		return reply(CodeBadSequence, esInvalidCmd, "Error: nested MAIL command")
	}
	pa, err := parsePathArg(arg, "FROM:")
	switch {
	case errors.Is(err, errBadMailbox) || (err == nil && !strings.Contains(pa.Mailbox, "@") && pa.Mailbox != ""):
		return reply(CodeParamSyntax, esBadSender, "Error: bad sender address syntax")
	case err != nil:
		return reply(CodeParamSyntax, esBadArgs, "Syntax: MAIL FROM:<address>")
	}
	params, r := c.mailParams(pa.Params)
	if r.Code != 0 {
		return r
	}
	if pa.NonASCII && !params.SMTPUTF8 {
		return reply(CodeMailboxName, esNonASCII, "Error: non-ASCII address requires SMTPUTF8")
	}
	if pa.Lenient != "" {
		c.anomaly(AnomalyCmdLenient, InSession, c.cmdOff, c.cmdNo, "MAIL: "+pa.Lenient)
	}
	env := &Envelope{
		QueueID: c.srv.newQueueID(), From: pa.Mailbox, MailArg: arg, Params: params,
		Rcpts: []Recipient{}, Start: c.srv.now(),
	}
	env.Protocol = c.protocol(params.SMTPUTF8)
	if err := c.sess.Mail(env); err != nil {
		return replyFor(err, reply(CodeLocalError, esTempLocal, "Error: cannot accept sender"))
	}
	c.newMessageAnomalies()
	c.setTx(env)
	c.rcptTried = 0
	return replyMailOK
}

// mailParams checks MAIL parameters against what EHLO offered. A zero Reply means they are fine.
func (c *conn) mailParams(ps []param) (MailParams, Reply) {
	var mp MailParams
	for _, p := range ps {
		if !c.esmtp { // RFC 5321 §4.1.1.11: parameters need the extension negotiated by EHLO
			return mp, reply(CodeParamNotRecogniz, esBadArgs, "Error: parameters need EHLO")
		}
		check := mailParamChecks[p.Key]
		if check == nil {
			return mp, reply(CodeParamNotRecogniz, esBadArgs, "Error: unsupported parameter "+printable(p.Key, 40))
		}
		if r := check(c, p, &mp); r.Code != 0 {
			return mp, r
		}
	}
	return mp, Reply{}
}

// mailParamChecks parse one MAIL parameter each into mp; a non-zero Reply refuses it.
var mailParamChecks = map[string]func(c *conn, p param, mp *MailParams) Reply{
	"SIZE": func(c *conn, p param, mp *MailParams) Reply { // RFC 1870 §6
		v := p.Value
		if v == "" || len(v) > 20 || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return badParam(p) // size-value ::= 1*20DIGIT (RFC 1870 §3): no sign, no space
		}
		// Twenty digits may not fit an int64 (ParseInt's only error here); such a size is over any limit.
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n <= c.opts.MaxMessageSize {
			mp.Size = n
			return Reply{}
		}
		return reply(CodeExceededStorage, esTooBig, "Error: message size exceeds fixed limit") // RFC 1870 §6.1
	},
	"BODY": func(c *conn, p param, mp *MailParams) Reply { // RFC 6152 §2; BINARYMIME (RFC 3030) is not offered
		switch v := strings.ToUpper(p.Value); v {
		case "7BIT", "8BITMIME":
			mp.Body = v
			return Reply{}
		case "BINARYMIME":
			return reply(CodeParamNotImpl, esBadArgs, "Error: BODY=BINARYMIME not implemented")
		}
		return badParam(p)
	},
	"SMTPUTF8": func(c *conn, p param, mp *MailParams) Reply { // RFC 6531 §3.4: no value
		mp.SMTPUTF8 = true
		return ifBad(p.HasValue, p)
	},
	"RET": func(c *conn, p param, mp *MailParams) Reply { // RFC 3461 §4.3
		mp.Ret = strings.ToUpper(p.Value)
		return ifBad(mp.Ret != "FULL" && mp.Ret != "HDRS", p)
	},
	"ENVID": func(c *conn, p param, mp *MailParams) Reply { // RFC 3461 §4.4: xtext, at most 100 characters
		mp.EnvID = p.Value
		return ifBad(!p.HasValue || len(p.Value) > 100 || !validXtext(p.Value), p)
	},
	"AUTH": func(c *conn, p param, mp *MailParams) Reply { // RFC 4954 §5: only when AUTH is offered
		if !c.opts.AuthAcceptAny {
			return reply(CodeParamNotRecogniz, esBadArgs, "Error: AUTH parameter not supported")
		}
		if !p.HasValue {
			return badParam(p)
		}
		// A sink trusts no AUTH= (RFC 4954 §5: then as if it were AUTH=<>), and clients get its xtext
		// wrong: curl sends AUTH=<a+b@example> as is. Postfix takes any value; so does the sink, noting
		// the departure, rather than refuse the message for an assertion it would ignore.
		mp.Auth = p.Value
		if p.Value != "<>" && !validXtext(p.Value) {
			c.anomaly(AnomalyCmdLenient, InSession, c.cmdOff, c.cmdNo, "MAIL: AUTH parameter is not xtext")
		}
		return Reply{}
	},
}

func badParam(p param) Reply {
	return reply(CodeParamSyntax, esBadArgs, "Error: bad "+p.Key+" parameter")
}

func ifBad(bad bool, p param) Reply {
	if bad {
		return badParam(p)
	}
	return Reply{}
}

// protocol is the RFC 3848 / RFC 6531 §3.7.4 "with" keyword for a transaction.
func (c *conn) protocol(utf8 bool) string {
	if !c.esmtp {
		return "SMTP"
	}
	p := "ESMTP"
	if utf8 {
		p = "UTF8SMTP"
	}
	switch {
	case c.tls != nil && c.rec.Auth != nil:
		p += "SA"
	case c.tls != nil:
		p += "S"
	case c.rec.Auth != nil:
		p += "A"
	}
	return p
}

// cmdRcpt answers RCPT TO (RFC 5321 §4.1.1.3) with DSN parameters (RFC 3461 §4).
func (c *conn) cmdRcpt(arg string) Reply {
	switch {
	case c.env == nil:
		return reply(CodeBadSequence, esInvalidCmd, "Error: need MAIL command")
	case c.bdat != nil: // RFC 3030 §2: the chunks are the transaction's message; its recipients came before
		return reply(CodeBadSequence, esInvalidCmd, "Error: RCPT after BDAT")
	}
	c.rcptTried++
	pa, err := parsePathArg(arg, "TO:")
	switch {
	case errors.Is(err, errBadMailbox) || (err == nil && pa.Mailbox == ""):
		return reply(CodeParamSyntax, esBadDest, "Error: bad recipient address syntax")
	case err != nil:
		return reply(CodeParamSyntax, esBadArgs, "Syntax: RCPT TO:<address>")
	}
	rcpt := Recipient{Address: pa.Mailbox, Arg: arg}
	if r := c.rcptParams(pa.Params, &rcpt); r.Code != 0 {
		return r
	}
	if pa.NonASCII && !c.env.Params.SMTPUTF8 {
		return reply(CodeMailboxName, esNonASCII, "Error: non-ASCII address requires SMTPUTF8")
	}
	if len(c.env.Rcpts) >= c.opts.MaxRecipients { // RFC 5321 §4.5.3.1.10
		return reply(CodeNoStorage, esTooManyRcpts, "Error: too many recipients")
	}
	if pa.Lenient != "" {
		c.anomaly(AnomalyCmdLenient, InSession, c.cmdOff, c.cmdNo, "RCPT: "+pa.Lenient)
	}
	if err := c.sess.Rcpt(c.env, rcpt); err != nil {
		return replyFor(err, reply(CodeLocalError, esTempLocal, "Error: cannot accept recipient"))
	}
	c.env.Rcpts = append(c.env.Rcpts, rcpt)
	return replyRcptOK
}

// rcptParams checks RCPT parameters: only NOTIFY and ORCPT (RFC 3461 §4.1, §4.2) exist.
func (c *conn) rcptParams(ps []param, r *Recipient) Reply {
	for _, p := range ps {
		if !c.esmtp {
			return reply(CodeParamNotRecogniz, esBadArgs, "Error: parameters need EHLO")
		}
		switch p.Key {
		case "NOTIFY":
			n, ok := parseNotify(p.Value)
			if !ok {
				return reply(CodeParamSyntax, esBadArgs, "Error: bad NOTIFY parameter")
			}
			r.Notify = n
		case "ORCPT":
			typ, addr, ok := strings.Cut(p.Value, ";")
			if !ok || !validKeyword(typ) || addr == "" || (!validXtext(addr) && !c.env.Params.SMTPUTF8) {
				return reply(CodeParamSyntax, esBadArgs, "Error: bad ORCPT parameter")
			}
			r.ORcpt = p.Value
		default:
			return reply(CodeParamNotRecogniz, esBadArgs, "Error: unsupported parameter "+printable(p.Key, 40))
		}
	}
	return Reply{}
}

// parseNotify checks NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 §4.1).
func parseNotify(v string) ([]string, bool) {
	parts := strings.Split(strings.ToUpper(v), ",")
	seen := map[string]bool{}
	for _, p := range parts {
		switch {
		case p == "NEVER" && len(parts) == 1:
		case (p == "SUCCESS" || p == "FAILURE" || p == "DELAY") && !seen[p]:
		default:
			return nil, false
		}
		seen[p] = true
	}
	return parts, true
}

// cmdRset answers RSET (RFC 5321 §4.1.1.5), which takes no argument.
func (c *conn) cmdRset(arg string) Reply {
	if arg != "" {
		return reply(CodeParamSyntax, esBadArgs, "Syntax: RSET")
	}
	c.resetTx()
	return reply(CodeOK, esOK, "Ok")
}

// cmdNoop answers NOOP (RFC 5321 §4.1.1.9); an argument is allowed and ignored.
func (c *conn) cmdNoop(string) Reply { return reply(CodeOK, esOK, "Ok") }

// cmdQuit answers QUIT (RFC 5321 §4.1.1.10) with 221 and closes.
func (c *conn) cmdQuit(arg string) Reply {
	if arg != "" {
		return reply(CodeParamSyntax, esBadArgs, "Syntax: QUIT")
	}
	c.closing = true
	c.rec.CloseReason = "QUIT"
	return replyBye
}

// cmdVrfy answers VRFY with 252 (RFC 5321 §3.5.3): a sink verifies nobody but accepts everyone.
func (c *conn) cmdVrfy(arg string) Reply {
	if arg == "" {
		return reply(CodeParamSyntax, esBadArgs, "Syntax: VRFY address")
	}
	return reply(CodeCannotVerify, esVRFY, "Cannot VRFY user, but will accept message and attempt delivery")
}

// cmdHelp answers HELP (RFC 5321 §4.1.1.8) with the verbs, whatever the topic.
func (c *conn) cmdHelp(string) Reply {
	return reply(CodeHelp, esOK, "Commands supported:", helpVerbs, "See RFC 5321")
}

// cmdNotImplemented answers verbs RFC 5321 names but a sink does not do: EXPN (§3.5.3 allows 502),
// SEND/SOML/SAML/TURN (obsolete, Appendix F), ETRN, ATRN.
func (c *conn) cmdNotImplemented(string) Reply {
	return reply(CodeNotImplemented, esInvalidCmd, "Error: command not implemented")
}

// cmdUnknown answers any other verb (RFC 5321 §4.2.4: 500 for an unrecognized command).
func (c *conn) cmdUnknown(string) Reply {
	return reply(CodeSyntax, esSyntax, "Error: command not recognized")
}

// resetTx abandons the transaction in progress, if any.
func (c *conn) resetTx() {
	if c.bdat != nil {
		c.bdat.abort()
		c.bdat = nil
	}
	if c.env != nil {
		c.setTx(nil)
		c.sess.Reset()
	}
	c.rcptTried = 0
}

// replyFor picks the reply for a backend or storage error: the backend's own if it gave one, 452 for a
// full disk, fallback otherwise.
func replyFor(err error, fallback Reply) Reply {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Reply
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return reply(CodeNoStorage, esTempFull, "Error: insufficient system storage")
	}
	return fallback
}
