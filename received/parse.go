package received

import (
	"net/netip"
	"strconv"
	"strings"
)

// Parse parses one Received field value: the text after "Received:",
// possibly folded. It never fails and never panics, and runs in time linear
// in the length of value. What it cannot understand stays in Raw, lowers
// Parsed and is described in Notes.
//
// The value is split into top-level tokens (comments, literals, paths and
// words), the date is taken after the last top-level ";" (RFC 5321 §4.4,
// RFC 5322 §3.6.7) or, failing that, wherever a date starts, and the tokens
// before it are read as the clauses of RFC 5321 §4.4 ("from", "by", "via",
// "with", "id", "for"), in any order, with each comment interpreted in the
// clause it follows.
func Parse(value string) Hop {
	var buf [48]span
	toks, unclosed := lex(value, buf[:0])
	b := builder{s: value}
	b.h.Raw = value
	if unclosed {
		b.problem("unclosed comment")
	}
	n := b.date(toks)
	b.clauses(b.heloInjection(toks[:n]))
	b.dateComments(toks[n:])
	b.finish()
	return b.h
}

// heloInjection reads a from-clause whose HELO carries trace text of its own. A receiver that writes
// the client's greeting as given (Postfix joins a HELO of several words with spaces) lets a client
// greet with "x (mail.example [192.0.2.1]) by mx.example ...; DATE", so that the line seems to name
// another client, another receiver and another date. The receiver's own text comes after the greeting:
// its client comment ("name [IP]") is the last one before the last by-clause. So when the tokens
// between "from" and that comment hold another such comment, a "by" or a ";", everything from "from"
// to the last client comment is read as the HELO, the hop is marked HELOInjection, and the rest is
// read as usual. Other lines are returned unchanged.
func (b *builder) heloInjection(toks []span) []span {
	if len(toks) < 4 || toks[0].kind != tWord || keyword(b.s[toks[0].pos:toks[0].end]) != cFrom {
		return toks
	}
	lastBy := -1
	for i := len(toks) - 1; i > 0; i-- {
		if toks[i].kind == tWord && keyword(b.s[toks[i].pos:toks[i].end]) == cBy {
			lastBy = i
			break
		}
	}
	client, clients := -1, 0 // the last client comment before lastBy, and how many there are
	for i := 1; i < lastBy; i++ {
		if t := toks[i]; t.kind == tComment && isClientComment(b.s[t.pos:t.end]) {
			client, clients = i, clients+1
		}
	}
	if client < 2 {
		return toks
	}
	// Only marks before that comment are the greeting's; after it they are the receiver's own oddities.
	marks := 0
	for i := 1; i < client; i++ {
		if t := toks[i]; t.kind == tSemi || t.kind == tWord && keyword(b.s[t.pos:t.end]) == cBy {
			marks++
		}
	}
	if clients < 2 && marks == 0 {
		return toks
	}
	b.h.HELOInjection = true
	b.note("the HELO holds trace text of its own (a client comment, \"by\" or \";\"): read up to the last client comment")
	out := make([]span, 0, len(toks)-client+2)
	out = append(out, toks[0], span{kind: tWord, pos: toks[1].pos, end: toks[client-1].end})
	return append(out, toks[client:]...)
}

// isClientComment reports a comment shaped like a receiver's note of its client: an IP literal in
// brackets, as in Postfix's "(name [192.0.2.1])" or Exim's "([192.0.2.1] helo=x)".
func isClientComment(c string) bool {
	if isGreetingComment(c) {
		return false
	}
	open := strings.IndexByte(c, '[')
	if open < 0 {
		return false
	}
	end := strings.IndexByte(c[open:], ']')
	if end < 0 {
		return false
	}
	lit := strings.TrimPrefix(c[open+1:open+end], "IPv6:")
	_, err := netip.ParseAddr(lit)
	return err == nil
}

// isGreetingComment reports a receiver's note of the greeting itself, "(EHLO [192.0.2.1])" as
// qmail and Yahoo write it: an address literal there is what the client said, not the peer the
// receiver saw, so it is no client comment.
func isGreetingComment(c string) bool {
	c = strings.TrimLeft(strings.TrimPrefix(c, "("), " \t")
	if len(c) < 5 || c[4] != ' ' && c[4] != '\t' {
		return false
	}
	return eqFold(c[:4], "helo") || eqFold(c[:4], "ehlo") || eqFold(c[:4], "lhlo")
}

