package auth

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"math/rand/v2"
	"net/mail"
	"reflect"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// The streaming canonicalizer and the one-allocation header split replaced
// simpler code that built a slice per line and a string per field. These
// tests keep that code as the reference and check that the fast versions
// give the same bytes, lengths and fields on generated and fuzzed input.

// refSplitMessage is the former splitMessage.
func refSplitMessage(raw []byte) *message {
	m := &message{firstLine: 1}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	for len(raw) > 1 && (bytes.HasPrefix(raw, []byte("\n")) || bytes.HasPrefix(raw, []byte("\r\n"))) {
		raw = raw[bytes.IndexByte(raw, '\n')+1:]
		m.firstLine++
	}
	if rest, ok := bytes.CutPrefix(raw, []byte("Microsoft Mail Internet Headers Version 2.0")); ok {
		if rest = bytes.TrimLeft(rest, " \t"); bytes.HasPrefix(rest, []byte("\n")) || bytes.HasPrefix(rest, []byte("\r\n")) {
			raw = rest[bytes.IndexByte(rest, '\n')+1:]
			m.firstLine++
		}
	}
	if rest, ok := strings.CutPrefix(string(raw), "From "); ok && strings.TrimLeft(rest, " \t") != "" && !strings.HasPrefix(strings.TrimLeft(rest, " \t"), ":") {
		_, after, _ := bytes.Cut(raw, []byte("\n"))
		raw = after
		m.firstLine++
	}
	pos, line := 0, m.firstLine-1
	for pos < len(raw) {
		text, next := nextLine(raw, pos)
		line++
		pos = next
		if len(text) == 0 {
			m.body, m.verifyInput = raw[pos:], raw
			return m
		}
		if len(m.fields) > 0 && (text[0] == ' ' || text[0] == '\t') {
			m.fields[len(m.fields)-1].Raw += string(text) + "\r\n"
			continue
		}
		name, _, _ := strings.Cut(string(text), ":")
		name = strings.TrimSpace(name)
		m.fields = append(m.fields, field{Name: name, Raw: string(text) + "\r\n", Line: line, kind: refKind(name)})
	}
	terminator := "\r\n"
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		terminator = "\r\n\r\n"
	}
	m.verifyInput = append(append([]byte(nil), raw...), terminator...)
	return m
}

// nextLine is the former splitMessage's: the line at pos without its LF
// or CRLF, and the offset of the next line.
func nextLine(raw []byte, pos int) (line []byte, next int) {
	end := bytes.IndexByte(raw[pos:], '\n')
	if end < 0 {
		return bytes.TrimSuffix(raw[pos:], []byte("\r")), len(raw)
	}
	return bytes.TrimSuffix(raw[pos:pos+end], []byte("\r")), pos + end + 1
}

