package smtpd

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
)

// errAuthCancelled is a client's "*" answer to a challenge (RFC 4954 §4).
var errAuthCancelled = errors.New("authentication cancelled")

// errAuthEncoding is a response that is not base64.
var errAuthEncoding = errors.New("response is not base64")

// cmdAuth answers AUTH (RFC 4954 §4). With Options.AuthAcceptAny, PLAIN (RFC 4616) and LOGIN accept any
// credentials: the identity is recorded, the password is neither checked nor kept. Without it, AUTH is not
// offered and the verb gets 502.
func (c *conn) cmdAuth(arg string) Reply {
	switch {
	case !c.opts.AuthAcceptAny:
		return reply(CodeNotImplemented, esInvalidCmd, "Error: authentication not enabled")
	case !c.esmtp:
		return reply(CodeBadSequence, esInvalidCmd, "Error: send EHLO first")
	case c.rec.Auth != nil: // RFC 4954 §4: no AUTH after a successful one
		return reply(CodeBadSequence, esInvalidCmd, "Error: already authenticated")
	case c.env != nil: // RFC 4954 §4: not during a mail transaction
		return reply(CodeBadSequence, esInvalidCmd, "Error: MAIL transaction in progress")
	}
	mech, initial, hasInitial := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	var info *AuthInfo
	var err error
	switch mech {
	case "PLAIN":
		info, err = c.authPlain(initial, hasInitial)
	case "LOGIN":
		info, err = c.authLogin(initial, hasInitial)
	case "":
		return reply(CodeParamSyntax, esBadArgs, "Syntax: AUTH mechanism [initial-response]")
	default:
		return reply(CodeParamNotImpl, esBadArgs, "Error: unsupported authentication mechanism")
	}
	switch {
	case errors.Is(err, errAuthCancelled):
		return reply(CodeParamSyntax, esAuthCancelled, "Error: authentication cancelled")
	case errors.Is(err, errAuthEncoding):
		return reply(CodeParamSyntax, esSyntax, "Error: cannot decode response")
	case err != nil && c.closing:
		return Reply{}
	case err != nil:
		return reply(CodeAuthInvalid, esAuthBadCreds, "Error: authentication failed")
	}
	info.Mechanism, info.TLS, info.At = mech, c.tls != nil, c.srv.now()
	c.rec.Auth = info
	if c.tls == nil {
		c.anomaly(AnomalyAuthCleartext, InSession, c.cmdOff, c.cmdNo, mech+" credentials without TLS")
	}
	return reply(CodeAuthOK, esAuthOK, "Authentication successful")
}

// authPlain runs PLAIN (RFC 4616 §2): message = [authzid] NUL authcid NUL passwd.
func (c *conn) authPlain(initial string, hasInitial bool) (*AuthInfo, error) {
	var resp []byte
	var err error
	if hasInitial {
		resp, err = decodeResponse(initial)
	} else {
		resp, err = c.challenge("")
	}
	if err != nil {
		return nil, err
	}
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, errors.New("malformed PLAIN message")
	}
	return &AuthInfo{Identity: escapeLine(parts[1]), AuthzID: escapeLine(parts[0])}, nil
}

// authLogin runs the LOGIN mechanism (draft-murchison-sasl-login): user name, then password, each
// prompted by a base64 challenge. An initial response carries the user name.
func (c *conn) authLogin(initial string, hasInitial bool) (*AuthInfo, error) {
	var user []byte
	var err error
	if hasInitial {
		user, err = decodeResponse(initial)
	} else {
		user, err = c.challenge("VXNlcm5hbWU6") // "Username:"
	}
	if err != nil {
		return nil, err
	}
	if _, err := c.challenge("UGFzc3dvcmQ6"); err != nil { // "Password:"
		return nil, err
	}
	if len(user) == 0 {
		return nil, errors.New("empty user name")
	}
	return &AuthInfo{Identity: escapeLine(user)}, nil
}

// challenge sends a 334 and reads the client's response line, which is recorded redacted.
func (c *conn) challenge(text string) ([]byte, error) {
	c.reply(Reply{Code: CodeAuthContinue, Lines: []string{text}})
	lr, err := c.readLine()
	if err != nil {
		c.readFailed(err)
		c.closing = true
		return nil, err
	}
	c.transcript("C", redacted(len(lr.line)))
	if lr.tooLong {
		return nil, errAuthEncoding
	}
	return decodeResponse(string(lr.line))
}

// decodeResponse decodes a SASL response: "*" cancels, "=" is an empty initial response (RFC 4954 §4).
func decodeResponse(s string) ([]byte, error) {
	switch s {
	case "*":
		return nil, errAuthCancelled
	case "=":
		return []byte{}, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errAuthEncoding
	}
	return b, nil
}