// clauseKind names the RFC 5321 §4.4 clause being read.
type clauseKind uint8

const (
	cNone  clauseKind = iota // before any keyword
	cFrom                    // "from" Extended-Domain
	cBy                      // "by" Extended-Domain
	cVia                     // "via" Link
	cWith                    // "with" Protocol
	cID                      // "id" String
	cFor                     // "for" Path
	cExtra                   // a keyword seen twice: text not understood
)

// keyword reports the clause a word opens, ASCII case ignored. It looks at
// the first byte first: most words open nothing.
func keyword(w string) clauseKind {
	if len(w) < 2 || len(w) > 4 {
		return cNone
	}
	switch lower(w[0]) {
	case 'b':
		if len(w) == 2 && lower(w[1]) == 'y' {
			return cBy
		}
	case 'i':
		if len(w) == 2 && lower(w[1]) == 'd' {
			return cID
		}
	case 'v':
		if eqFold(w, "via") {
			return cVia
		}
	case 'f':
		if eqFold(w, "for") {
			return cFor
		}
		if eqFold(w, "from") {
			return cFrom
		}
	case 'w':
		if eqFold(w, "with") {
			return cWith
		}
	}
	return cNone
}

// maxNotes bounds the notes kept for one field, so junk input cannot make
// the result grow with it.
const maxNotes = 16

// builder carries the state of one Parse call.
type builder struct {
	h        Hop // the result, filled in place
	s        string
	cur      clauseKind
	seen     uint16 // one bit per clauseKind already opened
	problems int    // text not understood
	dropped  int    // notes beyond maxNotes
	lead     bool   // a comment-only field was recognised (qmail, Sendmail)
	marks    marks
	swFromBy bool   // Software came from the by-clause (where Sendmail writes its version)
	cmark    uint64 // commentNeedles found in the comment being read

	from     fromState
	byHost   bool // the by-clause has its host
	byWords  words
	with     words
	tlsNext  bool // Exim's "tls" word: the cipher follows
	via      words
	forAddrs words
	stray    words  // text before the first clause
	dateID   string // an id-clause after the date (Courier-MTA)
}

func (b *builder) note(msg string) {
	if len(b.h.Notes) >= maxNotes {
		b.dropped++
		return
	}
	b.h.Notes = append(b.h.Notes, msg)
}

// problem notes text that was not understood; it makes Parsed partial.
func (b *builder) problem(msg string) {
	b.problems++
	b.note(msg)
}

// noteText notes input text, clipped, and builds the note only when it
// will be kept: junk input must not cost an allocation per token.
func (b *builder) noteText(prefix, text string) {
	if len(b.h.Notes) >= maxNotes {
		b.dropped++
		return
	}
	b.note(prefix + clip(text))
}

func (b *builder) problemText(prefix, text string) {
	b.problems++
	b.noteText(prefix, text)
}

// clip shortens input quoted in a note.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return collapse(s)
}

// clauses reads the tokens before the date.
func (b *builder) clauses(toks []span) {
	for i := 0; i < len(toks); i++ {
		t := toks[i].token(b.s)
		if t.kind == tSemi {
			continue // OpenSMTPD writes "; by", "; for" between clauses
		}
		if t.kind == tWord {
			if k := keyword(t.text); k != cNone {
				if n, ok := b.startClause(k, toks, i); ok {
					i += n
					continue
				}
			}
			if n := b.envelopeWord(toks, i); n > 0 {
				i += n
				continue
			}
			if hasPrefixFold(t.text, "auth=") || hasPrefixFold(t.text, "user=") && b.h.Auth != "" {
				b.addAuth(t.text) // OpenSMTPD: "(TLSv1.3:...) auth=yes user=alice"
				continue
			}
		}
		b.feed(t)
	}
}

