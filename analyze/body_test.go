package analyze

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSummarizeBody(t *testing.T) {
	const head = "From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n"
	tests := []struct {
		name           string
		raw            string
		text, html     int
		attachments    []Attachment
		errorSubstring string // "" means no error expected
	}{
		{name: "no MIME headers, ASCII", raw: head + "\r\nhello\r\n", text: 7},
		// Latin-1 "café" without a charset: the 0xE9 octet is kept, read as
		// windows-1252 (é, two octets in UTF-8), never dropped.
		{name: "no charset, 8-bit", raw: head + "Content-Type: text/plain\r\n\r\ncaf\xe9\r\n", text: 7},
		{name: "declared utf-8", raw: head + "Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9\r\n", text: 7},
		{name: "html only", raw: head + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n", html: 11, errorSubstring: "did not contain a text/plain part"},
		{name: "multipart with attachment",
			raw: head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
				"--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
				"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n" +
				"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--XX--\r\n",
			text: 4, attachments: []Attachment{{Name: "a.pdf", ContentType: "application/pdf", Size: 5}}},
		{name: "multipart without boundary",
			raw:            head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n",
			errorSubstring: "boundary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := Split([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			b := summarizeBody(msg)
			if b.Size != len(tt.raw) || b.TextSize != tt.text || b.HTMLSize != tt.html {
				t.Errorf("size %d text %d html %d, want %d %d %d", b.Size, b.TextSize, b.HTMLSize, len(tt.raw), tt.text, tt.html)
			}
			if len(b.Attachments) != len(tt.attachments) {
				t.Fatalf("attachments %+v, want %+v", b.Attachments, tt.attachments)
			}
			for i, a := range tt.attachments {
				if b.Attachments[i] != a {
					t.Errorf("attachment %d = %+v, want %+v", i, b.Attachments[i], a)
				}
			}
			joined := strings.Join(b.Errors, "; ")
			switch {
			case tt.errorSubstring == "" && joined != "":
				t.Errorf("errors %q, want none", joined)
			case tt.errorSubstring != "" && !strings.Contains(joined, tt.errorSubstring):
				t.Errorf("errors %q, want one about %q", joined, tt.errorSubstring)
			}
		})
	}
}

func TestParseMediaTypeDefaultCharset(t *testing.T) {
	tests := []struct{ in, mtype, charset string }{
		{"text/plain", "text/plain", "us-ascii"},
		{"text/html; charset=ISO-8859-1", "text/html", "ISO-8859-1"},
		{"application/pdf", "application/pdf", ""},
		{"attachment; filename=x.txt", "attachment", ""},
	}
	for _, tt := range tests {
		mtype, params, _, err := parseMediaTypeDefaultCharset(tt.in)
		if err != nil || mtype != tt.mtype || params["charset"] != tt.charset {
			t.Errorf("%q: %q %v %v, want %q charset %q", tt.in, mtype, params, err, tt.mtype, tt.charset)
		}
	}
}

// BenchmarkSummarizeBody is the body path alone on a 4 KiB plain-text
// message that declares no charset, the shape of most test-suite mail a
// capturing sink receives.
func BenchmarkSummarizeBody(b *testing.B) {
	raw := []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\n" +
		strings.Repeat("La de da de da 1. La de da de da 2. La de da de da 3.\r\n", 75))
	msg, err := Split(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("plain", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			summarizeBody(msg)
		}
	})
	b.Run("enmime", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			summarizeMIME(raw, bytes.NewReader(raw))
		}
	})
}

