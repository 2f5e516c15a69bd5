package smtpd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// errTooBig is how msgSink reports a message over the size limit. It never reaches the client as an
// error: the engine keeps reading to the end and then answers 552.
var errTooBig = errors.New("message exceeds size limit")

// anomalySink receives anomalies found in message text; offsets are InMessage.
type anomalySink func(code string, off, line int64, detail string)

// textScanner watches message text as stored (after dot-unstuffing) for what RFC 5321 forbids or a
// forensic reader wants to know: bare CR and bare LF (§2.3.8), lines over the limit (§4.5.3.1.6), NUL
// (§4.5.2), 8-bit octets without BODY=8BITMIME (RFC 6152 §3), and text that starts with white space,
// which a reader of the stored file takes as the continuation of the last field the receiver
// prepended (RFC 5322 §2.2.3). It keeps no text.
type textScanner struct {
	off      int64 // octets scanned
	line     int64 // 1-based line number (lines end at any LF)
	lineLen  int   // octets in the current line, terminator included
	maxLine  int
	allow8   bool
	cr       bool // the previous octet was a CR
	add      anomalySink
	bare     bool // saw a bare CR or LF
	tooLong  bool
	seen8bit bool
	seenNUL  bool
}

func newTextScanner(maxLine int, allow8 bool, add anomalySink) *textScanner {
	return &textScanner{line: 1, maxLine: maxLine, allow8: allow8, add: add}
}

// special marks the octets the scanner must look at; the rest only count toward the line length.
var special = func() (t [256]bool) {
	t['\r'], t['\n'], t[0] = true, true, true
	for c := 0x80; c < 256; c++ {
		t[c] = true
	}
	return t
}()

func (s *textScanner) scan(p []byte) {
	if s.off == 0 && len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
		s.add(AnomalyDataLeadingSpace, 0, 1, "message text starts with white space: it would continue the receiver's last field")
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		if s.cr && b != '\n' {
			s.cr = false
			s.bare = true
			s.add(AnomalyDataBareCR, s.off+int64(i)-1, s.line, "CR not followed by LF")
		}
		if !special[b] {
			// A run of ordinary octets, found a word at a time, only adds to the line length; the
			// octet that takes the line over the limit is the one reported, as octet by octet.
			j := plainEnd(p, i+1)
			if n := j - i; !s.tooLong && s.lineLen+n > s.maxLine {
				s.tooLong = true
				s.add(AnomalyDataLineTooLong, s.off+int64(i+s.maxLine-s.lineLen), s.line, "text line longer than the limit")
			}
			s.lineLen += j - i
			i = j - 1
			continue
		}
		s.lineLen++
		if s.lineLen > s.maxLine && !s.tooLong {
			s.tooLong = true
			s.add(AnomalyDataLineTooLong, s.off+int64(i), s.line, "text line longer than the limit")
		}
		switch {
		case b == '\r':
			s.cr = true
		case b == '\n':
			if !s.cr {
				s.bare = true
				s.add(AnomalyDataBareLF, s.off+int64(i), s.line, "LF not preceded by CR")
			}
			s.cr = false
			s.line++
			s.lineLen = 0
		case b == 0:
			if !s.seenNUL {
				s.seenNUL = true
				s.add(AnomalyDataNUL, s.off+int64(i), s.line, "NUL octet")
			}
		default: // 8-bit
			if !s.allow8 && !s.seen8bit {
				s.seen8bit = true
				s.add(AnomalyData8Bit, s.off+int64(i), s.line, "8-bit octet without BODY=8BITMIME")
			}
		}
	}
	s.off += int64(len(p))
}

// Word-at-a-time search for the octets the scanners stop at: a message is mostly ordinary text, and
// looking at it eight octets at a time roughly halves the CPU the engine spends per message octet.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZeroByte is non-zero exactly when one of the eight octets of x is zero.
func hasZeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

// lineEndAt returns the index of the first CR or LF in p from i on, or len(p).
func lineEndAt(p []byte, i int) int {
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		if hasZeroByte(x^('\r'*ones))|hasZeroByte(x^('\n'*ones)) != 0 {
			break
		}
	}
	for i < len(p) && p[i] != '\r' && p[i] != '\n' {
		i++
	}
	return i
}

// plainEnd returns the index of the first octet of p from i on that the text scanner looks at
// (special), or len(p).
func plainEnd(p []byte, i int) int {
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		if x&highs|hasZeroByte(x)|hasZeroByte(x^('\r'*ones))|hasZeroByte(x^('\n'*ones)) != 0 {
			break
		}
	}
	for i < len(p) && !special[p[i]] {
		i++
	}
	return i
}

// finish reports a CR left dangling at the very end (possible with BDAT).
func (s *textScanner) finish() {
	if s.cr {
		s.cr = false
		s.bare = true
		s.add(AnomalyDataBareCR, s.off-1, s.line, "CR not followed by LF at end of message")
	}
}

// msgSink is where message text goes: through the scanner, then the size limit, then the backend's
// writer. A failure is remembered, never returned, so that the engine always reads to the end of the
// message and stays in step with the client (RFC 5321 §4.2.5: the reply comes after the final dot).
type msgSink struct {
	w       io.Writer // nil once failed; writes are then discarded
	scanner *textScanner
	size    int64
	max     int64
	tooBig  bool
	werr    error
}

func (m *msgSink) Write(p []byte) (int, error) {
	m.scanner.scan(p)
	m.size += int64(len(p))
	if m.size > m.max && !m.tooBig {
		m.tooBig = true
		m.w = nil
	}
	if m.w != nil {
		if _, err := m.w.Write(p); err != nil {
			m.werr = err
			m.w = nil
		}
	}
	return len(p), nil
}

