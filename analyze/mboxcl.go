package analyze

import (
	"bytes"
	"io"
)

// A message in an mboxcl or mboxcl2 file says how long its body is: the
// writer (mutt, Solaris and System V mail) puts a Content-Length field in
// its header, the octets of the body as stored, and often a Lines field.
// mboxcl2 does not quote body lines that start with "From ", so only the
// length keeps such a line, after a blank line, from starting a message.
//
// The length is honoured only when what follows the body confirms it, as
// mutt confirms it (mbox.c, mbox_parse_mailbox): the body ends the input,
// or ends a line and is followed by one blank line and then a separator or
// the end of the input. Otherwise the message is left to the separator
// scan, as if it had no Content-Length, so that an mboxo or mboxrd file is
// read as before: no field; a value that is not decimal digits (folding
// and white space around it aside), or is larger than a message may be;
// two fields that disagree (mutt takes the last; here neither, since one
// of them came with the message and not from the writer); zero, which
// mutt ignores too (an empty body hides no separator); a body that runs
// past the input, stops inside a line, or is followed by anything else.
// Lines is not read: mutt does not check it either, and the length says
// where the body ends.
//
// Confirmation can be fooled: a wrong length that happens to end before a
// blank line and a body line shaped like a separator is taken. It is
// trusted all the same, as mutt trusts it, since in an mboxcl file the
// mailbox's own writer put the field there. In an mboxo or mboxrd file a
// sender's Content-Length can only be confirmed at a real separator, the
// writer having quoted the body lines shaped like one, so at worst it
// joins the messages up to that separator into one.
//
// A body taken by its length is kept as stored: its ">From " lines are not
// unquoted. mutt, whose writer adds Content-Length precisely so as not to
// quote (sendlib.c, mutt_write_fcc), never unquotes when it reads; in
// mboxcl2 a ">From " line is the sender's own; a sender's Content-Length
// counts the body before any quoting and so is confirmed only where none
// was added; and mboxcl's quoting, mboxo's ("From " becomes ">From ",
// mutt's mbox(5)), cannot be undone without guessing, since a line that
// was ">From " to begin with reads the same.

// contentLength follows the header of the message being read for its
// Content-Length fields. Its zero value reads no header.
type contentLength struct {
	reading bool   // between the separator and the end of the header
	inField bool   // the field being read is a Content-Length
	value   []byte // that field's value so far, unfolded
	length  int    // what the fields agree on, when has
	has     bool
	bad     bool // a field that cannot be read, or two that disagree
}

// maxLengthValue bounds a Content-Length value kept while it is read: a
// length up to maxMessageBytes has 9 digits, with room for white space.
const maxLengthValue = 64

// start begins a message's header.
func (c *contentLength) start() { *c = contentLength{reading: true, value: c.value[:0]} }

// line reads a header line, or the first piece of a long one (whole is
// false). At the blank line that ends the header it returns the body
// length the fields state, 0 for none that can be used.
func (c *contentLength) line(piece []byte, whole bool) int {
	text := bytes.TrimRight(piece, "\r\n")
	switch {
	case whole && len(text) == 0:
		c.endField()
		c.reading = false
		if c.bad || !c.has {
			return 0
		}
		return c.length
	case piece[0] == ' ' || piece[0] == '\t':
		c.add(text)
	default:
		c.endField()
		name, value, ok := cutField(text)
		if !ok {
			// The header ends without a blank line (as Split reads it):
			// there is no start of the body to count from.
			c.reading = false
			return 0
		}
		if c.inField = bytes.EqualFold(name, []byte("Content-Length")); c.inField {
			c.add(value)
		}
	}
	return 0
}

// more notes the next piece of a line longer than a piece: a Content-Length
// that long is no length, even when the first piece holds a number.
func (c *contentLength) more() {
	if c.inField {
		c.bad = true
	}
}

// add appends to the value of the field being read, if it is a
// Content-Length; a continuation line is unfolded into it.
func (c *contentLength) add(b []byte) {
	if !c.inField {
		return
	}
	if len(c.value)+len(b) > maxLengthValue {
		c.bad = true
		return
	}
	c.value = append(c.value, b...)
}

