package smtpd

// Code is a three-digit SMTP reply code (RFC 5321 §4.2).
type Code int

// Reply codes, named after their meaning in RFC 5321 §4.2.3 unless another RFC is cited.
const (
	CodeHelp             Code = 214 // RFC 5321 §4.2.3: help message
	CodeReady            Code = 220 // RFC 5321 §4.2.3: <domain> service ready
	CodeClosing          Code = 221 // RFC 5321 §4.2.3: service closing transmission channel
	CodeAuthOK           Code = 235 // RFC 4954 §6: authentication succeeded
	CodeOK               Code = 250 // RFC 5321 §4.2.3: requested mail action okay, completed
	CodeCannotVerify     Code = 252 // RFC 5321 §3.5.3: cannot VRFY user, but will accept message
	CodeAuthContinue     Code = 334 // RFC 4954 §4: server challenge
	CodeStartInput       Code = 354 // RFC 5321 §4.2.3: start mail input; end with <CRLF>.<CRLF>
	CodeUnavailable      Code = 421 // RFC 5321 §4.2.3: service not available, closing transmission channel
	CodeLocalError       Code = 451 // RFC 5321 §4.2.3: requested action aborted: local error in processing
	CodeNoStorage        Code = 452 // RFC 5321 §4.2.3: insufficient system storage (also too many recipients, §4.5.3.1.10)
	CodeTLSUnavailable   Code = 454 // RFC 3207 §4: TLS not available due to temporary reason
	CodeSyntax           Code = 500 // RFC 5321 §4.2.3: syntax error, command unrecognized (also line too long, §4.5.3.1.10)
	CodeParamSyntax      Code = 501 // RFC 5321 §4.2.3: syntax error in parameters or arguments
	CodeNotImplemented   Code = 502 // RFC 5321 §4.2.3: command not implemented
	CodeBadSequence      Code = 503 // RFC 5321 §4.2.3: bad sequence of commands
	CodeParamNotImpl     Code = 504 // RFC 5321 §4.2.3: command parameter not implemented
	CodeAuthInvalid      Code = 535 // RFC 4954 §6: authentication credentials invalid
	CodeMailboxNotFound  Code = 550 // RFC 5321 §4.2.3: requested action not taken: mailbox unavailable
	CodeExceededStorage  Code = 552 // RFC 5321 §4.2.3: exceeded storage allocation (RFC 1870 §6: message size)
	CodeMailboxName      Code = 553 // RFC 5321 §4.2.3: mailbox name not allowed
	CodeTransactionFail  Code = 554 // RFC 5321 §4.2.3: transaction failed
	CodeParamNotRecogniz Code = 555 // RFC 5321 §4.2.3: MAIL FROM/RCPT TO parameters not recognized or not implemented
)

// Enhanced status codes (RFC 3463, registered in RFC 5248) used in replies. RFC 2034 §3 asks for one on
// every reply except the greeting and the HELO/EHLO answers; 3xx replies have no class to carry one.
const (
	esOK            = "2.0.0" // RFC 3463 X.0.0: other undefined status
	esSenderOK      = "2.1.0" // RFC 3463 X.1.0: other address status
	esRcptOK        = "2.1.5" // RFC 3463 X.1.5: destination address valid
	esVRFY          = "2.5.0" // RFC 3463 X.5.0: other protocol status
	esQueued        = "2.6.0" // RFC 3463 X.6.0: other media error (used by Postfix for "queued")
	esAuthOK        = "2.7.0" // RFC 4954 §6: authentication succeeded
	esTempLocal     = "4.3.0" // RFC 3463 X.3.0: other mail system status
	esTempFull      = "4.3.1" // RFC 3463 X.3.1: mail system full
	esShutdown      = "4.3.2" // RFC 3463 X.3.2: system not accepting network messages
	esTimeout       = "4.4.2" // RFC 3463 X.4.2: bad connection
	esTooManyRcpts  = "4.5.3" // RFC 3463 X.5.3: too many recipients
	esTempSecurity  = "4.7.0" // RFC 3463 X.7.0: other security status
	esBadDest       = "5.1.3" // RFC 3463 X.1.3: bad destination mailbox address syntax
	esBadSender     = "5.1.7" // RFC 3463 X.1.7: bad sender's mailbox address syntax
	esTooBig        = "5.3.4" // RFC 3463 X.3.4: message too big for system
	esInvalidCmd    = "5.5.1" // RFC 3463 X.5.1: invalid command
	esSyntax        = "5.5.2" // RFC 3463 X.5.2: syntax error
	esBadArgs       = "5.5.4" // RFC 3463 X.5.4: invalid command arguments
	esMedia         = "5.6.0" // RFC 3463 X.6.0: other or undefined media error
	esNonASCII      = "5.6.7" // RFC 6531 §3.5: non-ASCII addresses not permitted without SMTPUTF8
	esSecurity      = "5.7.0" // RFC 3463 X.7.0: other security status
	esAuthBadCreds  = "5.7.8" // RFC 4954 §6: authentication credentials invalid
	esAuthCancelled = "5.0.0" // RFC 4954 §4: client cancelled the exchange with "*"
)
