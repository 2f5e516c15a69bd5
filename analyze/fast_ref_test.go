package analyze

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/gentext"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// Split, unfold and parseDate were made cheaper (one copy of the header,
// no copy for values without folding, one layout for the common date).
// These tests keep the former code as the reference and check that the
// results are the same, on generated, corpus and fuzzed input.

// refSplit is the former Split: a string per name and per value.
func refSplit(raw []byte) (*Message, error) {
	m := &Message{Raw: raw}
	s := &refSplitter{data: raw}
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		s.pos = 3
		m.Defects = append(m.Defects, "line 1: a byte order mark (U+FEFF) before the header, left out")
	}
	blank := 0
	for strings.HasPrefix(string(raw[s.pos:]), "\n") && s.pos+1 < len(raw) || strings.HasPrefix(string(raw[s.pos:]), "\r\n") {
		s.next()
		blank++
	}
	if blank > 0 {
		m.Defects = append(m.Defects, fmt.Sprintf("line 1: %d blank lines before the header, left out", blank))
	}
	if rest, ok := strings.CutPrefix(string(raw[s.pos:]), "Microsoft Mail Internet Headers Version 2.0"); ok {
		if rest = strings.TrimLeft(rest, " \t"); strings.HasPrefix(rest, "\n") || strings.HasPrefix(rest, "\r\n") {
			s.next()
			m.Defects = append(m.Defects, fmt.Sprintf("line %d: Outlook's %q line before the header, left out", s.line, "Microsoft Mail Internet Headers Version 2.0"))
		}
	}
	if rest, ok := strings.CutPrefix(string(raw[s.pos:]), "From "); ok && !strings.HasPrefix(strings.TrimLeft(rest, " \t"), ":") && strings.TrimLeft(rest, " \t") != "" {
		line, _ := s.next()
		m.MboxFrom = string(line)
	}
	m.headerStart = s.pos
	refSplitHeader(m, s)
	m.Body = raw[s.pos:]
	m.BodyLine = s.line + 1
	if len(m.Fields) == 0 {
		return m, ErrNoHeader
	}
	return m, nil
}

type refPending struct {
	name       string
	valueStart int
	line       int
}

func refSplitHeader(m *Message, s *refSplitter) {
	var cur *refPending
	for s.pos < len(s.data) {
		start := s.pos
		line, _ := s.next()
		if len(line) == 0 {
			refFlush(m, cur, start)
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				m.Defects = append(m.Defects, fmt.Sprintf("line %d: continuation line before any field", s.line))
			}
			continue
		}
		name, _, isField := cutField(line)
		if !isField {
			m.Defects = append(m.Defects, fmt.Sprintf("line %d: not a header field, header ends here without a blank line", s.line))
			refFlush(m, cur, start)
			s.pos, s.line = start, s.line-1
			return
		}
		refFlush(m, cur, start)
		cur = &refPending{name: string(name), valueStart: start + bytes.IndexByte(line, ':') + 1, line: s.line}
	}
	refFlush(m, cur, s.pos)
	if len(m.Fields) > 0 {
		m.Defects = append(m.Defects, "message ends inside the header: no body")
	}
}

func refFlush(m *Message, f *refPending, end int) {
	if f == nil {
		return
	}
	value := m.Raw[f.valueStart:end]
	if len(value) > maxFieldBytes {
		value = value[:maxFieldBytes]
		m.Defects = append(m.Defects, fmt.Sprintf("line %d: field %.40q longer than %d bytes, cut", f.line, f.name, maxFieldBytes))
	}
	m.Fields = append(m.Fields, Field{Name: f.name, Value: string(value), Line: f.line})
}

// refSplitter is the former splitter.
type refSplitter struct {
	data []byte
	pos  int
	line int
}

func (s *refSplitter) next() (line []byte, ok bool) {
	rest := s.data[s.pos:]
	i := bytes.IndexAny(rest, "\r\n")
	s.line++
	if i < 0 {
		s.pos = len(s.data)
		return rest, false
	}
	end := i + 1
	if rest[i] == '\r' && end < len(rest) && rest[end] == '\n' {
		end++
	}
	s.pos += end
	return rest[:i], true
}

