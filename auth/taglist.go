package auth

import (
	"errors"
	"fmt"
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
	s   string
	pos int
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
// duplicate tag name is an error (RFC 6376 §3.2: "MUST NOT" repeat).
func parseTagList(s string) (tagList, error) {
	p := &tagParser{s: s}
	out := make(tagList, 0, 12)
	for {
		p.skipFWS()
		if p.done() {
			return out, nil
		}
		t, err := p.tagSpec()
		if err != nil {
			return out, err
		}
		if _, dup := out.get(t.Name); dup {
			return out, fmt.Errorf("%w %q", errDuplicateTag, t.Name)
		}
		if len(out) == maxTags {
			return out, fmt.Errorf("%w: more than %d tags", errTagSyntax, maxTags)
		}
		out = append(out, t)
		if !p.done() {
			p.pos++ // the ";" that ended the value
		}
	}
}

func (p *tagParser) done() bool { return p.pos >= len(p.s) }

func (p *tagParser) peek() byte { return p.s[p.pos] }

// skipFWS skips white space and line ends (folding, RFC 5322 §3.2.2).
func (p *tagParser) skipFWS() {
	for !p.done() && isFWS(p.peek()) {
		p.pos++
	}
}

func isFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

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
	for !p.done() && p.peek() != ';' {
		p.pos++
	}
	value := strings.TrimRight(p.s[start:p.pos], " \t\r\n")
	return tag{Name: name, Value: value, Eq: eq, End: start + len(value)}, nil
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
	// items that have no white space.
	var out []string
	for rest := s; ; {
		item, more, found := strings.Cut(rest, ":")
		if item = stripFWS(item); item != "" {
			if out == nil {
				out = make([]string, 0, strings.Count(rest, ":")+1)
			}
			out = append(out, item)
		}
		if !found {
			return out
		}
		rest = more
	}
}

// blankTag returns s with the value of the first tag named name removed,
// surrounding white space included (RFC 6376 §3.7, RFC 8617 §4.1.3): the
// form a signature field is hashed in.
func blankTag(s string, l tagList, name string) string {
	for _, t := range l {
		if t.Name != name {
			continue
		}
		end := t.End
		for end < len(s) && s[end] != ';' {
			end++ // trailing white space belongs to the value's FWS
		}
		return s[:t.Eq] + s[end:]
	}
	return s
}
