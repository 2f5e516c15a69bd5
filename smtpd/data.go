package smtpd

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
)

// outBufs recycles the dotReader output buffers between messages.
var outBufs = sync.Pool{New: func() any { b := make([]byte, 0, dotOutSize); return &b }}

// cmdData answers DATA (RFC 5321 §4.1.1.4): 354, the message text up to <CRLF>.<CRLF>, then one reply
// for the whole message, sent only once the backend has made it durable.
func (c *conn) cmdData(arg string) Reply {
	switch {
	case arg != "":
		return reply(CodeParamSyntax, esBadArgs, "Syntax: DATA")
	case c.env == nil:
		return reply(CodeBadSequence, esInvalidCmd, "Error: need MAIL command")
	case c.bdat != nil:
		return reply(CodeBadSequence, esInvalidCmd, "Error: DATA after BDAT")
	case len(c.env.Rcpts) == 0 && c.rcptTried > 0: // RFC 5321 §3.3: 554 when every RCPT was refused
		return reply(CodeTransactionFail, esInvalidCmd, "Error: no valid recipients")
	case len(c.env.Rcpts) == 0:
		return reply(CodeBadSequence, esInvalidCmd, "Error: need RCPT command")
	}
	w, err := c.sess.Data(c.env)
	if err != nil {
		r := replyFor(err, reply(CodeLocalError, esTempLocal, "Error: cannot store message"))
		c.resetTx()
		return r
	}
	c.reply(Reply{Code: CodeStartInput, Lines: []string{"End data with <CR><LF>.<CR><LF>"}})
	c.env.DataStart = c.inOff
	sink := c.newSink(w)
	bufp := outBufs.Get().(*[]byte)
	dr := newDotReader(c.br, sink, c.messageAnomaly, *bufp)
	rerr := dr.readAll()
	*bufp = dr.out[:0]
	outBufs.Put(bufp)
	c.inOff += dr.raw
	c.rec.BytesIn = c.inOff
	var note [48]byte // the line built on the stack: one allocation, not two
	c.transcript("C", string(append(strconv.AppendInt(append(note[:0], "<message text: "...), dr.raw, 10), " octets>"...)))
	if rerr == nil {
		c.checkEndOfDataPipelining()
	}
	return c.endMessage(w, sink, rerr)
}

// checkEndOfDataPipelining records a client without PIPELINING that sent more with the end of data,
// before the message's reply: a client must wait for that reply as for any command's (RFC 5321
// §4.1.1.4), and only PIPELINING lets it send the next commands with the text (RFC 2920 §3.1).
// checkPipelining, which runs on commands, never sees this: the text is not a command.
func (c *conn) checkEndOfDataPipelining() {
	if !c.esmtp && c.br.Buffered() > 0 {
		c.anomaly(AnomalyPipelining, InSession, c.inOff, c.cmdNo+1, "sent ahead of the reply to the end of data without PIPELINING")
	}
}

// newSink builds the scanner and size limit a message goes through.
func (c *conn) newSink(w io.Writer) *msgSink {
	allow8 := c.env.Params.Body == "8BITMIME" || c.env.Params.SMTPUTF8
	return &msgSink{w: w, max: c.opts.MaxMessageSize,
		scanner: newTextScanner(c.opts.MaxLineLength, allow8, c.messageAnomaly)}
}

func (c *conn) messageAnomaly(code string, off, line int64, detail string) {
	c.anomaly(code, InMessage, off, line, detail)
}

// endMessage decides the fate of a complete (or broken) message, answers, and ends the transaction.
// Every failure is decided only after the whole text was read (RFC 5321 §4.1.1.4).
func (c *conn) endMessage(w MessageWriter, sink *msgSink, rerr error) Reply {
	sink.scanner.finish()
	env := c.env
	env.Size, env.DataEnd, env.End = sink.size, c.inOff, c.srv.now()
	var r Reply
	switch {
	case rerr != nil:
		w.Abort()
		c.anomaly(AnomalyDataIncomplete, InMessage, sink.size, sink.scanner.line, "message text did not end: "+rerr.Error())
		c.resetTx()
		c.readFailed(rerr)
		c.closing = true
		return Reply{}
	case sink.tooBig: // RFC 1870 §6.2
		c.anomaly(AnomalyDataTooBig, InMessage, c.opts.MaxMessageSize, 0, strconv.FormatInt(sink.size, 10)+" octets")
		r = reply(CodeExceededStorage, esTooBig, "Error: message file too big")
	case sink.scanner.tooLong: // RFC 5321 §4.5.3.1.6
		r = reply(CodeTransactionFail, esMedia, "Error: text line longer than "+strconv.Itoa(c.opts.MaxLineLength)+" octets")
	case sink.scanner.bare && c.opts.RejectBareLineEnds:
		r = reply(CodeTransactionFail, esMedia, "Error: bare <CR> or <LF> in message text")
	case sink.werr != nil:
		r = replyFor(sink.werr, reply(CodeLocalError, esTempLocal, "Error: cannot store message"))
	}
	if r.Code != 0 {
		w.Abort()
		c.resetTx()
		return r
	}
	if err := w.Commit(); err != nil {
		r = replyFor(err, reply(CodeLocalError, esTempLocal, "Error: cannot store message"))
		c.resetTx()
		return r
	}
	c.rec.Messages++
	c.reply(reply(CodeOK, esOK, "Ok: queued as "+env.QueueID))
	c.flush()
	c.resetTx()
	if a, ok := w.(Acknowledger); ok {
		a.Acknowledged()
	}
	return Reply{}
}