// refUnfold is the former unfold.
func refUnfold(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// refParseDate is the former parseDate: net/mail for everything.
func refParseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t, true
	}
	if i := strings.LastIndexByte(s, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(s[:i])); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func checkSplitLikeRef(t *testing.T, raw []byte) {
	t.Helper()
	got, gerr := Split(raw)
	want, werr := refSplit(raw)
	// bareCR is Split's own note for package auth, beside what the
	// reference gives.
	if hdr := raw[:len(raw)-len(got.Body)]; len(got.Defects) == 0 && got.bareCR != crNotLF(string(hdr)) {
		t.Fatalf("Split(%.200q): bareCR %v", raw, got.bareCR)
	}
	want.bareCR = got.bareCR
	// So are the cut fields it counts, and what it notes for the MIME
	// parser: the long fields (TestMIMEInputMatchesRaw holds those to
	// enmime) and white space before a colon.
	cuts := 0
	for _, d := range want.Defects {
		if strings.HasSuffix(d, " bytes, cut") {
			cuts++
		}
	}
	if got.cuts != cuts {
		t.Fatalf("Split(%.200q): %d fields cut, want %d", raw, got.cuts, cuts)
	}
	want.cuts, want.big = got.cuts, got.big
	if space := strings.Contains(string(raw), " :") || strings.Contains(string(raw), "\t:"); got.spaceBeforeColon && !space {
		t.Fatalf("Split(%.200q): white space before a colon, but there is none", raw)
	}
	want.spaceBeforeColon = got.spaceBeforeColon
	if gerr != werr || !reflect.DeepEqual(got, want) {
		t.Fatalf("Split(%.200q):\n got %+v, %v\nwant %+v, %v", raw, got, gerr, want, werr)
	}
	for _, f := range want.Fields {
		if u, w := unfold(f.Value), refUnfold(f.Value); u != w {
			t.Fatalf("unfold(%q) = %q, want %q", f.Value, u, w)
		}
	}
}

// crNotLF reports a CR that is not followed by LF.
func crNotLF(s string) bool {
	for i := strings.IndexByte(s, '\r'); i >= 0; {
		if i+1 >= len(s) || s[i+1] != '\n' {
			return true
		}
		k := strings.IndexByte(s[i+1:], '\r')
		if k < 0 {
			return false
		}
		i += k + 1
	}
	return false
}

func checkDateLikeRef(t *testing.T, s string) {
	t.Helper()
	got, gok := parseDate(s)
	want, wok := refParseDate(s)
	if gok != wok || !got.Equal(want) || got.Location().String() != want.Location().String() || got.String() != want.String() {
		t.Fatalf("parseDate(%q) = %v %v, want %v %v", s, got, gok, want, wok)
	}
}

var splitPieces = []string{"\r\n", "\n", "\r", " ", "\t", "A: b", "Name:", "x", ":", "From ", "Received: from a", "\xc2", "\x85", " \u00a0", "bad line"}

func TestSplitMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		checkSplitLikeRef(t, []byte(gentext.Join(r, splitPieces, r.IntN(40))))
	}
	long := "X-Long: " + strings.Repeat("y", maxFieldBytes+10) + "\r\nA: b\r\n\r\nbody"
	checkSplitLikeRef(t, []byte(long))
	checkSplitLikeRef(t, []byte("From mbox\nA: b\n c\n"))
}

func TestSplitCorpusMatchesReference(t *testing.T) {
	for _, m := range loadCorpus(t) {
		checkSplitLikeRef(t, m.raw)
		msg, _ := Split(m.raw)
		for _, f := range msg.All("Date") {
			checkDateLikeRef(t, f.Unfolded())
		}
	}
}