// States of dotReader: where in the line structure the next octet falls.
const (
	sBOL    = iota // start of a line: after <CRLF>, or at the start of the data
	sMID           // inside a line
	sCR            // after a CR that is held until we know whether LF follows
	sLF            // right after a bare LF
	sDOT           // after <CRLF>"." (the dot is held: it may be stuffing or the end)
	sDOTCR         // after <CRLF>".<CR>"
	sEOLDOT        // after a bare <LF> or <CR> and "." (the dot was written)
)

// dotReader decodes the DATA text (RFC 5321 §4.1.1.4, §4.5.2): it removes the transparency dot and stops
// after <CRLF>.<CRLF>, and only there. A bare CR or LF never ends a line for it, so the smuggling
// sequences (<LF>.<LF>, <CR>.<CR><LF>, <LF>.<CR><LF>, <CR><LF>.<LF>, <CR>.<LF>, ...) stay inside the
// message, byte for byte, and are reported as AnomalyDataSmuggling. It never buffers a message: output
// goes to the sink in chunks.
type dotReader struct {
	br    *bufio.Reader
	sink  *msgSink
	add   anomalySink
	state int
	out   []byte // pending output, flushed to sink when full and at the end
	raw   int64  // octets consumed from br
	e1    string // the bare line end before "." in sEOLDOT
	dotAt int64  // message offset of the "." of a possible smuggling sequence
	pend  string // smuggling sequence waiting for the octet after a CR
}

const dotOutSize = 32 << 10

func newDotReader(br *bufio.Reader, sink *msgSink, add anomalySink, buf []byte) *dotReader {
	return &dotReader{br: br, sink: sink, add: add, out: buf[:0]}
}

// readAll consumes the data up to and including the terminating ".<CRLF>". An error means the data did
// not end (connection lost or timed out); octets after the terminator stay in br for the next command.
func (d *dotReader) readAll() error {
	for {
		n := d.br.Buffered()
		if n == 0 {
			if _, err := d.br.Peek(1); err != nil {
				d.flush()
				return err
			}
			n = d.br.Buffered()
		}
		buf, _ := d.br.Peek(n)
		used, done := d.process(buf)
		d.br.Discard(used)
		d.raw += int64(used)
		if done {
			d.flush()
			return nil
		}
	}
}

// process runs the state machine over buf and returns how many octets it used and whether the end of
// data was reached.
func (d *dotReader) process(buf []byte) (int, bool) {
	i := 0
	for i < len(buf) {
		if d.state == sMID {
			j := lineEndAt(buf, i)
			d.emit(buf[i:j]...)
			if i = j; i == len(buf) {
				break
			}
		}
		done := d.step(buf[i])
		i++
		if done {
			return i, true
		}
	}
	return i, false
}

// step consumes one octet outside the fast path and reports the end of data.
func (d *dotReader) step(b byte) bool {
	switch d.state {
	case sBOL:
		if b == '.' {
			d.state, d.dotAt = sDOT, d.offset()
			return false
		}
	case sDOT: // the held dot is transparency: it is dropped whatever follows (§4.5.2)
		if b == '\r' {
			d.state = sDOTCR
			return false
		}
		if b == '\n' {
			d.smuggling("<CR><LF>", "<LF>")
		}
	case sDOTCR:
		if b == '\n' {
			return true // <CRLF>.<CRLF>: the one true end of data
		}
		d.smuggling("<CR><LF>", "<CR>")
		d.emit('\r')
		return d.afterBareCR(b)
	case sCR:
		if d.pend != "" {
			if b == '\n' {
				d.smuggling(d.pend, "<CR><LF>")
			} else {
				d.smuggling(d.pend, "<CR>")
			}
			d.pend = ""
		}
		if b == '\n' {
			d.emit('\r', '\n')
			d.state = sBOL
			return false
		}
		d.emit('\r')
		return d.afterBareCR(b)
	case sLF:
		if b == '.' {
			d.emit('.')
			d.state, d.e1, d.dotAt = sEOLDOT, "<LF>", d.offset()-1
			return false
		}
	case sEOLDOT:
		switch b {
		case '\n':
			d.smuggling(d.e1, "<LF>")
		case '\r':
			d.pend = d.e1 // <CR> or <CR><LF>: decided by the next octet
		}
	}
	d.mid(b)
	return false
}

// afterBareCR handles the octet after a CR that turned out to be bare.
func (d *dotReader) afterBareCR(b byte) bool {
	if b == '.' {
		d.emit('.')
		d.state, d.e1, d.dotAt = sEOLDOT, "<CR>", d.offset()-1
		return false
	}
	d.mid(b)
	return false
}

// mid handles an octet inside a line.
func (d *dotReader) mid(b byte) {
	switch b {
	case '\r':
		d.state = sCR
	case '\n':
		d.emit('\n')
		d.state = sLF
	default:
		d.emit(b)
		d.state = sMID
	}
}

func (d *dotReader) smuggling(e1, e2 string) {
	d.flush() // so that the scanner's line count has caught up
	d.add(AnomalyDataSmuggling, d.dotAt, d.sink.scanner.line, e1+"."+e2+" inside the message (not an end of data)")
}

// offset is the message offset of the next octet written.
func (d *dotReader) offset() int64 { return d.sink.size + int64(len(d.out)) }

func (d *dotReader) emit(b ...byte) {
	d.out = append(d.out, b...)
	if len(d.out) >= dotOutSize {
		d.flush()
	}
}

func (d *dotReader) flush() {
	if len(d.out) > 0 {
		d.sink.Write(d.out)
		d.out = d.out[:0]
	}
}
