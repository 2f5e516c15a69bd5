package auth

import (
	"bytes"
	"hash"
	"strings"
)

// Canonicalization algorithms (RFC 6376 §3.4).
const (
	canonSimple  = "simple"
	canonRelaxed = "relaxed"
)

// parseCanon reads c= ("relaxed/simple"; the body part defaults to simple,
// and an absent tag means simple/simple, RFC 6376 §3.5).
func parseCanon(c string) (header, body string, ok bool) {
	c = stripFWS(c)
	header, body = canonSimple, canonSimple
	if c != "" {
		h, b, hasBody := strings.Cut(c, "/")
		header = strings.ToLower(h)
		if hasBody {
			body = strings.ToLower(b)
		}
	}
	valid := func(s string) bool { return s == canonSimple || s == canonRelaxed }
	return header, body, valid(header) && valid(body)
}

// canon is parseCanon of the c= tag. A value scanSigTags saw to hold no
// white space nor upper case (sigTags.lower) is one of the few that
// signers write, mostly: those are told without a copy or a lowering.
func (st *sigTags) canon() (header, body string, ok bool) {
	if st.lower&(1<<tagC) != 0 {
		switch st.vals[tagC] {
		case "relaxed/relaxed":
			return canonRelaxed, canonRelaxed, true
		case "relaxed/simple", "relaxed":
			return canonRelaxed, canonSimple, true
		case "simple/simple", "simple", "":
			return canonSimple, canonSimple, true
		case "simple/relaxed":
			return canonSimple, canonRelaxed, true
		}
	}
	return parseCanon(st.vals[tagC])
}

// canonHeader canonicalizes one field (RFC 6376 §3.4.1, §3.4.2). raw ends
// in CRLF. Relaxed lower-cases the name, unfolds, reduces white space runs
// to one SP and drops it at both ends of the value and around the colon.
func canonHeader(raw, alg string) string {
	if alg != canonRelaxed {
		return raw
	}
	name, value, _ := strings.Cut(raw, ":")
	return strings.ToLower(strings.TrimSpace(name)) + ":" +
		strings.Join(strings.FieldsFunc(value, isFWSRune), " ") + "\r\n"
}