// TestPlainTextMatchesEnmime: wherever the plain-text shortcut applies, it
// gives exactly enmime's summary, over testdata and the shared corpus.
func TestPlainTextMatchesEnmime(t *testing.T) {
	var files []string
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".eml") || strings.HasSuffix(path, ".msg")) {
				files = append(files, path)
			}
			return nil
		})
	}
	plain := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := Split(raw)
		if err != nil {
			continue
		}
		if _, ok := plainText(msg); !ok {
			continue
		}
		plain++
		got, want := summarizeBody(msg), summarizeMIME(raw, bytes.NewReader(raw))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: shortcut %+v, enmime %+v", path, got, want)
		}
	}
	t.Logf("%d of %d messages took the plain-text shortcut", plain, len(files))
	if plain == 0 {
		t.Error("no message took the shortcut: the test checks nothing")
	}
}

// TestTextPartMatchesEnmime: wherever the single-text-part shortcut
// applies, it gives exactly enmime's summary, over testdata, the shared
// corpus and generated messages: Content-Type and transfer encoding
// written every way enmime reads alike or not, folded, twice, after an
// mbox line, with bodies of every kind of byte.
func TestTextPartMatchesEnmime(t *testing.T) {
	var files []string
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".eml") {
				files = append(files, path)
			}
			return nil
		})
	}
	taken, corpus := 0, 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if checkTextPart(t, path, raw) {
			corpus++
		}
	}
	r := rand.New(rand.NewPCG(13, 14))
	for range 3000 {
		if checkTextPart(t, "generated", generatedTextPart(r)) {
			taken++
		}
	}
	t.Logf("%d corpus and %d of 3000 generated messages took the shortcut", corpus, taken)
	if taken < 300 || taken > 2700 {
		t.Errorf("%d of 3000 generated messages took the shortcut: the test checks too little", taken)
	}
}

// checkTextPart compares the shortcut with enmime on raw, when it applies.
func checkTextPart(t *testing.T, name string, raw []byte) bool {
	t.Helper()
	msg, err := Split(raw)
	if err != nil {
		return false
	}
	if _, plain := plainText(msg); plain {
		return false
	}
	n, ok := textPart(msg)
	if !ok {
		return false
	}
	got := &BodySummary{Size: len(raw), TextSize: n, Attachments: []Attachment{}}
	if want := summarizeMIME(raw, bytes.NewReader(raw)); !reflect.DeepEqual(got, want) {
		t.Errorf("%s (%.300q): shortcut %+v, enmime %+v", name, raw, got, want)
	}
	return true
}

// generatedTextPart is a message of random MIME fields and a random body;
// one field in four is one that enmime reads otherwise or that keeps the
// shortcut from applying.
func generatedTextPart(r *rand.Rand) []byte {
	fields := []string{"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "content-type: text/plain; CHARSET=UTF-8",
		"Content-Type: text/plain; charset=\"us-ascii\"; format=flowed", "Content-Type: text/plain;\r\n\tcharset=utf-8",
		"Content-Type:\r\n text/plain; charset=utf-8 ", "Content-Type: text/plain; charset=utf-8; name=a.txt",
		"Content-Transfer-Encoding: 8bit", "Content-Transfer-Encoding:  BINARY  ", "Subject: s", "From: a@example.com"}
	odd := []string{"Content-Type: TEXT/PLAIN; charset=utf-8", "Content-Type: text/plain; charset=iso-8859-1", "Content-Type: text/plain; charset=utf8",
		"Content-Type: text/html; charset=utf-8", "Content-Type: text/plain; charset", "Content-Type: multipart/mixed; boundary=b",
		"Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: 7bit (plain)",
		"Content-Disposition: inline", "Content-Disposition: attachment", "X-Tab\t: x", "X-Space : x"}
	mbox := []string{"", "", "", "From a@b Mon Jan  1 00:00:00 2024\r\n", "From a@b\r\n", "From a\tb Mon Jan  1 00:00:00 2024\r\n"}
	bodies := []string{"", "hello\r\n", "h\u00e9llo\r\n", "h\xe9llo\r\n", "a\x00b\r\n", "\xff\xfe\r\n", "--b\r\nx\r\n--b--\r\n",
		strings.Repeat("boundary=x\r\n", maxMIMEUnclosed+1)}
	var b strings.Builder
	b.WriteString(mbox[r.IntN(len(mbox))])
	for range 1 + r.IntN(4) {
		if r.IntN(4) == 0 {
			b.WriteString(odd[r.IntN(len(odd))] + "\r\n")
		} else {
			b.WriteString(fields[r.IntN(len(fields))] + "\r\n")
		}
	}
	b.WriteString("\r\n")
	for range r.IntN(3) {
		b.WriteString(bodies[r.IntN(len(bodies))])
	}
	return []byte(b.String())
}