// startClause opens clause k at toks[i]. It returns ok false when the
// keyword is better read as a value, and how many more tokens it consumed.
func (b *builder) startClause(k clauseKind, toks []span, i int) (int, bool) {
	bit := uint16(1) << k
	if b.seen&bit == 0 {
		if b.emptyClause() && b.keywordLater(toks, i+1, k) {
			return 0, false // "from by (...) by host": a client said HELO by
		}
		b.seen |= bit
		b.cur = k
		return 0, true
	}
	next := token{kind: tSemi}
	if i+1 < len(toks) {
		next = toks[i+1].token(b.s)
	}
	switch {
	case k == cFrom && (next.kind == tAngle || next.kind == tWord && strings.IndexByte(next.text, '@') >= 0):
		// IBM and XMail write "for <rcpt> from <sender>".
		b.setEnvelope(stripAngle(next.text))
		return 1, true
	case k == cWith && b.cur == cWith:
		// Mimecast: "with ESMTP with STARTTLS (version=TLSv1.3, ...)": the
		// second "with" goes on with the first.
		return 0, true
	case k == cBy && next.kind == tWord && eqFold(next.text, "uid") && i+2 < len(toks):
		// qmail-scanner: "from sender by host by uid N with qmail-scanner-x".
		if b.h.From.Ident == "" {
			b.h.From.Ident = "uid " + toks[i+2].token(b.s).text
		}
		b.marks |= mQmail
		return 2, true
	}
	b.problemText("repeated keyword: ", toks[i].token(b.s).text)
	b.cur = cExtra
	return 0, true
}

// emptyClause reports a from- or by-clause still waiting for its name.
func (b *builder) emptyClause() bool {
	return b.cur == cFrom && !b.from.nameSet || b.cur == cBy && !b.byHost
}

// keywordLater reports whether keyword k occurs at top level after i.
func (b *builder) keywordLater(toks []span, i int, k clauseKind) bool {
	for ; i < len(toks); i++ {
		if toks[i].kind == tWord && keyword(toks[i].token(b.s).text) == k {
			return true
		}
	}
	return false
}

// envelopeWord reads Haraka's top-level "envelope-from <addr>".
func (b *builder) envelopeWord(toks []span, i int) int {
	w := toks[i].token(b.s).text
	if !eqFold(w, "envelope-from") && !eqFold(w, "envelope-sender") || i+1 >= len(toks) {
		return 0
	}
	if next := toks[i+1].token(b.s); next.kind == tAngle || next.kind == tWord {
		b.setEnvelope(stripAngle(next.text))
		return 1
	}
	return 0
}

func (b *builder) setEnvelope(addr string) {
	if addr == "" {
		addr = "<>" // the null reverse-path (RFC 5321 §4.5.5)
	}
	if b.h.EnvelopeFrom == "" {
		b.h.EnvelopeFrom = addr
	}
}

// feed hands one token to the clause being read.
func (b *builder) feed(t token) {
	if t.kind == tComment {
		b.comment(t.text)
		return
	}
	switch b.cur {
	case cFrom:
		b.fromToken(t)
	case cBy:
		b.byToken(t)
	case cWith:
		b.withToken(t)
	case cID:
		b.idToken(t)
	case cFor:
		if t.text != "," {
			b.forAddrs.add(stripAngle(t.text))
		}
	case cVia:
		b.via.add(t.text)
	case cNone:
		b.stray.add(t.text)
	default:
		b.problemText("text not understood: ", t.text)
	}
}

// finish completes the fields that depend on several clauses.
func (b *builder) finish() {
	if b.stray.n > 0 {
		b.problemText("text before the first clause: ", b.stray.join(" "))
	}
	b.finishFrom()
	b.finishBy()
	b.finishWith()
	b.finishDateID()
	b.h.For = b.forAddrs.join(", ")
	b.h.Via = b.via.join(" ")
	b.h.MTA = b.guessMTA()
	if b.dropped > 0 {
		b.h.Notes = append(b.h.Notes, strconv.Itoa(b.dropped)+" more notes dropped")
	}
	b.h.Parsed = b.status()
}

// finishDateID takes the id written after the date when the clauses had
// none; a second id is noted, not taken.
func (b *builder) finishDateID() {
	switch {
	case b.dateID == "":
	case b.h.ID == "":
		b.h.ID = b.dateID
		if isCourierID(b.dateID) {
			b.marks |= mCourier
		}
	default:
		b.noteText("second id after the date: ", b.dateID)
	}
}

// status grades what was understood.
func (b *builder) status() Parsed {
	h := &b.h
	got := h.From != (From{}) || h.By != (By{}) || h.With != "" || h.ID != "" ||
		h.For != "" || h.Via != "" || h.EnvelopeFrom != "" || b.lead
	switch {
	case !got && h.Time == nil:
		return ParsedNone
	case got && h.Time != nil && b.problems == 0:
		return ParsedFull
	}
	return ParsedPartial
}