func isFWSRune(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// canonBody writes the canonical body (RFC 6376 §3.4.3, §3.4.4) to h, at
// most limit bytes of it when limit >= 0, and returns the full canonical
// length. A lone LF ends a line as CRLF would (the message was stored with
// LF line ends); a lone CR is kept as data, as go-msgauth does. Empty lines
// at the end are dropped: they are only written when a non-empty line
// follows.
//
// Every signed message is hashed, offline too (a body hash mismatch needs
// no DNS), so the body is streamed without building lines: runs of lines
// that are already canonical (CRLF line ends and, relaxed, no white space
// to reduce) go to the hash as they are, the rest through a small buffer.
func canonBody(h hash.Hash, body []byte, alg string, limit int64) int64 {
	c := &bodyCanon{body: body, relaxed: alg == canonRelaxed, nextTab: -1, nextDouble: -1}
	c.w.lw = limitWriter{h: h, left: limit}
	c.w.buf = make([]byte, min(canonBufSize, len(body)+len(crlf)))
	for pos := 0; pos < len(body); {
		pos = c.line(pos)
	}
	c.w.write(body[c.runStart:c.runEnd])
	if !c.wroteLine && alg == canonSimple {
		c.w.write(crlf) // an empty body is one CRLF in simple (RFC 6376 §3.4.3)
	}
	c.w.flush()
	return c.w.lw.total
}

// bodyCanon is the state of canonBody between lines.
type bodyCanon struct {
	body    []byte
	relaxed bool
	w       canonWriter
	// body[runStart:runEnd] is canonical already and not written yet.
	runStart, runEnd int
	// Empty lines are held back until a non-empty line follows; when they
	// all end in CRLF from emptyStart on, they can join the run.
	pendingEmpty int
	emptyStart   int
	emptyClean   bool
	wroteLine    bool
	// Offsets of the next tab and the next double space (len(body): none
	// left, -1: not searched yet), so each is searched for once per body.
	nextTab, nextDouble int
}

// line canonicalizes the line at pos and returns where the next starts.
func (c *bodyCanon) line(pos int) int {
	lineEnd, next := len(c.body), len(c.body)
	if i := bytes.IndexByte(c.body[pos:], '\n'); i >= 0 {
		lineEnd, next = pos+i, pos+i+1
	}
	line := c.body[pos:lineEnd]
	crlfEnd := next > lineEnd && len(line) > 0 && line[len(line)-1] == '\r'
	if crlfEnd {
		line = line[:len(line)-1]
	}
	if len(line) == 0 || c.relaxed && onlyWSP(line) {
		if c.pendingEmpty == 0 {
			c.emptyStart, c.emptyClean = pos, true
		}
		c.pendingEmpty++
		c.emptyClean = c.emptyClean && crlfEnd && len(line) == 0
		return next
	}
	asIs := !c.relaxed || c.relaxedAsIs(line, pos)
	joins := c.runEnd == pos && c.pendingEmpty == 0 || c.runEnd == c.emptyStart && c.pendingEmpty > 0 && c.emptyClean
	if crlfEnd && asIs && joins {
		c.runEnd = next
	} else {
		c.w.write(c.body[c.runStart:c.runEnd])
		for ; c.pendingEmpty > 0; c.pendingEmpty-- {
			c.w.write(crlf)
		}
		c.runStart, c.runEnd = next, next
		switch {
		case crlfEnd && asIs:
			c.runStart = pos
		case asIs:
			c.w.writeLine(line) // only the line end to change
		default:
			c.writeRelaxed(line, pos)
			c.w.write(crlf)
		}
	}
	c.pendingEmpty = 0
	c.wroteLine = true
	return next
}

// relaxedAsIs reports whether relaxed canonicalization leaves the line at
// pos unchanged: no tab, no run of spaces, no space at the end.
func (c *bodyCanon) relaxedAsIs(line []byte, pos int) bool {
	c.seek(pos)
	end := pos + len(line)
	return line[len(line)-1] != ' ' && c.nextTab >= end && c.nextDouble >= end
}

// seek brings the next tab and double space up to pos.
func (c *bodyCanon) seek(pos int) {
	if c.nextTab < pos {
		c.nextTab = indexFrom(c.body, pos, "\t")
	}
	if c.nextDouble < pos {
		c.nextDouble = indexFrom(c.body, pos, "  ")
	}
}

// indexFrom returns the offset of the first sep at or after pos, or len(b).
func indexFrom(b []byte, pos int, sep string) int {
	if i := bytes.Index(b[pos:], []byte(sep)); i >= 0 {
		return pos + i
	}
	return len(b)
}

var (
	crlf = []byte("\r\n")
	sp   = []byte(" ")
)

// canonBufSize is the buffer between the canonicalizer and the hash.
const canonBufSize = 4096

// canonWriter gathers canonical body pieces into a buffer and hands them
// to a limitWriter in blocks. The buffer is filled by copying and moving
// n, never re-sliced: storing a slice header costs a write barrier on
// every piece while the collector runs.
type canonWriter struct {
	lw  limitWriter
	buf []byte
	n   int
}

// write is small enough to inline: most pieces fit the buffer.
func (w *canonWriter) write(p []byte) {
	if w.n+len(p) <= len(w.buf) {
		w.n += copy(w.buf[w.n:], p)
		return
	}
	w.writeFull(p)
}

// writeFull writes p once the buffer cannot take it.
func (w *canonWriter) writeFull(p []byte) {
	w.flush()
	if len(p) >= len(w.buf) {
		w.lw.write(p)
		return
	}
	w.n = copy(w.buf, p)
}

// writeLine writes line and a CRLF.
func (w *canonWriter) writeLine(line []byte) {
	if w.n+len(line)+2 <= len(w.buf) {
		w.n += copy(w.buf[w.n:], line)
		w.buf[w.n], w.buf[w.n+1] = '\r', '\n'
		w.n += 2
		return
	}
	w.writeFull(line)
	w.write(crlf)
}

func (w *canonWriter) flush() {
	if w.n > 0 {
		w.lw.write(w.buf[:w.n])
		w.n = 0
	}
}

// writeRelaxed writes the line at pos with WSP runs reduced to one SP and
// WSP at its end dropped (RFC 6376 §3.4.4). Only a tab or a double space
// starts a run to reduce; the text between them is written as it is.
func (c *bodyCanon) writeRelaxed(line []byte, pos int) {
	for len(line) > 0 {
		c.seek(pos)
		k := min(c.nextTab, c.nextDouble) - pos
		if k >= len(line) {
			// Single spaces only: one at the end is the only WSP to drop.
			if line[len(line)-1] == ' ' {
				line = line[:len(line)-1]
			}
			c.w.write(line)
			return
		}
		start, end := k, k
		for start > 0 && isWSP(line[start-1]) {
			start--
		}
		for end < len(line) && isWSP(line[end]) {
			end++
		}
		c.w.write(line[:start])
		if end == len(line) {
			return // WSP at the end of the line
		}
		c.w.write(sp)
		line, pos = line[end:], pos+end
	}
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// onlyWSP reports whether p holds nothing but SP and HTAB: relaxed
// canonicalization makes such a line empty.
func onlyWSP(p []byte) bool {
	for _, c := range p {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// limitWriter hashes at most left bytes (all when left < 0) and counts
// every byte offered.
type limitWriter struct {
	h     hash.Hash
	left  int64
	total int64
}

func (w *limitWriter) write(p []byte) {
	w.total += int64(len(p))
	if w.left < 0 {
		w.h.Write(p)
		return
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	w.h.Write(p)
	w.left -= int64(len(p))
}

// headerPicker selects signed fields bottom-up (RFC 6376 §5.4.2): the n-th
// occurrence of a name in h= takes the n-th instance of that field counted
// from the bottom of the header; a name listed more often than it occurs
// contributes nothing (over-signing).
type headerPicker struct {
	byName map[string][]int // lower-case name -> field indexes, top first
	used   map[string]int
}

func newHeaderPicker(fields []field) *headerPicker {
	p := &headerPicker{byName: make(map[string][]int, len(fields)), used: map[string]int{}}
	for i, f := range fields {
		k := strings.ToLower(f.Name)
		p.byName[k] = append(p.byName[k], i)
	}
	return p
}

// pick returns the index of the next field named name, or -1.
func (p *headerPicker) pick(name string) int {
	k := strings.ToLower(name)
	list := p.byName[k]
	n := p.used[k]
	if n >= len(list) {
		return -1
	}
	p.used[k] = n + 1
	return list[len(list)-1-n]
}