// nestedMIME builds a message of depth multiparts inside each other, the
// innermost holding a text part; closed says how many of them, from the
// innermost out, end with their close delimiter.
func nestedMIME(depth, closed int) []byte {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nDate: Mon, 16 Nov 2026 10:15:00 +0000\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; BOUNDARY=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nhi\r\n", depth-1)
	for i := depth - 1; i >= depth-closed; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestMIMENestingLimit: multiparts left open to the end cost enmime twice as
// much per level, so past the limits the body is not decoded and the summary
// says why; nesting that closes is decoded at any depth below the bound.
func TestMIMENestingLimit(t *testing.T) {
	for _, tc := range []struct {
		depth, closed int
		refused       bool
	}{
		{maxMIMEUnclosed, 0, false},
		{maxMIMEUnclosed + 1, 0, true},
		{40, 40, false},
		{40, 40 - maxMIMEUnclosed, false},
		{40, 40 - maxMIMEUnclosed - 1, true},
		{maxMIMENesting + 1, maxMIMENesting + 1, true},
	} {
		raw := nestedMIME(tc.depth, tc.closed)
		b := summarizeMIME(raw, bytes.NewReader(raw))
		refused := len(b.Errors) > 0 && strings.HasPrefix(b.Errors[0], "MIME nesting too deep")
		if refused != tc.refused {
			t.Errorf("depth %d, %d closed: refused %v, want %v (%q)", tc.depth, tc.closed, refused, tc.refused, b.Errors)
		}
		if !refused && b.TextSize == 0 {
			t.Errorf("depth %d, %d closed: text size %d, want the text part", tc.depth, tc.closed, b.TextSize)
		}
	}
}

func TestMIMENesting(t *testing.T) {
	for _, tc := range []struct {
		raw                      string
		deepest, unclosed, parts int
	}{
		{"Content-Type: text/plain\r\n\r\nboundary talk without an equals sign\r\n--x\r\n", 0, 0, 0},
		{"Content-Type: multipart/mixed;\r\n boundary=\"a b;c\"\r\n\r\n--a b;c\r\n\r\nx\r\n--a b;c--\r\n", 1, 0, 1},
		// "--b10" is a delimiter of b10, not of b1 nested inside it.
		{"boundary=b10\r\n--b10\r\nboundary=b1\r\n--b1\r\n--b10\r\n--b10--\r\n", 2, 0, 3},
		{"boundary=b1\r\n--b1\r\nboundary=b2\r\n--b2\r\nboundary=b3\r\n--b1--\r\n", 3, 0, 2},
		{"boundary=b1\r\nboundary=b2\r\n--b1 \r\n", 2, 1, 1},
		// A delimiter of no open multipart begins no part.
		{"boundary=b1\r\n--b1\r\n--b2\r\n--b1--\r\n--b1\r\n", 1, 0, 1},
	} {
		d, u, p := mimeNesting([]byte(tc.raw), maxMIMENesting)
		if d != tc.deepest || u != tc.unclosed || p != tc.parts {
			t.Errorf("mimeNesting(%q) = %d, %d, %d; want %d, %d, %d", tc.raw, d, u, p, tc.deepest, tc.unclosed, tc.parts)
		}
	}
}

// TestMIMEParts: a body of more than maxMIMEParts parts is not given to
// enmime, whose time grows with the square of the parts, and the body
// summary says so; the header is analysed all the same.
func TestMIMEParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nTo: b@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	for i := range maxMIMEParts + 1 {
		fmt.Fprintf(&b, "--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--B--\r\n")
	m := New(Options{Now: rulesNow, DNSMode: "offline"}).Analyze(context.Background(), Input{Raw: []byte(b.String())})
	want := fmt.Sprintf("MIME has %d parts (at most %d are decoded); body not decoded", maxMIMEParts+1, maxMIMEParts)
	if m.Body == nil || !slices.Equal(m.Body.Errors, []string{want}) || m.Header.From[0].Address != "a@example.org" {
		t.Errorf("body %+v, header %+v; want the error %q", m.Body, m.Header, want)
	}
}

// TestMIMENestingCorpus: no real message comes near the limits.
func TestMIMENestingCorpus(t *testing.T) {
	n := 0
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") || strings.Contains(path, "hostile") {
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n++
			if deepest, unclosed, parts := mimeNesting(raw, maxMIMENesting); deepest > 8 || unclosed > 4 || parts > 100 {
				t.Errorf("%s: %d nested, %d unclosed, %d parts", path, deepest, unclosed, parts)
			}
			return nil
		})
	}
	if n == 0 {
		t.Skip("no messages")
	}
	t.Logf("%d messages", n)
}

