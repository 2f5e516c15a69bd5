package received

import "strings"

// Byte-level string helpers. They never allocate unless they must build a
// new string, because Parse runs once per Received field of every message.

// Character classes, looked up in one table in the hot loops.
const (
	clSpace   uint8 = 1 << iota // folding whitespace and other blanks (RFC 5322 §2.2.3)
	clDigit                     // 0-9
	clAlpha                     // A-Z a-z
	clHex                       // 0-9 A-F a-f
	clWordEnd                   // ends a top-level word: blank, ";", "("
	clWordSep                   // separates words in a comment
)

var class = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n\v\f") {
		t[c] |= clSpace | clWordEnd | clWordSep
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= clDigit | clHex
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= clAlpha
		t[c-'a'+'A'] |= clAlpha
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= clHex
		t[c-'a'+'A'] |= clHex
	}
	t[';'] |= clWordEnd | clWordSep
	t['('] |= clWordEnd | clWordSep
	for _, c := range []byte(`,")`) {
		t[c] |= clWordSep
	}
	return t
}()

// isSpace reports folding whitespace and the other blanks MTAs leave in
// trace fields.
func isSpace(c byte) bool { return class[c]&clSpace != 0 }

func isDigit(c byte) bool { return class[c]&clDigit != 0 }

func isAlpha(c byte) bool { return class[c]&clAlpha != 0 }

func lower(c byte) byte { return lowerTab[c] }

// lowerTab maps ASCII upper case to lower case and every other byte to
// itself; a table lookup is cheaper than the comparisons in the hot loops.
var lowerTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// eqFold is an ASCII-only strings.EqualFold.
func eqFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(t[i]) {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with prefix, ASCII case ignored.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && eqFold(s[:len(prefix)], prefix)
}

// hasSuffixFold reports whether s ends with suffix, ASCII case ignored.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && eqFold(s[len(s)-len(suffix):], suffix)
}

// foldSet finds in one pass which of up to 64 lower-case needles occur in
// a text, ASCII case ignored. Needles are indexed by their first byte, so
// most positions of the text cost one table lookup.
type foldSet struct {
	needles []string
	first   [256]bool // some needle starts with this byte
	byFirst [256][]uint8
}

func newFoldSet(needles ...string) *foldSet {
	fs := &foldSet{needles: needles}
	for i, n := range needles {
		c := n[0]
		fs.byFirst[c] = append(fs.byFirst[c], uint8(i))
		fs.first[c] = true
		if u := c &^ 0x20; isAlpha(c) && u != c {
			fs.byFirst[u] = append(fs.byFirst[u], uint8(i))
			fs.first[u] = true
		}
	}
	return fs
}

// match returns a bit per needle found in s.
func (fs *foldSet) match(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		if !fs.first[s[i]] {
			continue
		}
		for _, k := range fs.byFirst[s[i]] {
			if n := fs.needles[k]; len(s)-i >= len(n) && eqFold(s[i:i+len(n)], n) {
				m |= 1 << k
			}
		}
	}
	return m
}

// containsFold reports whether sub occurs in s, ASCII case ignored. sub is
// always a short constant, so the naive scan stays linear in practice.
func containsFold(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	first := lower(sub[0])
	for i := 0; i+len(sub) <= len(s); i++ {
		if lower(s[i]) == first && eqFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// trimSpace trims folding whitespace from both ends.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// collapse unfolds s: runs of whitespace become one space, ends trimmed.
// It returns s itself when nothing needs changing.
func collapse(s string) string {
	s = trimSpace(s)
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && isSpace(s[i]) || s[i] == ' ' && i+1 < len(s) && s[i+1] == ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stripAngle removes one pair of enclosing angle brackets and a trailing
// comma, as in "<a@b>," within a for-clause.
func stripAngle(s string) string {
	s = strings.TrimRight(s, ",")
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// wordIter splits comment text into words. Separators are whitespace,
// commas, quotes, parentheses and semicolons; a word that starts with "["
// runs to its "]" so that "[unix socket]" stays one word.
type wordIter struct {
	s        string
	i        int
	word     string
	noSquare bool // no "]" after i: a "[" no longer starts a literal
}

func isWordSep(c byte) bool { return class[c]&clWordSep != 0 }

func (w *wordIter) next() bool {
	for w.i < len(w.s) && isWordSep(w.s[w.i]) {
		w.i++
	}
	if w.i >= len(w.s) {
		return false
	}
	start := w.i
	if w.s[w.i] == '[' && !w.noSquare {
		if end := strings.IndexByte(w.s[w.i:], ']'); end > 0 {
			w.i += end + 1
		} else {
			w.noSquare = true
		}
	}
	for w.i < len(w.s) && !isWordSep(w.s[w.i]) {
		w.i++
	}
	w.word = w.s[start:w.i]
	return true
}

// peek returns the word after the current one without consuming it.
func (w *wordIter) peek() string {
	c := *w
	if c.next() {
		return c.word
	}
	return ""
}

// atoi parses a short run of decimal digits; ok is false for anything else
// or for more than 9 digits (no overflow on hostile input).
func atoi(s string) (n int, ok bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// words collects the words of a clause without allocating for the first
// few.
type words struct {
	n    int
	w    [6]string
	over []string
}

func (ws *words) add(s string) {
	if ws.n < len(ws.w) {
		ws.w[ws.n] = s
	} else {
		ws.over = append(ws.over, s)
	}
	ws.n++
}

func (ws *words) first() string { return ws.w[0] }

func (ws *words) last() string {
	if ws.n > len(ws.w) {
		return ws.over[len(ws.over)-1]
	}
	if ws.n == 0 {
		return ""
	}
	return ws.w[ws.n-1]
}

func (ws *words) join(sep string) string {
	switch ws.n {
	case 0:
		return ""
	case 1:
		return ws.w[0]
	}
	all := make([]string, 0, ws.n)
	all = append(all, ws.w[:min(ws.n, len(ws.w))]...)
	all = append(all, ws.over...)
	return strings.Join(all, sep)
}
