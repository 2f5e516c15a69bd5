package smtpd

import (
	"github.com/mailtrace/mailtrace/internal/textsafe"

	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Buffers of finished connections are reused: a sink may see thousands of short sessions a second.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

// errShutdown ends a read when the server is shutting down.
var errShutdown = errors.New("smtpd: server shutting down")

// conn is the engine's state for one connection. Everything but mu's fields is owned by the
// connection's goroutine.
type conn struct {
	srv  *Server
	opts *Options
	raw  net.Conn   // as accepted
	tc   *timedConn // raw, with deadlines armed on every read and write
	nc   net.Conn   // tc, or the tls.Conn over it
	br   *bufio.Reader
	bw   *bufio.Writer
	pub  *Conn
	sess Session

	rec SessionRecord
	// Anomalies recorded per code, for the caps (see anomaly): in the session (InSession) and in the
	// current message (InMessage, from its MAIL on).
	sessCodes, msgCodes map[string]int
	sessAnoms           int // InSession anomalies kept
	oldDropped          int // anomalies of earlier messages no longer kept
	client              netip.AddrPort
	local               netip.AddrPort
	start               time.Time // on the server clock (Options.Now)
	accepted            time.Time // on the wall clock, for waits
	deadline            time.Time // per-connection limit (Options.ConnTimeout), wall clock

	helo        string
	esmtp       bool
	tls         *tls.ConnectionState
	implicitTLS bool      // accepted by ServeTLS: the session starts with a handshake
	env         *Envelope // the transaction in progress, nil between transactions
	rcptTried   int       // RCPT commands in this transaction, accepted or not
	bdat        *bdatState
	errors      int
	cmdNo       int64 // command lines read
	cmdOff      int64 // offset of the current command line in the cleartext stream
	inOff       int64 // cleartext octets consumed
	lineBuf     []byte
	closing     bool
	authAhead   int64 // the octets sent ahead of a refused AUTH's reply end here (noteRefusedAuth)

	// Allocated with the conn rather than one by one: at one connection per message, every
	// allocation saved per connection is one per message.
	tcv     timedConn
	pubv    Conn
	lineArr [256]byte
	lines   [16]TranscriptLine // room for the transcript of a one-message session

	mu     sync.Mutex // guards inTx and forced, which Server.Shutdown reads and writes, and ending
	inTx   bool
	forced bool
	ending bool // finish is closing the connection: writes get a short deadline

	readLimit time.Time     // an earlier read deadline while watching for pre-greeting talk
	rd, wr    armedDeadline // guarded by mu

	rdns     chan string
	rdnsName string
	rdnsDone bool
}

func newConn(s *Server, raw net.Conn) *conn {
	now := s.now()
	c := &conn{
		srv: s, opts: &s.opts, raw: raw, start: now, accepted: time.Now(),
		deadline: time.Now().Add(s.opts.ConnTimeout),
	}
	c.lineBuf = c.lineArr[:0]
	c.client = addrPort(raw.RemoteAddr())
	c.local = addrPort(raw.LocalAddr())
	c.tcv = timedConn{Conn: raw, c: c}
	c.tc = &c.tcv
	c.nc = c.tc
	c.br = readers.Get().(*bufio.Reader)
	c.br.Reset(flushReader{c})
	c.bw = writers.Get().(*bufio.Writer)
	c.bw.Reset(c.tc)
	c.pubv = Conn{c: c}
	c.pub = &c.pubv
	c.rec = SessionRecord{
		ID:         s.newSessionID(),
		Hostname:   s.opts.Hostname,
		LocalAddr:  raw.LocalAddr().String(),
		ClientIP:   c.client.Addr().Unmap().String(),
		ClientPort: int(c.client.Port()),
		Start:      now,
		Anomalies:  []Anomaly{},
		Transcript: c.lines[:0],
	}
	if s.opts.LookupAddr != nil {
		c.rdns = make(chan string, 1)
		go c.lookupAddr()
	}
	return c
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// serve runs the session: greeting, then one command at a time until QUIT, an error or shutdown.
func (c *conn) serve() {
	defer c.finish()
	defer func() {
		// A bug must cost one session, not the server (as net/http does). Nothing a client sends should
		// get here: the parsers are fuzzed.
		if r := recover(); r != nil {
			c.rec.CloseReason = "internal error"
			c.srv.log(slog.LevelError, "session panic", "id", c.rec.ID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	sess, err := c.srv.be.NewSession(c.pub)
	if err != nil {
		c.reply(replyFor(err, reply(CodeUnavailable, esTempLocal, c.opts.Hostname+" Error: cannot start session")))
		c.flush()
		c.rec.CloseReason = "backend refused session"
		return
	}
	c.sess = sess
	if c.implicitTLS && !c.handshake(0) { // RFC 8314 §3.3: TLS first, then SMTP as usual
		return
	}
	if !c.greet() {
		return
	}
	for !c.closing {
		lr, err := c.readLine()
		if err == nil && c.env == nil && c.srv.shuttingDown() {
			err = errShutdown // a command already buffered when the shutdown began
		}
		if err != nil {
			c.readFailed(err)
			return
		}
		c.handle(lr)
	}
	c.flush()
}

// greet waits Options.GreetDelay watching for a client that talks first, then sends the 220.
func (c *conn) greet() bool {
	if d := c.opts.GreetDelay; d > 0 {
		c.readLimit = time.Now().Add(d)
		_, err := c.br.Peek(1)
		c.readLimit = time.Time{}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded) && !c.shutdownErr(err):
		case c.shutdownErr(err):
			c.readFailed(err)
			return false
		default:
			c.rec.CloseReason = "client left before greeting"
			return false
		}
	}
	if n := c.br.Buffered(); n > 0 {
		early, _ := c.br.Peek(min(n, 64))
		c.anomaly(AnomalyPregreet, InSession, 0, 0, strconv.Itoa(n)+" octets before greeting: "+octetPreview(early))
	} else if early := kernelPeek(c.raw); len(early) > 0 {
		detail := "octets before greeting: " + octetPreview(early)
		if c.tls != nil { // the socket holds TLS records: their text is not shown
			detail = "TLS records before greeting"
		}
		c.anomaly(AnomalyPregreet, InSession, 0, 0, detail)
	}
	c.reply(Reply{Code: CodeReady, Lines: []string{c.opts.Hostname + " ESMTP mailtrace"}})
	return true
}

// handle parses and answers one command line.
func (c *conn) handle(lr lineResult) {
	// One string of the line serves the parser and, when it needs no escaping, the transcript.
	line := string(lr.line)
	cmd, err := parseCommandString(line)
	c.recordCommand(cmd, lr, line)
	var r Reply
	switch {
	case lr.tooLong:
		r = reply(CodeSyntax, esSyntax, "Error: line too long")
	case isHTTPVerb(cmd.Verb):
		c.anomaly(AnomalyHTTP, InSession, c.cmdOff, c.cmdNo, escapeLine(lr.line))
		r = reply(CodeUnavailable, esTempSecurity, c.opts.Hostname+" Error: HTTP request on an SMTP port")
		c.closing = true
	case errors.Is(err, errEmptyLine):
		r = reply(CodeSyntax, esSyntax, "Error: bad syntax")
	case errors.Is(err, errCtlChar):
		r = reply(CodeParamSyntax, esSyntax, "Error: control character in command")
	case err != nil:
		r = reply(CodeSyntax, esSyntax, "Error: command not recognized")
	default:
		c.checkPipelining(cmd.Verb)
		h := handlers[cmd.Verb]
		if h == nil {
			h = (*conn).cmdUnknown
		}
		r = h(c, cmd.Arg)
	}
	if r.Code >= 400 && authPrefix(lr.line) > 0 {
		c.noteRefusedAuth()
	}
	if r.Code != 0 {
		c.reply(r)
	}
	c.countError(r.Code)
}

// noteRefusedAuth marks the octets the client sent ahead of a refused AUTH's reply. A client that does
// not wait for the 334 sends its SASL responses all the same (refused because AUTH is not offered, not
// yet or no more allowed, or the mechanism unknown), and recordCommand keeps them out of the transcript.
func (c *conn) noteRefusedAuth() { c.authAhead = c.inOff + int64(c.br.Buffered()) }

// recordCommand records a client command line in the transcript, with AUTH secrets redacted.
// line is lr.line as a string.
func (c *conn) recordCommand(cmd command, lr lineResult, line string) {
	text := line
	if !lineClean(lr.line) {
		text = escapeLine(lr.line)
	}
	switch n := authPrefix(lr.line); {
	case n > 0 && n < len(lr.line):
		// Whatever the parser makes of the line: a tab after the verb or the mechanism makes it a
		// bad verb or an unknown mechanism, but the credentials behind it were sent all the same.
		text = escapeLine(lr.line[:n]) + " " + redacted(len(lr.line)-n-1)
	case c.cmdOff < c.authAhead && handlers[cmd.Verb] == nil:
		// No command, sent ahead of a refused AUTH's reply: the response to a challenge that never came.
		text = redacted(len(lr.line))
	}
	c.transcript("C", text)
}

// countError implements the error limit (Options.MaxErrors): after too many client errors, 421 and hang
// up, as Postfix's smtpd_hard_error_limit does.
func (c *conn) countError(code Code) {
	if !clientError(code) || c.closing {
		return
	}
	c.errors++
	if c.errors >= c.opts.MaxErrors {
		c.anomaly(AnomalyTooManyErrors, InSession, c.cmdOff, c.cmdNo, strconv.Itoa(c.errors)+" errors")
		c.reply(reply(CodeUnavailable, esTempSecurity, c.opts.Hostname+" Error: too many errors"))
		c.closing = true
	}
}

// checkPipelining records a client that sent more before our reply to verb where that is not allowed:
// PIPELINING not offered (HELO sessions, or before EHLO), or a verb that must end a group (RFC 2920
// §3.1: EHLO, DATA, VRFY, EXPN, TURN, QUIT, NOOP; RFC 3207 §4.2 STARTTLS; RFC 4954 §4 AUTH). Octets
// already buffered before we even wrote the reply can only have been sent without waiting for it.
func (c *conn) checkPipelining(verb string) {
	if c.br.Buffered() == 0 || verb == "BDAT" {
		return
	}
	// The offset and the command number are those of the octets sent ahead: the next command.
	switch {
	case !c.esmtp:
		c.anomaly(AnomalyPipelining, InSession, c.inOff, c.cmdNo+1, "sent ahead of the reply to "+verb+" without PIPELINING")
	case mustEndGroup[verb]:
		c.anomaly(AnomalyPipelining, InSession, c.inOff, c.cmdNo+1, "sent ahead of the reply to "+verb+", which must end a group")
	}
}

var mustEndGroup = map[string]bool{
	"EHLO": true, "HELO": true, "DATA": true, "VRFY": true, "EXPN": true, "TURN": true,
	"QUIT": true, "NOOP": true, "STARTTLS": true, "AUTH": true,
}

// isHTTPVerb reports an HTTP method: a browser or proxy probe talking to the SMTP port.
func isHTTPVerb(v string) bool {
	switch v {
	case "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH":
		return true
	}
	return false
}

// lineResult is one line read from the client.
type lineResult struct {
	line    []byte // without the line end; valid until the next read
	raw     int    // octets consumed, line end included
	tooLong bool
}

// readLine reads one command line. Lines end at LF; a bare LF is accepted (most servers do) but recorded,
// a CR elsewhere is recorded and left for the parser to refuse. A line longer than
// Options.MaxLineLength (RFC 5321 §4.5.3.1.4; see the package doc) is read to its end and reported.
func (c *conn) readLine() (lineResult, error) {
	lr := lineResult{line: c.lineBuf[:0]}
	for {
		frag, err := c.br.ReadSlice('\n')
		lr.raw += len(frag)
		if lr.raw <= c.opts.MaxLineLength {
			lr.line = append(lr.line, frag...)
		} else if !lr.tooLong {
			lr.tooLong = true
			lr.line = append(lr.line, frag[:max(0, min(len(frag), 80-len(lr.line)))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return lr, err
		}
		break
	}
	start := c.inOff
	c.cmdOff = start
	c.inOff += int64(lr.raw)
	c.rec.BytesIn = c.inOff
	c.cmdNo++
	c.lineBuf = lr.line[:0]
	if lr.tooLong {
		c.anomaly(AnomalyCmdLineTooLong, InSession, start, c.cmdNo, strconv.Itoa(lr.raw)+" octets")
		return lr, nil
	}
	lr.line = bytes.TrimSuffix(lr.line, []byte("\n"))
	if l, ok := bytes.CutSuffix(lr.line, []byte("\r")); ok {
		lr.line = l
	} else {
		c.anomaly(AnomalyCmdBareLF, InSession, start+int64(lr.raw)-1, c.cmdNo, "command ended by LF alone")
	}
	if i := bytes.IndexByte(lr.line, '\r'); i >= 0 {
		c.anomaly(AnomalyCmdBareCR, InSession, start+int64(i), c.cmdNo, "CR inside a command line")
	}
	return lr, nil
}

// readFailed ends the session after a failed read: 421 for a timeout or shutdown, silence for a client
// that went away.
func (c *conn) readFailed(err error) {
	switch {
	case c.shutdownErr(err):
		c.rec.CloseReason = "server shutdown"
		c.reply(reply(CodeUnavailable, esShutdown, c.opts.Hostname+" Service shutting down, closing transmission channel"))
	case errors.Is(err, os.ErrDeadlineExceeded):
		what := "command timeout"
		if !time.Now().Before(c.deadline) {
			what = "connection time limit"
		}
		c.rec.CloseReason = what
		c.anomaly(AnomalyTimeout, InSession, c.cmdOff, c.cmdNo, what)
		c.reply(reply(CodeUnavailable, esTimeout, c.opts.Hostname+" Error: timeout exceeded"))
	case errors.Is(err, io.EOF):
		c.rec.CloseReason = "client closed the connection"
	default:
		c.rec.CloseReason = "read error: " + err.Error()
	}
	c.flush()
}

// shutdownErr reports whether a read failed because of Server.Shutdown.
func (c *conn) shutdownErr(err error) bool {
	if errors.Is(err, errShutdown) {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Is(err, os.ErrDeadlineExceeded) && c.srv.shuttingDown() && (c.forced || !c.inTx)
}

// reply is the one reply writer: it renders r, records it, and buffers it. Output is flushed before the
// engine waits for input (flushReader), which batches pipelined replies as RFC 2920 §3.2 suggests.
func (c *conn) reply(r Reply) {
	s := r.Format()
	for line := range splitLines(s) {
		c.transcript("S", line)
	}
	c.bw.WriteString(s)
}

// splitLines yields the lines of a rendered reply, without their CRLF.
func splitLines(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			i := strings.IndexByte(s, '\n')
			if !yield(s[:i-1]) {
				return
			}
			s = s[i+1:]
		}
	}
}

func (c *conn) flush() error { return c.bw.Flush() }

// transcript appends one line to the session record, up to the cap.
func (c *conn) transcript(dir, text string) {
	if len(c.rec.Transcript) >= maxTranscript {
		c.rec.Truncated++
		return
	}
	if len(text) > 1024 {
		text = text[:1024] + "..."
	}
	c.rec.Transcript = append(c.rec.Transcript, TranscriptLine{
		T: c.srv.now().Sub(c.start).Microseconds(), Dir: dir, Text: text,
	})
}

// anomaly records a forensic observation. The caps bound a hostile session's record without letting
// one message hide another's: a code is kept maxPerCodeLines times per session when it is about the
// session, per message when it is about a message's text, so that every message keeps at least its
// first anomaly of each code; then one transcript.truncated marker says the rest were not recorded (for
// a message, with its queue id). The session's own anomalies stop at maxAnomalies; those of earlier
// messages give way when a new transaction starts (newMessageAnomalies).
func (c *conn) anomaly(code, where string, off, line int64, detail string) {
	a := Anomaly{Code: code, Where: where, Offset: off, Line: line, Detail: detail, At: c.srv.now()}
	counts, kept := &c.sessCodes, &c.sessAnoms
	if where == InMessage && c.env != nil {
		a.QueueID = c.env.QueueID
		counts, kept = &c.msgCodes, nil
	}
	if *counts == nil { // made on first use: most sessions have no anomaly
		*counts = map[string]int{}
	}
	(*counts)[code]++
	if n := (*counts)[code]; n > maxPerCodeLines || (kept != nil && *kept >= maxAnomalies) {
		if n == maxPerCodeLines+1 {
			a.Code, a.Detail = AnomalyTranscriptTruncated, "further "+code+" anomalies not recorded"
			c.rec.Anomalies = append(c.rec.Anomalies, a)
		}
		return
	}
	if kept != nil {
		*kept++
	}
	c.rec.Anomalies = append(c.rec.Anomalies, a)
}

// droppedDetail starts the marker that counts the anomalies of earlier messages no longer kept.
const droppedDetail = "anomalies of earlier messages not kept: "

// newMessageAnomalies starts the caps of a new transaction. The anomalies of the session's earlier
// messages went out with their own records (a backend snapshots the record when it stores one); once
// they are more than maxOldAnomalies, only their count is kept, in one marker, so a session of many
// messages grows its record no further.
func (c *conn) newMessageAnomalies() {
	clear(c.msgCodes)
	old := 0
	for _, a := range c.rec.Anomalies {
		if a.Where == InMessage && a.QueueID != "" {
			old++
		}
	}
	if old <= maxOldAnomalies {
		return
	}
	kept := c.rec.Anomalies[:0]
	for _, a := range c.rec.Anomalies {
		switch {
		case a.Where == InMessage && a.QueueID != "":
			c.oldDropped++
		case a.Code == AnomalyTranscriptTruncated && strings.HasPrefix(a.Detail, droppedDetail):
		default:
			kept = append(kept, a)
		}
	}
	clear(c.rec.Anomalies[len(kept):])
	c.rec.Anomalies = append(kept, Anomaly{Code: AnomalyTranscriptTruncated, Where: InSession, Offset: c.cmdOff,
		Line: c.cmdNo, Detail: droppedDetail + strconv.Itoa(c.oldDropped), At: c.srv.now()})
}

// setTx marks whether a transaction is in progress, for Server.Shutdown's grace period.
func (c *conn) setTx(env *Envelope) {
	c.env = env
	c.mu.Lock()
	c.inTx = env != nil
	c.mu.Unlock()
}

// finish closes the connection and tells the backend.
func (c *conn) finish() {
	if c.bdat != nil {
		c.bdat.abort()
		c.bdat = nil
	}
	c.rec.End = c.srv.now()
	if c.sess != nil {
		c.sess.Close()
	}
	c.closeTLS()
	c.raw.Close()
	c.br.Reset(nil)
	readers.Put(c.br)
	c.bw.Reset(nil)
	writers.Put(c.bw)
	c.srv.forget(c)
	if c.srv.opts.Logger != nil { // the arguments alone cost four allocations
		c.srv.log(slog.LevelDebug, "session closed", "id", c.rec.ID, "client", c.rec.ClientIP, "reason", c.rec.CloseReason)
	}
}

// closeTLS sends a TLS session's close_notify before the connection is closed (RFC 8446 §6.1), so the
// client can tell the end of our replies from a cut connection. It never holds up the close for long:
// writes get the short deadline of a forced shutdown, and one that fails is not retried.
func (c *conn) closeTLS() {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return
	}
	c.mu.Lock()
	c.ending = true
	c.mu.Unlock()
	_ = tc.CloseWrite() // fails at once without a completed handshake, or after a failed write
}

// lookupAddr runs Options.LookupAddr in the background; ClientName waits for it.
func (c *conn) lookupAddr() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name, err := c.opts.LookupAddr(ctx, c.client.Addr().Unmap())
	if err != nil {
		name = ""
	}
	c.rdns <- name
}

// escapeLine renders client octets for the transcript: printable UTF-8 as is, a backslash doubled,
// anything else as \xNN, C1 controls and the format characters that reorder or hide text
// (textsafe.Invisible) included.
func escapeLine(b []byte) string {
	if lineClean(b) {
		return string(b)
	}
	var out []byte
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1, r < 0x20 && r != '\t', r == 0x7f:
			out = appendHexEscapes(out, b[:1])
		case textsafe.Invisible(r):
			// A C1 control or a bidi mark would act on a terminal showing the record.
			out = appendHexEscapes(out, b[:n])
		case r == '\\':
			out = append(out, '\\', '\\')
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return string(out)
}

// lineClean reports whether escapeLine leaves b as it is: printable ASCII and tabs, no backslash.
// Octets of 0x80 and up may be C1 controls or bidi marks: escapeLine's slow path looks at them.
func lineClean(b []byte) bool {
	for _, x := range b {
		if x < 0x20 && x != '\t' || x >= 0x7f || x == '\\' {
			return false
		}
	}
	return true
}

// appendHexEscapes appends each octet of b as \xNN.
func appendHexEscapes(out, b []byte) []byte {
	for _, x := range b {
		out = append(out, '\\', 'x', "0123456789abcdef"[x>>4], "0123456789abcdef"[x&15])
	}
	return out
}

// octetPreview renders the client octets an anomaly's detail quotes (sent before the greeting, or
// behind STARTTLS and discarded): escaped as escapeLine does, and, as in the transcript, nothing shown
// past an AUTH command's mechanism, since credentials may follow on that line or the next ones.
func octetPreview(b []byte) string {
	for start := 0; start < len(b); {
		if n := authPrefix(b[start:]); n > 0 {
			keep := start + n
			return escapeLine(b[:keep]) + " " + redacted(len(b)-keep)
		}
		i := bytes.IndexByte(b[start:], '\n')
		if i < 0 {
			break
		}
		start += i + 1
	}
	return escapeLine(b)
}

// authPrefix returns the length of "AUTH mechanism" when line starts with an AUTH command, else 0.
func authPrefix(line []byte) int {
	if len(line) < 4 || !bytes.EqualFold(line[:4], []byte("AUTH")) || len(line) > 4 && !isLineSpace(line[4]) {
		return 0
	}
	n := 4
	for n < len(line) && line[n] == ' ' {
		n++
	}
	for n < len(line) && !isLineSpace(line[n]) {
		n++
	}
	return n
}

func isLineSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func redacted(n int) string { return "<redacted " + strconv.Itoa(n) + " octets>" }

// timedConn arms a read or write deadline before every I/O on the raw connection: the per-command idle
// timeout (Options.CommandTimeout), capped by the per-connection limit. It also turns a shutdown into
// errShutdown for connections outside a transaction.
//
// Setting a deadline is timer work in the runtime, and a session reads and writes a dozen times per
// message: so the deadline armed on the socket is only moved when the one wanted is earlier, or later
// by more than deadlineSlack. A deadline that then expires before the one wanted is not a timeout: it
// is moved to the one wanted and the I/O goes on, so every timeout still ends exactly CommandTimeout
// after the I/O began (or at the connection limit).
type timedConn struct {
	net.Conn
	c *conn
}

// deadlineSlack is how much later than the armed deadline the wanted one may be before it is set, as
// a fraction of Options.CommandTimeout: a short session arms each deadline once.
const deadlineSlack = 8 // CommandTimeout/8

func (t *timedConn) Read(p []byte) (int, error) {
	if err := t.c.armRead(); err != nil {
		return 0, err
	}
	for {
		n, err := t.Conn.Read(p)
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !t.c.rearm(&t.c.rd, t.Conn.SetReadDeadline) {
			return n, err
		}
	}
}

func (t *timedConn) Write(p []byte) (int, error) {
	c := t.c
	c.mu.Lock() // so that a forced shutdown's short deadline is not overwritten
	var err error
	if c.forced || c.ending {
		err = t.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.wr = armedDeadline{}
	} else {
		// Not capped by the connection deadline: the 421 that announces it must still go out.
		err = c.wr.arm(time.Now().Add(c.opts.CommandTimeout), c.opts.CommandTimeout, t.Conn.SetWriteDeadline)
	}
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := t.Conn.Write(p)
	for n < len(p) && err != nil && errors.Is(err, os.ErrDeadlineExceeded) && c.rearm(&c.wr, t.Conn.SetWriteDeadline) {
		var m int
		m, err = t.Conn.Write(p[n:])
		n += m
	}
	return n, err
}

func (c *conn) armRead() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forced || (c.srv.shuttingDown() && !c.inTx) {
		return errShutdown
	}
	d := c.capDeadline(time.Now().Add(c.opts.CommandTimeout))
	if !c.readLimit.IsZero() && c.readLimit.Before(d) {
		d = c.readLimit
	}
	return c.rd.arm(d, c.opts.CommandTimeout, c.raw.SetReadDeadline)
}

// armedDeadline is a read or write deadline of the socket, guarded by conn.mu.
type armedDeadline struct {
	armed time.Time // set on the socket by arm; zero when unknown (interrupt set another)
	want  time.Time // what the I/O in progress should have
}

// arm makes want the deadline of the next I/O: it sets it on the socket (set) when nothing is armed,
// when want is earlier than what is, or later by more than timeout/deadlineSlack.
func (a *armedDeadline) arm(want time.Time, timeout time.Duration, set func(time.Time) error) error {
	a.want = want
	if !a.armed.IsZero() && !want.Before(a.armed) && want.Sub(a.armed) <= timeout/deadlineSlack {
		return nil
	}
	a.armed = want
	return set(want)
}

// rearm handles an expired deadline: when it expired before the one wanted (and no shutdown
// interrupted the I/O), it sets the one wanted and reports true, for the I/O to go on.
func (c *conn) rearm(a *armedDeadline, set func(time.Time) error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forced || a.armed.IsZero() || !time.Now().Before(a.want) {
		return false
	}
	a.armed = a.want
	return set(a.want) == nil
}

// capDeadline limits d to the connection deadline.
func (c *conn) capDeadline(d time.Time) time.Time {
	if c.deadline.Before(d) {
		return c.deadline
	}
	return d
}

// flushReader sits under the bufio.Reader: whenever the engine needs more input, every reply buffered
// so far goes out first, so the client is never left waiting for an answer the engine holds.
type flushReader struct{ c *conn }

func (f flushReader) Read(p []byte) (int, error) {
	if err := f.c.bw.Flush(); err != nil {
		return 0, err
	}
	return f.c.nc.Read(p)
}
