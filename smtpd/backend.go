package smtpd

import "io"

// Backend receives sessions from the engine. The engine owns the wire; a backend only sees envelopes and
// message bytes. Its methods are called from the connection's goroutine, one at a time per session, but
// NewSession is called concurrently for different connections.
type Backend interface {
	// NewSession is called after accept, before the greeting. An error refuses the connection with 421
	// (or the reply of an *Error).
	NewSession(c *Conn) (Session, error)
}

// Session is one connection's view of the backend. Any method may return an *Error to choose the reply;
// other errors are answered 451 4.3.0 (452 4.3.1 for ENOSPC/EDQUOT).
type Session interface {
	// Mail is called when MAIL FROM was accepted by the engine; env.Rcpts is empty.
	Mail(env *Envelope) error
	// Rcpt is called for each RCPT TO the engine accepted, before it is added to env.Rcpts.
	Rcpt(env *Envelope, r Recipient) error
	// Data opens storage for the message of env. The engine writes the message text (dot-unstuffed, byte
	// for byte) and then calls exactly one of Commit or Abort.
	Data(env *Envelope) (MessageWriter, error)
	// Reset ends the transaction: after each message, stored or refused, and on RSET, HELO/EHLO and
	// STARTTLS.
	Reset()
	// Close is called once when the connection is over.
	Close()
}

// MessageWriter receives one message.
type MessageWriter interface {
	io.Writer
	// Commit makes the message durable. The engine answers 250 only after Commit returned nil.
	Commit() error
	// Abort discards the message: it will not be acknowledged (client gone, too big, write failed).
	Abort()
}

// Acknowledger is implemented by a MessageWriter that wants to know when the 250 for its message has
// been written (or the attempt failed because the client left; the message is stored either way). This
// is the place for anything slow: the client already has its answer.
type Acknowledger interface {
	Acknowledged()
}
