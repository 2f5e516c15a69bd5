package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Errors of the tag-list parser; they reach people in reasons, never callers.
var (
	errTagSyntax    = errors.New("auth: malformed tag list")
	errDuplicateTag = errors.New("auth: duplicate tag")
)

// maxTags bounds the tags kept from one list: real signatures carry about a
// dozen, and a header field of a million ";" must not become a million tags.
const maxTags = 64

// tag is one tag=value pair of a tag list (RFC 6376 §3.2). Start and End
// are the offsets of the value in the parsed text, so that a signer's b=
// value can be blanked in place (RFC 6376 §3.7).
type tag struct {
	Name, Value string
	Eq, End     int // offset just after "=", offset of the value's end
}

// tagList is a parsed tag list in the order written.
type tagList []tag

// get returns the value of the named tag (names are case-sensitive,
// RFC 6376 §3.2) and whether it was present.
func (l tagList) get(name string) (string, bool) {
	for _, t := range l {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// value returns the named tag's value, "" when absent.
func (l tagList) value(name string) string {
	v, _ := l.get(name)
	return v
}

// tagParser is a cursor over a tag list.
type tagParser struct {
	s     string
	pos   int
	n     int      // tags read
	names tagNames // their names
}

// tagNames are the names of the tags read so far: a name may not repeat
// (RFC 6376 §3.2). Most names are one letter, and the few longer ones (bh=,
// cv=) are kept in place: a list takes no allocation to check.
type tagNames struct {
	letters uint64 // bit c-'A' for each one-letter name c
	longer  [2]string
	more    []string // the longer names that did not fit
}

// add records name, reporting false when it was there already.
func (ns *tagNames) add(name string) bool {
	if len(name) == 1 {
		bit := uint64(1) << (name[0] - 'A') // a letter: 'A' to 'z' spans 58
		if ns.letters&bit != 0 {
			return false
		}
		ns.letters |= bit
		return true
	}
	for i, n := range ns.longer {
		switch n {
		case name:
			return false
		case "":
			ns.longer[i] = name
			return true
		}
	}
	for _, n := range ns.more {
		if n == name {
			return false
		}
	}
	ns.more = append(ns.more, name)
	return true
}

// parseTagList reads a tag list as RFC 6376 §3.2 defines it:
//
//	tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//	tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//	tag-name  =  ALPHA *ALNUMPUNC
//
// Values keep their inner white space (callers that need base64 strip it);
// folding white space around them is dropped. The grammar's VALCHAR range
// is not enforced on values: DKIM records in the wild carry UTF-8 and
// stray bytes, and refusing them would hide the rest of the signature. A
// duplicate tag name is an error (RFC 6376 §3.2: "MUST NOT" repeat). On
// an error the tags before it are returned.
func parseTagList(s string) (tagList, error) {
	p := tagParser{s: s}
	out := make(tagList, 0, 12)
	for {
		t, ok, err := p.next()
		if !ok {
			return out, err
		}
		out = append(out, t)
	}
}

// next reads the next tag of the list; ok is false at its end and at an
// error, a repeated name or one tag too many included.
func (p *tagParser) next() (_ tag, ok bool, _ error) {
	p.skipFWS()
	if p.done() {
		return tag{}, false, nil
	}
	t, err := p.tagSpec()
	if err != nil {
		return tag{}, false, err
	}
	if !p.names.add(t.Name) {
		return tag{}, false, fmt.Errorf("%w %q", errDuplicateTag, t.Name)
	}
	if p.n == maxTags {
		return tag{}, false, fmt.Errorf("%w: more than %d tags", errTagSyntax, maxTags)
	}
	p.n++
	if !p.done() {
		p.pos++ // the ";" that ended the value
	}
	return t, true, nil
}

func (p *tagParser) done() bool { return p.pos >= len(p.s) }

func (p *tagParser) peek() byte { return p.s[p.pos] }

// skipFWS skips white space and line ends (folding, RFC 5322 §3.2.2).
func (p *tagParser) skipFWS() {
	for !p.done() && isFWS(p.peek()) {
		p.pos++
	}
}

func isFWS(c byte) bool { return fwsByte[c] }

// fwsByte marks the bytes isFWS accepts: one look, where four compares
// each took a branch.
var fwsByte = [256]bool{' ': true, '\t': true, '\r': true, '\n': true}

func (p *tagParser) tagSpec() (tag, error) {
	name, err := p.tagName()
	if err != nil {
		return tag{}, err
	}
	p.skipFWS()
	if p.done() || p.peek() != '=' {
		return tag{}, fmt.Errorf("%w: no \"=\" after tag %q", errTagSyntax, name)
	}
	p.pos++
	eq := p.pos
	p.skipFWS()
	start := p.pos
	if i := strings.IndexByte(p.s[start:], ';'); i >= 0 {
		p.pos = start + i
	} else {
		p.pos = len(p.s)
	}
	end := p.pos
	for end > start && isFWS(p.s[end-1]) {
		end--
	}
	return tag{Name: name, Value: p.s[start:end], Eq: eq, End: end}, nil
}

// tagName reads ALPHA *(ALPHA / DIGIT / "_").
func (p *tagParser) tagName() (string, error) {
	start := p.pos
	for !p.done() {
		c := p.peek()
		if isAlpha(c) || (p.pos > start && (isDigit(c) || c == '_')) {
			p.pos++
			continue
		}
		break
	}
	if p.pos == start {
		bad := p.s[p.pos:min(len(p.s), p.pos+10)]
		return "", fmt.Errorf("%w: tag name expected at %q", errTagSyntax, bad)
	}
	return p.s[start:p.pos], nil
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// stripFWS removes every white space and line end: base64 values and
// colon lists may be folded anywhere (RFC 6376 §3.5, "b=" and "h=").
func stripFWS(s string) string {
	// White space only around the text (an item of a list folded after
	// its colon) needs no copy.
	for len(s) > 0 && isFWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isFWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	i := 0
	for i < len(s) && !isFWS(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if !isFWS(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// colonList splits a colon-separated list such as h= (RFC 6376 §3.5),
// dropping white space and empty items.
func colonList(s string) []string {
	// Splitting first and stripping each item gives the same items as
	// stripping first (white space holds no colon), without copies for
	// items that have no white space. Items are short, and the colons
	// among eight bytes are found at once (colonsOf); eight bytes with a
	// byte that may be white space are looked at one by one, with a table
	// that tells the two bytes looked for from the others.
	var out []string
	start, fws := 0, false // fws: the item so far holds white space
	i := 0
	for ; i+8 <= len(s); i += 8 {
		colons, low := colonsOf(binary.LittleEndian.Uint64([]byte(s[i : i+8])))
		if low != 0 {
			for j := i; j < i+8; j++ {
				switch colonClass[s[j]] {
				case ccFWS:
					fws = true
				case ccColon:
					out = appendItem(out, s, start, j, fws)
					start, fws = j+1, false
				}
			}
			continue
		}
		for ; colons != 0; colons &= colons - 1 {
			j := i + bits.TrailingZeros64(colons)/8
			if fws || j == start || out == nil {
				out = appendItem(out, s, start, j, fws)
			} else {
				out = append(out, s[start:j]) // most items: no white space, room made
			}
			start, fws = j+1, false
		}
	}
	for ; i < len(s); i++ {
		switch colonClass[s[i]] {
		case ccFWS:
			fws = true
		case ccColon:
			out = appendItem(out, s, start, i, fws)
			start, fws = i+1, false
		}
	}
	return appendItem(out, s, start, len(s), fws)
}

// colonsOf returns the top bit of each byte of x that is a colon, and of
// each below 0x21 (white space among them). Byte by byte: (y &^ high) +
// 0x7f... carries into no other byte, and has the top bit of each byte of
// y that is not zero, but for the top bit of y itself.
func colonsOf(x uint64) (colons, low uint64) {
	const ones = 0x0101010101010101
	const high = 0x80 * ones
	y := x ^ ':'*ones
	colons = ^((y&^high + 0x7f*ones) | y) & high
	low = ^((x&^high + (0x80-0x21)*ones) | x) & high
	return colons, low
}

// appendItem appends s[start:end], an item of colonList's s, its white
// space (fws) removed, unless it is empty; the list is made for all the
// items left at the first.
func appendItem(out []string, s string, start, end int, fws bool) []string {
	item := s[start:end]
	if fws {
		item = stripFWS(item) // most items hold none: stripFWS would return them as they are
	}
	if item == "" {
		return out
	}
	if out == nil {
		out = make([]string, 0, strings.Count(s[end:], ":")+1)
	}
	return append(out, item)
}

// Byte classes of colonList: 0 for the bytes of an item.
const (
	ccColon = 1 + iota
	ccFWS
)

var colonClass = [256]uint8{':': ccColon, ' ': ccFWS, '\t': ccFWS, '\r': ccFWS, '\n': ccFWS}

// blankValue returns s with the tag value that starts after the "=" at
// eq and ends at end removed, surrounding white space included
// (RFC 6376 §3.7, RFC 8617 §4.1.3): the form a signature field is hashed
// in, with b= blank.
func blankValue(s string, eq, end int) string {
	for end < len(s) && s[end] != ';' {
		end++ // trailing white space belongs to the value's FWS
	}
	return s[:eq] + s[end:]
}

// sigTag names a tag of a message signature or seal.
type sigTag uint8

// The tags of DKIM-Signature (RFC 6376 §3.5), ARC-Message-Signature
// (RFC 8617 §4.1.2) and ARC-Seal (RFC 8617 §4.1.3) that this package
// reads. Others (z=, and whatever a signer adds) are only checked for
// syntax and repetition.
const (
	tagA sigTag = iota
	tagB
	tagBH
	tagC
	tagCV
	tagD
	tagH
	tagI
	tagL
	tagQ
	tagS
	tagT
	tagV
	tagX
	numSigTags
)

var sigTagNames = [numSigTags]string{"a", "b", "bh", "c", "cv", "d", "h", "i", "l", "q", "s", "t", "v", "x"}

func (k sigTag) String() string { return sigTagNames[k] }

// sigTagOf returns the tag of a name, false for a tag not read here.
func sigTagOf(name string) (sigTag, bool) {
	if len(name) == 2 {
		switch name {
		case "bh":
			return tagBH, true
		case "cv":
			return tagCV, true
		}
		return 0, false
	}
	if len(name) != 1 {
		return 0, false
	}
	switch name[0] {
	case 'a':
		return tagA, true
	case 'b':
		return tagB, true
	case 'c':
		return tagC, true
	case 'd':
		return tagD, true
	case 'h':
		return tagH, true
	case 'i':
		return tagI, true
	case 'l':
		return tagL, true
	case 'q':
		return tagQ, true
	case 's':
		return tagS, true
	case 't':
		return tagT, true
	case 'v':
		return tagV, true
	case 'x':
		return tagX, true
	}
	return 0, false
}

// sigTags are the tags of a signature by name: every reader of a
// signature asks for several of them, often more than once, and a list
// would be searched each time (and allocated for every signature, though
// most are only described).
type sigTags struct {
	vals    [numSigTags]string
	present uint16 // bit k for each tag k the list holds
	// plain has bit k for a value seen to hold no white space (stripFWS
	// would return it as it is), and lower for one that also holds no
	// upper-case letter nor a byte past ASCII (strings.ToLower too): the
	// short values scanSigTags looks at byte by byte. A bit not set says
	// nothing.
	plain, lower uint16
	// bEq and bEnd locate b='s value in the text read (tag.Eq, tag.End),
	// to blank it when the signature is hashed.
	bEq, bEnd int
}

// stripped returns stripFWS of the tag's value.
func (st *sigTags) stripped(k sigTag) string {
	if st.plain&(1<<k) != 0 {
		return st.vals[k]
	}
	return stripFWS(st.vals[k])
}

// lowered returns strings.ToLower(stripFWS) of the tag's value.
func (st *sigTags) lowered(k sigTag) string {
	if st.lower&(1<<k) != 0 {
		return st.vals[k]
	}
	return strings.ToLower(stripFWS(st.vals[k]))
}

// Byte classes of scanSigTags.
const (
	tbFWS   = 1 << iota // white space or a line end
	tbUpper             // 'A' to 'Z', or a byte past ASCII
	tbSemi              // ";", the end of a value
)

var tagByteClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n") {
		t[c] = tbFWS
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = tbUpper
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = tbUpper
	}
	t[';'] = tbSemi
	return t
}()

// scannedTags are the tags whose values scanSigTags reads byte by byte,
// noting white space and upper case: short ones, read again as words.
// The long ones (b=, bh=, h=) are passed over with strings.IndexByte.
const scannedTags = 1<<tagA | 1<<tagC | 1<<tagCV | 1<<tagD | 1<<tagI | 1<<tagL |
	1<<tagQ | 1<<tagS | 1<<tagT | 1<<tagV | 1<<tagX

// parseSigTags reads a signature's tag list as parseTagList does, with the
// same errors; on an error the tags before it are kept.
func parseSigTags(s string) (sigTags, error) {
	if st, ok := scanSigTags(s); ok {
		return st, nil
	}
	return parseSigTagsSlow(s)
}

// scanSigTags is parseSigTags of a list without an error, in one pass
// that also notes the short values' plain and lower bits; ok is false for
// a list it does not read to the end (an error, a repeated name or one
// tag too many), which parseSigTagsSlow reads again to tell why.
func scanSigTags(s string) (st sigTags, ok bool) {
	var others tagNames // the names not read here (z=, and a signer's own)
	n, i := 0, 0
	for {
		for i < len(s) && isFWS(s[i]) {
			i++
		}
		if i == len(s) {
			return st, true
		}
		start := i
		if !isAlpha(s[i]) {
			return st, false
		}
		for i++; i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '_'); i++ {
		}
		name := s[start:i]
		for i < len(s) && isFWS(s[i]) {
			i++
		}
		if i == len(s) || s[i] != '=' {
			return st, false
		}
		i++
		eq := i
		for i < len(s) && isFWS(s[i]) {
			i++
		}
		vstart := i
		k, known := sigTagOf(name)
		var cls uint8
		if known && scannedTags&(1<<k) != 0 {
			for ; i < len(s); i++ {
				c := tagByteClass[s[i]]
				if c&tbSemi != 0 {
					break
				}
				cls |= c
			}
		} else if j := strings.IndexByte(s[i:], ';'); j >= 0 {
			i += j
		} else {
			i = len(s)
		}
		end := i
		for end > vstart && isFWS(s[end-1]) {
			end--
		}
		if n == maxTags {
			return st, false
		}
		n++
		if known {
			bit := uint16(1) << k
			if st.present&bit != 0 {
				return st, false
			}
			st.present |= bit
			st.vals[k] = s[vstart:end]
			if scannedTags&bit != 0 {
				// White space before the ";" counts as some within: the
				// bit is only ever left unset for nothing.
				if cls&tbFWS == 0 {
					st.plain |= bit
					if cls&tbUpper == 0 {
						st.lower |= bit
					}
				}
			}
			if k == tagB {
				st.bEq, st.bEnd = eq, end
			}
		} else if !others.add(name) {
			return st, false
		}
		if i < len(s) {
			i++ // the ";"
		}
	}
}

// parseSigTagsSlow is parseSigTags through the tag-list parser, which
// tells a list's errors; it sets no plain or lower bits.
func parseSigTagsSlow(s string) (sigTags, error) {
	var st sigTags
	p := tagParser{s: s}
	for {
		t, ok, err := p.next()
		if !ok {
			return st, err
		}
		k, known := sigTagOf(t.Name)
		if !known {
			continue
		}
		st.vals[k] = t.Value
		st.present |= 1 << k
		if k == tagB {
			st.bEq, st.bEnd = t.Eq, t.End
		}
	}
}

// get returns the tag's value and whether the list holds it.
func (st *sigTags) get(k sigTag) (string, bool) { return st.vals[k], st.has(k) }

// value returns the tag's value, "" when absent.
func (st *sigTags) value(k sigTag) string { return st.vals[k] }

func (st *sigTags) has(k sigTag) bool { return st.present&(1<<k) != 0 }

// missing returns the first of the required tags the list lacks.
func (st *sigTags) missing(required []sigTag) (sigTag, bool) {
	for _, k := range required {
		if !st.has(k) {
			return k, true
		}
	}
	return 0, false
}
