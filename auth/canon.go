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

// bodyLines calls fn for each line of body without its line end. A lone LF
// ends a line as CRLF would (the message was stored with LF line ends);
// a lone CR is kept as data, as go-msgauth does.
func bodyLines(body []byte, fn func(line []byte)) {
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n')
		if i < 0 {
			fn(body)
			return
		}
		line := body[:i]
		line = bytes.TrimSuffix(line, []byte("\r"))
		fn(line)
		body = body[i+1:]
	}
}

// canonBody writes the canonical body (RFC 6376 §3.4.3, §3.4.4) to h, at
// most limit bytes of it when limit >= 0, and returns the full canonical
// length. Empty lines at the end are dropped: they are only written when a
// non-empty line follows.
func canonBody(h hash.Hash, body []byte, alg string, limit int64) int64 {
	w := &limitWriter{h: h, left: limit}
	pendingEmpty := 0
	wroteLine := false
	bodyLines(body, func(line []byte) {
		if alg == canonRelaxed {
			line = relaxLine(line)
		}
		if len(line) == 0 {
			pendingEmpty++
			return
		}
		for ; pendingEmpty > 0; pendingEmpty-- {
			w.write(crlf)
		}
		w.write(line)
		w.write(crlf)
		wroteLine = true
	})
	if !wroteLine && alg == canonSimple {
		w.write(crlf) // an empty body is one CRLF in simple (RFC 6376 §3.4.3)
	}
	return w.total
}

var crlf = []byte("\r\n")

// relaxLine reduces WSP runs to one SP and drops WSP at the end of the
// line (RFC 6376 §3.4.4). It returns line itself when nothing changes.
func relaxLine(line []byte) []byte {
	if bytes.IndexByte(line, '\t') < 0 && !bytes.Contains(line, []byte("  ")) &&
		(len(line) == 0 || line[len(line)-1] != ' ') {
		return line
	}
	out := make([]byte, 0, len(line))
	space := false
	for _, c := range line {
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return out
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