// bigValue is a field value over bigFieldBytes.
var bigValue = strings.Repeat("lorem ipsum =?utf-8?q?dolor?= \xff sit amet ", bigFieldBytes/40+1)

// TestMIMEInputMatchesRaw: enmime given the message without the long
// fields it reads nothing from (mimeInput) summarises it as it does the
// whole message: on crafted headers where a field is left out, or must
// not be, and on generated ones.
func TestMIMEInputMatchesRaw(t *testing.T) {
	const mixed = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	const body = "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b--\r\n"
	for _, tc := range []struct {
		name, raw string
		omitted   bool
	}{
		{"long Subject", "From: a@example.com\r\nSubject: " + bigValue + "\r\n" + mixed + body, true},
		{"long first field", "X-Big: " + bigValue + "\r\nFrom: a@example.com\r\n" + mixed + body, true},
		{"long folded field, LF", "From: a@example.com\nReferences:" + strings.Repeat("\n <a@example.com>", bigFieldBytes/16) + "\n" + mixed + body, true},
		{"long field last", mixed + "X-Big: " + bigValue + "\r\n" + body, true},
		{"HTML only", "Subject: " + bigValue + "\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n", true},
		{"after the mbox line's first field", "From a@example.com Mon Jan  1 00:00:00 2024\r\nFrom: a@example.com\r\nX-Big: " + bigValue + "\r\n" + mixed + body, true},
		// enmime reads an mbox line as a field, and without a colon runs it into the next.
		{"first field after an mbox line", "From a@example.com\r\nX-Big: " + bigValue + "\r\n" + mixed + body, false},
		{"white space before the colon", "X-Big : " + bigValue + "\r\n" + mixed + body, false},
		{"tab before the colon", "From: a@example.com\r\nX-Big\t: " + bigValue + "\r\n" + mixed + body, false},
		{"long Content- field", "Content-Description: " + bigValue + "\r\n" + mixed + body, false},
		{"long content-type", "MIME-Version: 1.0\r\ncontent-type: multipart/mixed; boundary=b; x=\"" + bigValue + "\"\r\n" + body, false},
		{"byte order mark", "\ufeffX-Big: " + bigValue + "\r\n" + mixed + body, false},
		{"bare CR", "From: a@example.com\rX-Big: " + bigValue + "\r\n" + mixed + body, false},
		{"no body", "From: a@example.com\r\nX-Big: " + bigValue, false},
		{"a line that is no field", "X-Big: " + bigValue + "\r\nnot a field\r\n" + mixed + body, false},
	} {
		msg, _ := Split([]byte(tc.raw))
		if omitted := len(msg.big) > 0 && len(msg.Defects) == msg.cuts && !msg.bareCR; omitted != tc.omitted {
			t.Errorf("%s: left out %v, want %v", tc.name, omitted, tc.omitted)
		}
		checkMIMEInput(t, tc.name, msg)
	}
	r := rand.New(rand.NewPCG(11, 12))
	omitted := 0
	for range 200 {
		msg, _ := Split(generatedMIME(r))
		if checkMIMEInput(t, "generated", msg) {
			omitted++
		}
	}
	t.Logf("%d of 200 generated messages had a field left out", omitted)
	if omitted < 20 {
		t.Errorf("only %d generated messages had a field left out", omitted)
	}
}