// refCanonBody is the former canonBody, verbatim: a slice per line,
// relaxLine allocating, one hash write per piece.
func refBodyLines(body []byte, fn func(line []byte)) {
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

func refCanonBody(h hash.Hash, body []byte, alg string, limit int64) int64 {
	w := &limitWriter{h: h, left: limit}
	pendingEmpty := 0
	wroteLine := false
	refBodyLines(body, func(line []byte) {
		if alg == canonRelaxed {
			line = refRelaxLine(line)
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

func refRelaxLine(line []byte) []byte {
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

// refUnfold is the former unfold.
func refUnfold(v string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(v))
}

// canonPieces are the bytes generated bodies and headers are made of:
// every kind of line end and white space, and UTF-8 fragments that white
// space removal could glue into a rune.
var canonPieces = []string{"\r\n", "\n", "\r", " ", "  ", "\t", " \t ", "a", "word", "x y", "\xc2", "\x85", "\xa0", "\u00a0", ":", "From ", "Subject: s", "\x00"}

func checkCanonSame(t *testing.T, body []byte) {
	t.Helper()
	for _, alg := range []string{canonSimple, canonRelaxed, "other"} {
		for _, limit := range []int64{-1, 0, 1, 7, int64(len(body) / 2), int64(len(body) + 5)} {
			got, want := sha256.New(), sha256.New()
			gn, wn := canonBody(got, body, alg, limit), refCanonBody(want, body, alg, limit)
			if gn != wn || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
				t.Fatalf("canonBody(%q, %s, %d): length %d, want %d, or a different hash", body, alg, limit, gn, wn)
			}
		}
	}
}

func checkSplitSame(t *testing.T, raw []byte) {
	t.Helper()
	got, want := splitMessage(raw), refSplitMessage(raw)
	if len(got.fields) == 0 && len(want.fields) == 0 {
		got.fields, want.fields = nil, nil
	}
	if !reflect.DeepEqual(got.fields, want.fields) || !bytes.Equal(got.body, want.body) ||
		!bytes.Equal(got.verifyInput, want.verifyInput) || got.firstLine != want.firstLine {
		t.Fatalf("splitMessage(%q):\n got %+v body %q\nwant %+v body %q", raw, got.fields, got.body, want.fields, want.body)
	}
	for _, f := range want.fields {
		if u, w := unfold(f.value()), refUnfold(f.value()); u != w {
			t.Fatalf("unfold(%q) = %q, want %q", f.value(), u, w)
		}
	}
}

func TestCanonMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		body := []byte(gentext.Join(r, canonPieces, r.IntN(40)))
		if i%50 == 0 {
			// Past the buffer: long lines and many short ones.
			body = append(body, bytes.Repeat([]byte("long line with  spaces \t\r\n\n"), 400)...)
		}
		checkCanonSame(t, body)
	}
}

func TestSplitMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		checkSplitSame(t, []byte(gentext.Join(r, canonPieces, r.IntN(60))))
	}
	for _, s := range []string{"", "\n", "\r\n", "From x\n", "From x", " lead\r\nA: b\r\n\r\nbody", "A: b\n c\n\td\nE:f\n\nbody\n", "A\nB: c", "A: b\r\n",
		"Microsoft Mail Internet Headers Version 2.0\r\nA: b\r\n\r\nx", "Microsoft Mail Internet Headers Version 2.0 \nA: b\n"} {
		checkSplitSame(t, []byte(s))
	}
}

// FuzzCanon compares the fast canonicalizer, header split and unfold with
// their references on arbitrary bytes.
func FuzzCanon(f *testing.F) {
	for _, s := range []string{"A: b\r\n c\r\n\r\nx  y \t\r\n\r\n\r\n", "From a\nB: c\n\n\n", " \t\n\r\r\n", "\xc2\r\n\x85"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkCanonSame(t, raw)
		checkSplitSame(t, raw)
	})
}

// TestSimpleMailboxMatchesNetMail: when the fast path takes a From value,
// net/mail gives the same single address.
func TestSimpleMailboxMatchesNetMail(t *testing.T) {
	pieces := []string{"a", "Bob", "x.y", "@", ".", " ", `"`, "<", ">", "=?", "?=", ",", `\`, "é", "(", ")", "-", "=", "\t", "[", "]", ":"}
	r := rand.New(rand.NewPCG(9, 10))
	for range 200000 {
		v := strings.TrimSpace(gentext.Join(r, pieces, r.IntN(12)))
		_, addr, ok := rfc5322.SimpleMailbox(v)
		if !ok {
			continue
		}
		list, err := mail.ParseAddressList(v)
		if err != nil || len(list) != 1 || list[0].Address != addr {
			t.Fatalf("rfc5322.SimpleMailbox(%q) = %q; net/mail: %v, %v", v, addr, list, err)
		}
	}
}

// TestMaybeARCKeepsEveryMatch: the quick name test in collectARC never
// drops a name strings.EqualFold matches, Unicode folds (ſ, K) included.
func TestMaybeARCKeepsEveryMatch(t *testing.T) {
	pieces := []string{"A", "a", "R", "r", "C", "c", "-", "S", "s", "ſ", "e", "E", "a", "l", "L", "K", "k", "M", "Message", "Signature", "Authentication", "Results", "ARC-"}
	names := []string{"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"}
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []string{"ARC-ſeal", "arc-seal", "ARC-Meſſage-Signature", "ARC-SEAL"} {
		if !maybeARC(n) {
			t.Errorf("maybeARC(%q) = false", n)
		}
	}
	for range 200000 {
		n := gentext.Join(r, pieces, r.IntN(8))
		for _, want := range names {
			if strings.EqualFold(n, want) && !maybeARC(n) {
				t.Fatalf("maybeARC(%q) = false, but it folds to %s", n, want)
			}
		}
	}
}

// refKind is the kind of a field of that name: the one of offlineNames it
// equals under strings.EqualFold.
func refKind(name string) fieldKind {
	for i, n := range offlineNames {
		if strings.EqualFold(name, n) {
			return fieldKind(i + 1)
		}
	}
	return kindOther
}
