package analyze

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// mboxPiece is the most of one line the mbox reader looks at: a separator
// or a quoted ">From " must show in a line's first mboxPiece bytes, and a
// longer line is handed on in pieces of that size, as bufio.Reader's
// ReadSlice hands them with a buffer of that size.
const mboxPiece = 64 << 10

// readMbox splits an mbox (RFC 4155) on "From " lines that follow a blank line
// or start the file, undoing mboxrd quoting (">From " -> "From ", one level),
// but where a confirmed Content-Length says where a body ends (mboxcl,
// mboxcl2: see mboxcl.go).
// The "From " line itself is kept at the top of each message: it is the
// envelope sender the local delivery agent recorded. Lines before the first
// "From " line (a byte order mark, blank lines) are not a message. Lines are
// counted as Split counts them (a bare CR ends one too), so that every
// message's lines are the file's. A message over maxMessageBytes is an
// error entry, as a file that large is.
func readMbox(name string, r io.Reader, fn func(Source) error) error {
	m := &mboxReader{name: name, fn: fn, in: lookahead{r: r}, limit: maxMessageBytes, prevBlank: true, atLineStart: true}
	return m.run()
}

// mboxReader is readMbox's state: the message being gathered and where the
// reader stands in the file's lines.
type mboxReader struct {
	name string
	fn   func(Source) error
	in   lookahead
	cur  bytes.Buffer // the message read so far
	// limit is the most a message may hold; a larger one becomes an error
	// entry. It is maxMessageBytes but in tests.
	limit int
	// index is the message's number (0 before the first separator), start
	// the line it starts at, lineNo the lines begun so far.
	index, start, lineNo   int
	prevBlank, atLineStart bool
	oversize               bool // the message outgrew limit
	cl                     contentLength
	bodyLen                int           // the length the header just ended states, to be checked
	exact                  bool          // the body was taken by its Content-Length: no mbox blank line to trim
	form                   separatorForm // the first separator's, when a writer's own
	// lengths is how the file's Content-Length fields have fared: every one
	// confirmed so far (lengthsConfirmed), or one not (lengthsMixed).
	lengths lengthRecord
	// cutIndex is the message whose stated body ran past the end of the
	// input, cutHave the octets of body there were; 0 for none.
	cutIndex, cutLength, cutHave int
}

func (m *mboxReader) run() error {
	for {
		piece, err := m.in.next()
		whole := !errors.Is(err, bufio.ErrBufferFull) // piece ends its line
		if len(piece) > 0 {
			if e := m.line(piece, whole); e != nil {
				return e
			}
		}
		m.atLineStart = whole
		if err == io.EOF {
			if m.cutIndex == m.index && m.index > 0 && m.lengths == lengthsConfirmed {
				return m.fn(Source{File: m.name, Index: m.index, Line: m.start,
					Err: fmt.Errorf("read %s: message %d (line %d) truncated: its Content-Length is %d octets, the file ends %d octets into its body",
						m.name, m.index, m.start, m.cutLength, m.cutHave)})
			}
			return m.emit()
		}
		if err != nil && whole {
			if e := m.emit(); e != nil {
				return e
			}
			return m.fn(Source{File: m.name, Index: m.index + 1, Err: fmt.Errorf("read %s: %w", m.name, err)})
		}
		if m.bodyLen > 0 {
			m.takeBody(m.bodyLen)
			m.bodyLen = 0
		}
	}
}

// line takes the next piece of the file: a line, or a piece of a long one
// (whole is false but for its last piece).
func (m *mboxReader) line(piece []byte, whole bool) error {
	if m.atLineStart {
		m.lineNo++
		if m.startsMessage(piece) {
			if err := m.emit(); err != nil {
				return err
			}
			m.index, m.start = m.index+1, m.lineNo
			m.cl.start()
		} else {
			if m.cl.reading {
				m.bodyLen = m.cl.line(piece, whole)
			}
			if isQuotedFrom(piece) {
				piece = piece[1:]
			}
		}
	} else if m.cl.reading {
		m.cl.more()
	}
	m.lineNo += bareCRs(piece)
	m.write(piece)
	m.prevBlank = whole && m.atLineStart && len(bytes.TrimRight(piece, "\r\n")) == 0
	return nil
}