// generatedMIME is a message of random header lines, long ones among them,
// and a random body, for TestMIMEInputMatchesRaw. One line in five is one
// that keeps the long fields in (white space before a colon, a line that
// is no field, a CR alone...).
func generatedMIME(r *rand.Rand) []byte {
	lines := []string{"X-Big: " + bigValue, "Subject: s", " continued", "MIME-Version: 1.0",
		"References:" + strings.Repeat("\r\n <a@example.com>", bigFieldBytes/16),
		"Content-Type: multipart/mixed; boundary=b", "content-type: text/html", "From a@b Mon Jan  1 00:00:00 2024"}
	odd := []string{"x-big\t:" + bigValue, "X-Big :" + bigValue, "From a@b", "not a field", "\ufeffX: y", "Subject: \r"}
	bodyLines := []string{"--b", "--b--", "Content-Type: text/plain", "Content-Type: image/png", "", "text"}
	var b bytes.Buffer
	for range r.IntN(8) {
		line := lines[r.IntN(len(lines))]
		if r.IntN(5) == 0 {
			line = odd[r.IntN(len(odd))]
		}
		b.WriteString(line + [...]string{"\r\n", "\n"}[r.IntN(2)])
	}
	b.WriteString("\r\n")
	for range r.IntN(12) {
		b.WriteString(bodyLines[r.IntN(len(bodyLines))] + "\r\n")
	}
	return b.Bytes()
}

// checkMIMEInput compares enmime's summaries of msg from its header on
// (past a byte order mark, blank lines and an mbox "From " line, which
// Split leaves out) and of its mimeInput, and reports whether that left
// something out.
func checkMIMEInput(t *testing.T, name string, msg *Message) bool {
	t.Helper()
	in := mimeInput(msg)
	got, want := summarizeMIME(msg.Raw, in), summarizeMIME(msg.Raw, bytes.NewReader(msg.Raw[msg.headerStart:]))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s (%.200q): without the long fields %+v, whole %+v", name, msg.Raw, got, want)
	}
	_, whole := in.(*bytes.Reader)
	return !whole
}

// TestMIMEErrorCut: an error of enmime's that quotes a header line longer
// than a field may be is cut as the field is, at a rune's start.
func TestMIMEErrorCut(t *testing.T) {
	junk := strings.Repeat("é ", maxFieldBytes/2) // no colon: enmime quotes it as a continuation not indented
	raw := []byte("From: a@example.com\r\nSubject: s\r\n" + junk + "\r\n\r\nbody\r\n")
	b := summarizeMIME(raw, bytes.NewReader(raw)) // summarizeBody does not give enmime such a line
	if len(b.Errors) != 1 {
		t.Fatalf("errors %.200q, want the one quoting the line", b.Errors)
	}
	e := b.Errors[0]
	if !strings.HasPrefix(e, `[W] Malformed Header: Continued line "é é `) || !strings.HasSuffix(e, "…") ||
		len(e) > maxFieldBytes+len("…") || !utf8.ValidString(e) {
		t.Errorf("error of %d bytes, %.60q…%q: want it cut to %d bytes and marked", len(e), e, e[max(len(e)-20, 0):], maxFieldBytes)
	}
	// Without a colon before it, an mbox line runs into the field after
	// it, and enmime's parse fails on a line that starts with a space.
	raw = []byte("From a@example.com\r\nX: " + junk + "\r\n\r\nbody\r\n")
	if b := summarizeMIME(raw, bytes.NewReader(raw)); len(b.Errors) != 1 || len(b.Errors[0]) > maxFieldBytes+len("…") ||
		!strings.HasPrefix(b.Errors[0], "MIME parse: ") {
		t.Errorf("errors %.200q, want the parse error, cut", b.Errors)
	}
	if short := "[W] Malformed Header: short"; cutError(short) != short {
		t.Errorf("cutError(%q) = %q", short, cutError(short))
	}
}