func TestParseDateMatchesReference(t *testing.T) {
	for _, s := range []string{
		"Mon, 2 Jan 2006 15:04:05 -0700", "Tue, 15 Nov 1994 08:12:31 +0000", "Fri, 21 Nov 1997 09:55:06 -0600 (MDT)",
		"Fri, 21 Nov 1997 09:55:06 +0100 (CET) ", "Fri, 21 Nov 1997 09:55:06 +0100 (C(E)T)", "Xyz, 21 Nov 1997 09:55:06 +0100",
		"Fri, 32 Nov 1997 09:55:06 +0100", "Fri, 21 Foo 1997 09:55:06 +0100", "fri, 21 nov 1997 09:55:06 +0100",
		"Fri, 1 Nov 1997 25:55:06 +0100", "Fri, 01 Nov 1997 09:55:06 +0100", "Fri, 1 Nov 1997 09:55:06 +9999",
		"Fri, 1 Nov 1997 09:55:06 +0000 (UTC)", "Fri, 1 Nov 1997 09:55:06 GMT", "1 Nov 1997 09:55:06 -0000",
		"Fri,  1 Nov 1997 09:55:06 +0000", "Fri, 1 Nov 97 09:55:06 +0000", "Fri, 1 Nov 1997 09:55 +0000", "",
		"Fri, 1 Nov 1997 09:55:06 +0000 ()", "Fri, 1 Nov 1997 09:55:06 +0000 (a\\)b)", "Fri, 1 Nov 1997 09:55:06 +0000 garbage",
	} {
		checkDateLikeRef(t, s)
	}
}

// FuzzSplitReference compares Split, parseDate, the mailbox fast path and
// stripComments with their references.
func FuzzSplitReference(f *testing.F) {
	for _, s := range []string{"A: b\r\n c\r\n\r\nbody", "From x\nA: b\n\tc\nbad\n", "Fri, 1 Nov 1997 09:55:06 +0000 (UTC)", " x\r\nA:\r", "\nMicrosoft Mail Internet Headers Version 2.0 \r\nFrom x\nA: b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSplitLikeRef(t, raw)
		checkDateLikeRef(t, string(raw))
		checkMailboxLikeNetMail(t, string(raw))
		if got, want := stripComments(string(raw)), refStripComments(string(raw)); got != want {
			t.Fatalf("stripComments(%q) = %q, want %q", raw, got, want)
		}
	})
}

// TestSplitBareCRHeader: a header with CR-only line ends and no LF at all
// is split in one pass (a search for LF from every line would be
// quadratic and would not end in test time), and like the reference.
func TestSplitBareCRHeader(t *testing.T) {
	raw := []byte(strings.Repeat("X-A: b\r", 200000) + "\rbody")
	m, err := Split(raw)
	if err != nil || len(m.Fields) != 200000 || string(m.Body) != "body" {
		t.Fatalf("got %d fields, body %q, %v", len(m.Fields), m.Body, err)
	}
	checkSplitLikeRef(t, raw[:7000])
}

// checkMailboxLikeNetMail: when the fast path takes a value, net/mail
// (with the same word decoder) gives the same single address.
func checkMailboxLikeNetMail(t *testing.T, v string) {
	t.Helper()
	if fast, ok := simpleMailboxList(v); ok {
		list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v)
		if err != nil || len(list) != len(fast) {
			t.Fatalf("simpleMailboxList(%q) = %v; net/mail: %v, %v", v, fast, list, err)
		}
		for i, a := range list {
			if fast[i] != (Address{Name: a.Name, Address: a.Address}) {
				t.Fatalf("simpleMailboxList(%q) = %v; net/mail: %v", v, fast, list)
			}
		}
	}
	name, addr, ok := rfc5322.SimpleMailbox(v)
	if !ok {
		return
	}
	list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v)
	if err != nil || len(list) != 1 || list[0].Name != name || list[0].Address != addr {
		t.Fatalf("rfc5322.SimpleMailbox(%q) = %q, %q; net/mail: %v, %v", v, name, addr, list, err)
	}
}