// bdatState is a message being received in BDAT chunks (RFC 3030).
type bdatState struct {
	w      MessageWriter
	sink   *msgSink
	failed bool // a chunk was refused: later chunks are read and answered 503 until RSET
}

func (b *bdatState) abort() {
	if b.w != nil {
		b.w.Abort()
		b.w = nil
	}
}

// cmdBdat answers BDAT <size> [LAST] (RFC 3030 §2). The chunk's octets follow the command at once, so
// they are always read, even when the command is refused, to stay in step with the client.
func (c *conn) cmdBdat(arg string) Reply {
	size, last, ok := parseBdatArg(arg)
	var r Reply
	switch {
	case !ok:
		r = reply(CodeParamSyntax, esBadArgs, "Syntax: BDAT count [LAST]")
		if size < 0 {
			return r // no chunk size to skip: nothing more can be done to stay in step
		}
		if c.bdat != nil { // the message would miss this chunk
			c.bdat.abort()
			c.bdat.failed = true
		}
	case !c.esmtp:
		r = reply(CodeBadSequence, esInvalidCmd, "Error: send EHLO first")
	case c.env == nil:
		r = reply(CodeBadSequence, esInvalidCmd, "Error: need MAIL command")
	case len(c.env.Rcpts) == 0:
		r = reply(CodeBadSequence, esInvalidCmd, "Error: need RCPT command")
	case c.bdat != nil && c.bdat.failed:
		r = reply(CodeBadSequence, esInvalidCmd, "Error: transaction failed, send RSET")
	}
	if r.Code != 0 {
		if c.env == nil {
			c.anomaly(AnomalyUnexpectedBDAT, InSession, c.cmdOff, c.cmdNo, strconv.FormatInt(size, 10)+" octets dropped")
		}
		if err := c.skipChunk(size); err != nil {
			c.readFailed(err)
			c.closing = true
			return Reply{}
		}
		return r
	}
	return c.bdatChunk(size, last)
}

// bdatChunk stores one chunk of a transaction.
func (c *conn) bdatChunk(size int64, last bool) Reply {
	if c.bdat == nil {
		w, err := c.sess.Data(c.env)
		if err != nil {
			c.bdat = &bdatState{failed: true}
			if err := c.skipChunk(size); err != nil {
				c.readFailed(err)
				c.closing = true
				return Reply{}
			}
			return replyFor(err, reply(CodeLocalError, esTempLocal, "Error: cannot store message"))
		}
		c.env.Chunked, c.env.DataStart = true, c.inOff
		c.bdat = &bdatState{w: w, sink: c.newSink(w)}
	}
	b := c.bdat
	n, rerr := io.CopyN(b.sink, c.br, size)
	c.inOff += n
	c.rec.BytesIn = c.inOff
	c.transcript("C", "<chunk: "+strconv.FormatInt(n, 10)+" octets>")
	if rerr != nil {
		c.bdat = nil
		return c.endMessage(b.w, b.sink, rerr)
	}
	if last {
		c.bdat = nil
		return c.endMessage(b.w, b.sink, nil)
	}
	if b.sink.tooBig || b.sink.werr != nil { // fail early: RFC 3030 §2 lets the client stop here
		r := reply(CodeExceededStorage, esTooBig, "Error: message file too big")
		if b.sink.tooBig {
			c.anomaly(AnomalyDataTooBig, InMessage, c.opts.MaxMessageSize, 0, "chunks exceed the limit")
		} else {
			r = replyFor(b.sink.werr, reply(CodeLocalError, esTempLocal, "Error: cannot store message"))
		}
		b.abort()
		b.failed = true
		return r
	}
	return reply(CodeOK, esOK, "Ok: "+strconv.FormatInt(size, 10)+" octets received")
}

// skipChunk reads and drops a refused chunk.
func (c *conn) skipChunk(size int64) error {
	n, err := io.CopyN(io.Discard, c.br, size)
	c.inOff += n
	c.rec.BytesIn = c.inOff
	c.transcript("C", "<chunk dropped: "+strconv.FormatInt(n, 10)+" octets>")
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseBdatArg parses bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] (RFC 3030 §2). A command
// that is wrong after a valid chunk-size (a bad end-marker, more words) still returns the size, since
// its chunk follows it all the same; size is -1 when there is none to read.
func parseBdatArg(arg string) (size int64, last, ok bool) {
	f := strings.Fields(arg)
	if len(f) == 0 || len(f[0]) > 18 {
		return -1, false, false
	}
	for i := 0; i < len(f[0]); i++ {
		if !isDigit(f[0][i]) {
			return -1, false, false
		}
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return -1, false, false
	}
	switch {
	case len(f) > 2:
		return n, false, false
	case len(f) == 2 && !strings.EqualFold(f[1], "LAST"):
		return n, false, false
	}
	return n, len(f) == 2, true
}