// FuzzTextPartLikeEnmime holds the text-part shortcut to enmime on any
// input the shortcut takes: the summary must be the one enmime gives.
func FuzzTextPartLikeEnmime(f *testing.F) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 40 {
		f.Add(generatedTextPart(r))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkTextPart(t, "fuzzed", raw)
	})
}

// TestLongMIMEHeaderLine: a line longer than a field may be, in what enmime
// reads as the header, is not given to it (it copies such a line many
// times over), unless it is a field enmime is given the message without.
func TestLongMIMEHeaderLine(t *testing.T) {
	long := strings.Repeat("A", maxFieldBytes+1)
	const mime = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	for _, tc := range []struct {
		name, raw string
		line      int // 0: decoded
	}{
		{"junk line that ends Split's header", "From: a@example.com\r\n" + mime + long + "\r\n\r\nbody\r\n", 4},
		{"long Subject, header read alike", "From: a@example.com\r\nSubject: " + long + "\r\n" + mime + "\r\nbody\r\n", 0},
		// A CR alone ends a line for Split, not for enmime: no field is left out.
		{"long Subject, header read otherwise", "From: a@example.com\r\nX-Odd: a\rb\r\nSubject: " + long + "\r\n" + mime + "\r\nbody\r\n", 4},
		{"long Content-Type", "From: a@example.com\r\nContent-Type: text/plain; x=" + long + "\r\n\r\nbody\r\n", 2},
		{"long line in the body", "From: a@example.com\r\n" + mime + "\r\n" + long + "\r\n", 0},
		{"long line in the body, LF", "From: a@example.com\n" + strings.ReplaceAll(mime, "\r", "") + "\n" + long + "\n", 0},
		{"no blank line at all", "From: a@example.com\r\n" + mime + "body\r\n" + long, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, _ := Split([]byte(tc.raw))
			if got := longMIMEHeaderLine(msg); got != tc.line {
				t.Fatalf("line %d, want %d", got, tc.line)
			}
			b := summarizeBody(msg)
			refused := len(b.Errors) == 1 && strings.HasPrefix(b.Errors[0], fmt.Sprintf("MIME not decoded: line %d,", tc.line))
			if refused != (tc.line > 0) {
				t.Errorf("summary errors %.200q", b.Errors)
			}
		})
	}
}

// TestMIMEAfterHeaderStart: what Split leaves out before the header (a
// byte order mark, blank lines, an mbox "From " line) is not given to the
// MIME parser either, which would read it as a malformed header field.
func TestMIMEAfterHeaderStart(t *testing.T) {
	for _, lead := range []string{"\ufeff", "\r\n\r\n", "From alice@example.org Mon Jan  1 00:00:00 2024\r\n"} {
		raw := []byte(lead + "From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n")
		msg, err := Split(raw)
		if err != nil {
			t.Fatal(err)
		}
		if b := summarizeBody(msg); len(b.Errors) > 0 || b.TextSize == 0 {
			t.Errorf("%q: %+v", lead, b)
		}
	}
}