var mailboxPieces = []string{"a", "Bob", "x.y", "@", ".", " ", "  ", `"`, "<", ">", "=?", "?=", ",", `\`, "é", "(", ")", "-", "+", "=", "!", "\t", "[", "]", ":", ";", "utf-8?q?x",
	"a@b", "Bob <a@b.c>", `"B, o" <x@y>`, ", ", " ,"}

func TestSimpleMailboxMatchesNetMail(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	taken, listed := 0, 0
	for range 200000 {
		v := strings.TrimSpace(gentext.Join(r, mailboxPieces, r.IntN(12)))
		if _, _, ok := rfc5322.SimpleMailbox(v); ok {
			taken++
		}
		if _, ok := simpleMailboxList(v); ok {
			listed++
		}
		checkMailboxLikeNetMail(t, v)
	}
	for _, v := range []string{"a@b", "Bob <a@b.c>", `"Bob, Jr." <a@b>`, `"" <a@b>`, "=?utf-8?q?B=C3=A9?= <a@b>", "a.@b", "Bob  <a@b>", `"B\"ob" <a@b>`, "a@b (Bob)", "Bob.Smith <bob-x+y=z@mail.example.com>",
		"a@b, c@d", "a@b,,c@d", "a@b,", `"Doe, J" <a@b>, c@d`, "Bob <a@b> , \tAnn <c@d>", " a@b, c@d"} {
		checkMailboxLikeNetMail(t, v)
	}
	if taken == 0 || listed == 0 {
		t.Fatalf("the generator reached the fast paths %d and %d times", taken, listed)
	}
}

func TestSimpleMailboxCorpus(t *testing.T) {
	for _, m := range loadCorpus(t) {
		msg, _ := Split(m.raw)
		for _, f := range msg.Fields {
			switch strings.ToLower(f.Name) {
			case "from", "to", "cc", "reply-to", "sender":
				checkMailboxLikeNetMail(t, f.Unfolded())
			}
		}
	}
}

// refStripComments is the former stripComments, a byte at a time.
func refStripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(ch)
				b.WriteByte(s[i+1])
			}
			i++
		case ch == '"' && depth == 0:
			quoted = !quoted
			b.WriteByte(ch)
		case ch == '(' && !quoted:
			depth++
		case ch == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func TestStripCommentsMatchesReference(t *testing.T) {
	pieces := []string{"(", ")", `"`, `\`, "a", " ", ";", "x=y", "((", "))"}
	r := rand.New(rand.NewPCG(11, 12))
	for range 100000 {
		s := gentext.Join(r, pieces, r.IntN(16))
		if got, want := stripComments(s), refStripComments(s); got != want {
			t.Fatalf("stripComments(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestParseDateGeneratedMatchesReference assembles dates from the pieces
// real Date fields are made of, well and badly.
func TestParseDateGeneratedMatchesReference(t *testing.T) {
	pieces := []string{"Mon", "Thu", "Xyz", ",", " ", "  ", "\t", "2", "12", "31", "32", "Jan", "Foo", "2006", "97", "15:04:05",
		"15:04", "25:00:00", "+0100", "-0700", "+99", "-", "+", "(PDT)", "(a(b))", `(\)`, "(", ")", "GMT", "UT", "T", "garbage"}
	r := rand.New(rand.NewPCG(13, 14))
	fast := 0
	for range 20000 {
		var b strings.Builder
		if r.IntN(2) == 0 {
			// The usual shape, each part sometimes swapped for another piece.
			for _, part := range []string{"Mon", ",", " ", "2", " ", "Jan", " ", "2006", " ", "15:04:05", " ", "+0100", " ", "(PDT)"} {
				if r.IntN(8) == 0 {
					part = pieces[r.IntN(len(pieces))]
				}
				b.WriteString(part)
			}
		} else {
			for range r.IntN(12) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		s := b.String()
		if _, ok := parseCommonDate(s); ok {
			fast++
		}
		checkDateLikeRef(t, s)
	}
	for _, s := range []string{"Thu,  9 Oct 2025 10:00:00 +0900 (JST)", "Mon, 2 Jan 2006 15:04:05 -0700 garbage", "Mon, 2-Jan-2006 15:04:05 -0700"} {
		checkDateLikeRef(t, s)
	}
	if fast == 0 {
		t.Fatal("the generator never reached the fast path")
	}
}