// endField reads the value of the Content-Length field just ended.
func (c *contentLength) endField() {
	if !c.inField {
		return
	}
	c.inField = false
	n, ok := parseLength(c.value)
	c.value = c.value[:0]
	if !ok || c.has && n != c.length {
		c.bad = true
	}
	c.length, c.has = n, true
}

// parseLength reads a Content-Length value: decimal digits with white
// space around them, as mutt's strtoll reads it but without a sign, and at
// most maxMessageBytes, so that no arithmetic on it can overflow.
func parseLength(v []byte) (int, bool) {
	v = bytes.Trim(v, " \t")
	if len(v) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if !isDigit(c) || n > maxMessageBytes/10 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > maxMessageBytes {
		return 0, false
	}
	return n, true
}

// separatorCheck is how much of the line after a body confirmLength reads
// for a separator. A separator's time of day comes well within it (an
// addr-spec has at most 320 octets, RFC 5321 §4.5.3.1), and a bound keeps
// the check of many short messages pointing at one long line linear.
const separatorCheck = 1 << 10

// takeBody takes the n octets of body a Content-Length states, as they are
// stored, when what follows confirms them; otherwise it leaves the body to
// be read line by line. A message the body makes too large is still passed
// over whole, and becomes one error entry.
func (m *mboxReader) takeBody(n int) {
	blank, ok := m.confirmLength(n)
	if !ok {
		if have := len(m.in.peek(n)); have < n && m.in.err == io.EOF && m.lengths == lengthsConfirmed {
			// Cut short: the rest of the file is this body, whatever
			// separator-shaped lines it holds.
			m.cutIndex, m.cutLength, m.cutHave = m.index, n, have
			m.in.skip(have)
			return
		}
		m.lengths = lengthsMixed
		return
	}
	if m.lengths == lengthsNone {
		m.lengths = lengthsConfirmed
	}
	body := m.in.peek(n)
	m.write(body)
	m.lineNo += lineStarts(body)
	if blank > 0 {
		m.lineNo++ // the blank line, which is the mbox's, not the message's
	}
	m.in.skip(n + blank)
	m.exact, m.prevBlank = true, blank > 0
}

// lengthRecord is how the Content-Length fields of an mbox have fared.
// When every one before the last message was confirmed, the mailbox's
// writer put them there (mboxcl, mboxcl2), and a last body that runs past
// the end of the file was cut short: the message is an error entry, not
// read as if whole. With no length confirmed, or one not, the last one may
// be a sender's, wrong, and the message is read by the separator scan.
type lengthRecord int

const (
	lengthsNone lengthRecord = iota
	lengthsConfirmed
	lengthsMixed
)

// confirmLength reports whether a body of n octets is confirmed by what
// follows it (see above), and the length of the blank line after it.
func (m *mboxReader) confirmLength(n int) (blank int, ok bool) {
	if n <= 0 {
		return 0, false
	}
	ahead := m.in.peek(n + len("\r\n") + separatorCheck)
	switch {
	case len(ahead) < n:
		return 0, false // the input ends, or fails, inside the body
	case len(ahead) == n:
		return 0, m.in.err == io.EOF // the body ends the input
	case ahead[n-1] != '\n':
		return 0, false // the length ends inside a line
	}
	rest := ahead[n:]
	if rest[0] == '\n' {
		blank = 1
	} else if bytes.HasPrefix(rest, []byte("\r\n")) {
		blank = 2
	} else {
		return 0, false
	}
	next := rest[blank:]
	if len(next) == 0 {
		return blank, m.in.err == io.EOF
	}
	if i := bytes.IndexByte(next, '\n'); i >= 0 {
		next = next[:i+1]
	}
	return blank, isMboxSeparator(next)
}

// lineStarts counts the lines b begins, as Split counts them: one for each
// line end (lineEnds), and one for a last line that has no end.
func lineStarts(b []byte) int {
	n := lineEnds(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}