// startsMessage reports whether a line starts the next message: the first
// "From " line of the file, after a byte order mark, or a separator after
// a blank line.
//
// A separator in a form only a mailbox's writer puts there, the form the
// file's first separator has (writerForm), starts a message without a
// blank line before it: a message whose last line had no line end gets one,
// and no blank line, from Thunderbird and Gmail's Takeout, and the two were
// read as one.
func (m *mboxReader) startsMessage(line []byte) bool {
	if m.index == 0 {
		line = bytes.TrimPrefix(line, []byte(rfc5322.UTF8BOM))
		m.form = writerForm(line)
		return rfc5322.IsMboxFromLine(line)
	}
	if !isMboxSeparator(line) {
		return false
	}
	return m.prevBlank || m.form != formNone && writerForm(line) == m.form
}

// separatorForm is a form of separator only one mailbox writer uses.
type separatorForm int

const (
	formNone        separatorForm = iota
	formThunderbird               // "From - Mon Nov 16 09:00:00 2026"
	formTakeout                   // "From 1751234567890123456@xxx Mon Nov 16 09:00:00 +0000 2026"
)

// writerForm tells the separators Thunderbird and Gmail's Takeout write:
// "From - " and a date, and "From " a message ID of decimal digits "@xxx "
// and a date. No sender has either address.
func writerForm(line []byte) separatorForm {
	rest, ok := bytes.CutPrefix(line, []byte("From "))
	if !ok {
		return formNone
	}
	if after, ok := bytes.CutPrefix(rest, []byte("- ")); ok && len(after) > 0 && isLetter(after[0]) {
		return formThunderbird
	}
	id, after, ok := bytes.Cut(rest, []byte("@xxx "))
	if !ok || len(id) < 10 || len(after) == 0 || !isLetter(after[0]) {
		return formNone
	}
	for _, c := range id {
		if !isDigit(c) {
			return formNone
		}
	}
	return formTakeout
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func (m *mboxReader) write(b []byte) {
	if m.cur.Len()+len(b) <= m.limit {
		m.cur.Write(b)
	} else {
		m.oversize = true
	}
}

// emit hands the message read so far to fn, if there is one.
func (m *mboxReader) emit() error {
	raw := m.cur.Bytes()
	m.cur = bytes.Buffer{} // raw is the message's now: no copy, and no buffer kept at its size
	oversize, exact := m.oversize, m.exact
	m.oversize, m.exact = false, false
	if m.index == 0 {
		return nil
	}
	if oversize {
		return m.fn(Source{File: m.name, Index: m.index, Line: m.start,
			Err: fmt.Errorf("read %s: message %d (line %d) larger than %d bytes", m.name, m.index, m.start, m.limit)})
	}
	if !exact {
		// The blank line before the next "From " belongs to the mbox, not the message.
		raw = trimOneBlankLine(raw)
	}
	if m.index == 1 && isFolderInternalData(raw) {
		return nil
	}
	return m.fn(Source{File: m.name, Index: m.index, Line: m.start, Raw: raw})
}

// folderDataSubject is the subject of the message that UW IMAP's c-client
// (Pine, Alpine, UW imapd) and Dovecot put first in an mbox to keep the
// folder's IMAP UIDs: not mail, and not shown by the clients that write it.
const folderDataSubject = "DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA"

// isFolderInternalData reports the first message of an mbox that is the
// folder's internal data: that subject, an X-IMAP field with the UIDs, and
// no Received field. Read as mail it was a message from nowhere, missing
// its trace; a message with a trace is analysed whatever its subject.
func isFolderInternalData(raw []byte) bool {
	head := raw[:min(len(raw), 4096)] // c-client's header is a few lines
	if !bytes.Contains(head, []byte(folderDataSubject)) {
		return false
	}
	var subject, imap bool
	for line := range bytes.SplitSeq(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break // the header's end
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		switch {
		case !ok:
		case bytes.EqualFold(name, []byte("Received")):
			return false
		case bytes.EqualFold(name, []byte("Subject")):
			subject = string(bytes.TrimSpace(value)) == folderDataSubject
		case bytes.EqualFold(name, []byte("X-IMAP")):
			imap = true
		}
	}
	return subject && imap
}

// isMboxSeparator reports whether line, after a blank line inside an mbox,
// starts the next message: "From ", a sender and a date with its time of
// day (RFC 4155: "From " addr-spec timestamp). A body line such as "From
// the start it was", left unquoted by an mboxo writer, is not one.
func isMboxSeparator(line []byte) bool {
	if !rfc5322.IsMboxFromLine(line) {
		return false
	}
	for i := 5; i+3 < len(line); i++ { // H:MM, the time of the timestamp
		if line[i] == ':' && isDigit(line[i-1]) && isDigit(line[i+1]) && isDigit(line[i+2]) {
			return true
		}
	}
	return false
}

// bareCRs counts the CRs in a line that are not its CRLF ending: each ends a
// line for Split.
func bareCRs(piece []byte) int {
	n := bytes.Count(piece, []byte("\r"))
	if bytes.HasSuffix(piece, []byte("\r\n")) {
		n--
	}
	return n
}

// isQuotedFrom matches mboxrd's ">From ", ">>From ", ...
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

func trimOneBlankLine(raw []byte) []byte {
	for _, end := range []string{"\r\n\r\n", "\n\n"} {
		if bytes.HasSuffix(raw, []byte(end)) {
			return raw[:len(raw)-len(end)/2]
		}
	}
	return raw
}

// lookahead reads a stream line by line as bufio.Reader.ReadSlice('\n')
// does with a buffer of mboxPiece bytes, and can also look any distance
// ahead without consuming (peek): a Content-Length is only confirmed by
// what follows the body it measures, which a stream shows once the body
// has been read. Whatever peek looked at is handed out by next afterwards
// all the same. Its buffer grows only with bytes actually read, so a
// look far ahead costs what the stream holds, not what was asked.
type lookahead struct {
	r     io.Reader
	buf   []byte // buf[pos:] has been read and not handed out
	pos   int
	err   error // the reader's error, returned once buf is drained
	empty int   // reads in a row that returned nothing
}

// next returns the next line with its line end; or, with
// bufio.ErrBufferFull, the next mboxPiece bytes of a line longer than
// that; or, with the reader's error, what is left before it. The slice is
// valid until the next call.
func (l *lookahead) next() ([]byte, error) {
	for searched := 0; ; {
		rest := l.buf[l.pos:]
		window := rest[:min(len(rest), mboxPiece)]
		if i := bytes.IndexByte(window[searched:], '\n'); i >= 0 {
			return l.take(searched + i + 1), nil
		}
		searched = len(window)
		switch {
		case len(rest) >= mboxPiece:
			return l.take(mboxPiece), bufio.ErrBufferFull
		case l.err != nil:
			return l.take(len(rest)), l.err
		}
		l.read(len(rest) + 1)
	}
}

// peek returns up to n bytes ahead without consuming them; fewer only when
// the reader failed or ended first. The slice is valid until the next call.
func (l *lookahead) peek(n int) []byte {
	for len(l.buf)-l.pos < n && l.err == nil {
		l.read(n)
	}
	return l.buf[l.pos:min(len(l.buf), l.pos+n)]
}

// skip consumes n bytes that peek returned.
func (l *lookahead) skip(n int) { l.pos += n }

func (l *lookahead) take(n int) []byte {
	b := l.buf[l.pos : l.pos+n]
	l.pos += n
	return b
}

// read reads once from the stream, making room first, towards want bytes
// buffered past pos.
func (l *lookahead) read(want int) {
	if cap(l.buf)-len(l.buf) < mboxPiece {
		l.makeRoom(want)
	}
	k, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
	l.buf = l.buf[:len(l.buf)+k]
	switch {
	case err != nil:
		l.err = err
	case k > 0:
		l.empty = 0
	default:
		if l.empty++; l.empty >= 100 { // as bufio gives up on a reader that returns nothing
			l.err = io.ErrNoProgress
		}
	}
}

// makeRoom moves the unread bytes to the front of a buffer with room for
// at least one more read of mboxPiece bytes. A buffer that must grow
// doubles (so that reading far ahead copies each byte a bounded number of
// times) but not past what is wanted; one far larger than needed, left by
// an earlier look ahead, is let go.
func (l *lookahead) makeRoom(want int) {
	unread := len(l.buf) - l.pos
	size := min(2*unread, want) + mboxPiece // want > unread: there is always room to read
	if cap(l.buf) < size || cap(l.buf) > 4*size {
		nb := make([]byte, unread, size)
		copy(nb, l.buf[l.pos:])
		l.buf, l.pos = nb, 0
		return
	}
	l.buf = l.buf[:copy(l.buf[:cap(l.buf)], l.buf[l.pos:])]
	l.pos = 0
}
