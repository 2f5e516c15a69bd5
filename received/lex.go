package received

import "strings"

// tokKind is the kind of a top-level token of a Received value.
type tokKind uint8

const (
	tWord    tokKind = iota // atom, dot-atom, or any run of other characters
	tComment                // "(...)", nested comments included; text excludes the outer parentheses
	tLiteral                // "[...]" domain or address literal, brackets kept (RFC 5321 §4.1.3)
	tAngle                  // "<...>" path, brackets kept (RFC 5321 §4.1.2)
	tQuoted                 // "\"...\"" quoted string, quotes kept
	tSemi                   // ";" before the date (RFC 5322 §3.6.7)
)

// span is a token as the lexer records it: offsets only, so that a long
// token list holds no pointers for the garbage collector to scan.
type span struct {
	kind tokKind
	open bool // a comment left unclosed at the end of the value
	pos  int  // offset of the first byte
	end  int  // offset after the last byte
}

// token is a span with its text: for comments the text inside the
// parentheses, for everything else the bytes as written.
type token struct {
	kind tokKind
	text string
	pos  int
	end  int
}

func (sp span) token(s string) token {
	text := s[sp.pos:sp.end]
	if sp.kind == tComment {
		text = s[sp.pos+1 : sp.end]
		if !sp.open {
			text = s[sp.pos+1 : sp.end-1]
		}
	}
	return token{kind: sp.kind, text: text, pos: sp.pos, end: sp.end}
}

// lexer splits a Received value into top-level tokens, in the manner of
// net/mail's addrParser: a cursor with small consume methods. Folding
// whitespace separates tokens and is otherwise ignored (RFC 5322 §2.2.3).
//
// Every byte is examined a bounded number of times. An opener without its
// closer is read as an ordinary character; the no* flags remember that no
// closer exists further on, so later openers do not rescan the tail.
type lexer struct {
	s        string
	i        int
	noSquare bool // no "]" after the current position
	noAngle  bool // a "<" was left unclosed: later ones are plain characters
	noQuote  bool // no closing quote after the current position
	unclosed bool // a comment ran to the end of the value
}

// lex appends the tokens of s to buf and reports whether a comment was left
// open.
func lex(s string, buf []span) ([]span, bool) {
	l := lexer{s: s}
	for {
		t, ok := l.next()
		if !ok {
			return buf, l.unclosed
		}
		buf = append(buf, t)
	}
}

func (l *lexer) skipSpace() {
	for l.i < len(l.s) && isSpace(l.s[l.i]) {
		l.i++
	}
}

func (l *lexer) next() (span, bool) {
	l.skipSpace()
	if l.i >= len(l.s) {
		return span{}, false
	}
	start := l.i
	switch l.s[l.i] {
	case ';':
		l.i++
		return span{kind: tSemi, pos: start, end: l.i}, true
	case '(':
		return l.comment(), true
	case '[':
		if t, ok := l.square(); ok {
			return t, true
		}
	case '<':
		if t, ok := l.angle(); ok {
			return t, true
		}
	case '"':
		if t, ok := l.quoted(); ok {
			return t, true
		}
	}
	return l.word(), true
}

// comment consumes a possibly nested comment (RFC 5322 §3.2.2), honouring
// quoted-pairs. An unclosed comment runs to the end of the value, as a
// strict reader would take it; the caller notes it.
//
// An address an MTA copies into a comment, as Exim writes
// "(envelope-from <...>)", may have a quoted local part, and a quoted
// local part may hold ")" (RFC 5321 §4.1.2): MAIL FROM:<"x) by ... for
// <...>; date (y"@evil.example> would otherwise close the comment early
// and plant by-, id- and for-clauses in the receiver's own line. A quoted
// string that opens an angle-addr ("<\"") is text of the comment, to its
// closing quote.
func (l *lexer) comment() span {
	start := l.i
	depth := 0
	for i := start; i < len(l.s); i++ {
		switch l.s[i] {
		case '\\':
			i++
		case '<':
			if end := quotedEnd(l.s, i+1); end > 0 {
				i = end - 1
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.i = i + 1
				return span{kind: tComment, pos: start, end: l.i}
			}
		}
	}
	l.i = len(l.s)
	l.unclosed = true
	return span{kind: tComment, open: true, pos: start, end: l.i}
}

// quotedEnd is the index just past the quoted string (RFC 5322 §3.2.4)
// that starts at s[i], or 0 when none starts there or it does not close.
func quotedEnd(s string, i int) int {
	if i >= len(s) || s[i] != '"' {
		return 0
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return 0
}

// square consumes "[...]"; literals do not nest.
func (l *lexer) square() (span, bool) {
	if l.noSquare {
		return span{}, false
	}
	end := strings.IndexByte(l.s[l.i:], ']')
	if end < 0 {
		l.noSquare = true
		return span{}, false
	}
	start := l.i
	l.i += end + 1
	return span{kind: tLiteral, pos: start, end: l.i}, true
}

// angle consumes "<...>", allowing the nested form some MTAs write for a
// display-name recipient: for <"a@b" <a@b>>.
func (l *lexer) angle() (span, bool) {
	if l.noAngle {
		return span{}, false
	}
	start, depth, inQuote := l.i, 0, false
	for i := start; i < len(l.s); i++ {
		switch c := l.s[i]; {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<':
			depth++
		case c == '>':
			depth--
			if depth == 0 {
				l.i = i + 1
				return span{kind: tAngle, pos: start, end: l.i}, true
			}
		}
	}
	l.noAngle = true
	return span{}, false
}

// quoted consumes a quoted string (RFC 5322 §3.2.4).
func (l *lexer) quoted() (span, bool) {
	if l.noQuote {
		return span{}, false
	}
	start, end := l.i, quotedEnd(l.s, l.i)
	if end == 0 {
		l.noQuote = true
		return span{}, false
	}
	l.i = end
	return span{kind: tQuoted, pos: start, end: end}, true
}

// word consumes a run of characters up to whitespace, ";" or "(". Brackets
// inside a word stay in it, so "user@[192.0.2.1]" is one word.
func (l *lexer) word() span {
	start := l.i
	l.i++ // the first byte may be an opener read as a plain character
	for l.i < len(l.s) && class[l.s[l.i]]&clWordEnd == 0 {
		l.i++
	}
	return span{kind: tWord, pos: start, end: l.i}
}
