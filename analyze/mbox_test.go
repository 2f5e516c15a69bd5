package analyze

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// mboxWant is what a message read from an mbox must be: where it starts,
// something it holds, and how it ends.
type mboxWant struct {
	line       int
	holds, end string
}

func checkMbox(t *testing.T, name string, got []Source, want []mboxWant) {
	t.Helper()
	if len(got) != len(want) {
		var lines []int
		for _, s := range got {
			lines = append(lines, s.Line)
		}
		t.Errorf("%s: %d messages at lines %v, want %d", name, len(got), lines, len(want))
		return
	}
	for i, w := range want {
		s, raw := got[i], string(got[i].Raw)
		if s.Err != nil || s.Index != i+1 || s.Line != w.line || !strings.Contains(raw, w.holds) || !strings.HasSuffix(raw, w.end) {
			t.Errorf("%s: message %d: index %d, line %d, err %v, raw %q; want line %d holding %q, ending %q",
				name, i+1, s.Index, s.Line, s.Err, abbreviate(raw), w.line, w.holds, w.end)
		}
	}
}

// TestReadMboxContentLengthFiles: the mboxcl and mboxcl2 samples of
// testdata/mbox (see its README.md) split where their Content-Length says,
// not at the body lines shaped like a separator, and each message is its
// bytes as stored, ">From " lines included, starting at its own line.
func TestReadMboxContentLengthFiles(t *testing.T) {
	tests := []struct {
		file string
		want []mboxWant
	}{
		{"01-mboxcl2.mbox", []mboxWant{
			{1, "\n\nFrom joe@example.com Mon Jan  1 00:00:00 2024\n", "\n\n>From here on, quoted by Joe himself.\n\nAlice\n"},
			{23, "Subject: lunch\n", "\n\nNoon?\n"},
			{36, "\n\nFrom erin@example.org Thu Dec 28 17:30:00 2023\n", "\n\nold body\n"}}},
		{"02-mboxcl.mbox", []mboxWant{
			{1, "\n\n>From the start it was quoted by the delivery agent.\n", "\n\nAlice\n"},
			{17, "Subject: second\n", "\n\nHello.\n"}}},
		{"03-mboxcl2-crlf.mbox", []mboxWant{
			{1, "\r\n\r\nFrom mallory@example.com Mon Jan  1 00:00:00 2024\r\n", "\r\n\r\nstill Alice's body\r\n"},
			{16, "Subject: crlf two\r\n", "\r\n\r\nHi.\r\n"}}},
	}
	for _, tt := range tests {
		path := filepath.Join("..", "testdata", "mbox", tt.file)
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, []string{path}, "")
		checkMbox(t, tt.file, got, tt.want)
		for _, s := range got {
			if !bytes.Contains(file, s.Raw) {
				t.Errorf("%s: message %d is not the file's bytes: %q", tt.file, s.Index, abbreviate(string(s.Raw)))
			}
		}
	}
}

const (
	clSepA = "From a@example.org Mon Jan  1 00:00:00 2024\n"
	clSepB = "From b@example.org Tue Jan  2 00:00:00 2024\n"
	clFake = "From joe@example.com Mon Jan  1 00:00:00 2024\n" // a body line shaped like a separator
	clBody = "hi\n\n" + clFake + "x\n"                         // 4 lines
	clNext = "\n" + clSepB + "Subject: b\n\nb\n"
)

// clField is a Content-Length field stating the length of body plus delta.
func clField(body string, delta int) string {
	return "Content-Length: " + strconv.Itoa(len(body)+delta) + "\n"
}

// TestReadMboxContentLength: a Content-Length confirmed by what follows
// the body (the end of the input, or one blank line and a separator)
// delimits the body, whatever the body holds. The old reader split each
// of these at the body line shaped like a separator, or unquoted ">From ".
func TestReadMboxContentLength(t *testing.T) {
	crlf := strings.ReplaceAll(clBody, "\n", "\r\n")
	tests := []struct {
		name, mbox string
		want       []mboxWant
	}{
		{"confirmed by the next separator",
			clSepA + clField(clBody, 0) + "\n" + clBody + clNext,
			[]mboxWant{{1, clFake, "\n\n" + clBody}, {9, "Subject: b", "\n\nb\n"}}},
		{"CRLF, counted with its CRs",
			strings.ReplaceAll(clSepA+clField(crlf, 0)+"\n", "\n", "\r\n") + crlf + strings.ReplaceAll(clNext, "\n", "\r\n"),
			[]mboxWant{{1, "\r\n" + clFake[:len(clFake)-1] + "\r\n", "\r\n\r\n" + crlf}, {9, "Subject: b", "\r\n\r\nb\r\n"}}},
		{"the body ends the input",
			clSepA + clField(clBody, 0) + "\n" + clBody,
			[]mboxWant{{1, clFake, "\n\n" + clBody}}},
		{"the body and the blank line after it end the input",
			clSepA + clField(clBody, 0) + "\n" + clBody + "\n",
			[]mboxWant{{1, clFake, "\n\n" + clBody}}},
		{"the body ends the input without a line end",
			clSepA + clField(clBody, -1) + "\n" + clBody[:len(clBody)-1],
			[]mboxWant{{1, clFake, "\n\n" + clBody[:len(clBody)-1]}}},
		{"the body's own blank line before the next separator is kept",
			clSepA + clField(clBody+"\n", 0) + "\n" + clBody + "\n" + clNext,
			[]mboxWant{{1, clFake, "\n\n" + clBody + "\n"}, {10, "Subject: b", "\n\nb\n"}}},
		{"folded value",
			clSepA + "Content-Length:\n " + strconv.Itoa(len(clBody)) + "\n\n" + clBody + clNext,
			[]mboxWant{{1, clFake, clBody}, {10, "Subject: b", "b\n"}}},
		{"name in capitals, white space and leading zeros in the value",
			clSepA + "CONTENT-LENGTH:\t 000" + strconv.Itoa(len(clBody)) + " \n\n" + clBody + clNext,
			[]mboxWant{{1, clFake, clBody}, {9, "Subject: b", "b\n"}}},
		{"two fields that agree",
			clSepA + clField(clBody, 0) + "Subject: a\n" + clField(clBody, 0) + "\n" + clBody + clNext,
			[]mboxWant{{1, clFake, clBody}, {11, "Subject: b", "b\n"}}},
		{"a bare CR in the body ends a line, as Split counts them",
			clSepA + clField("a\r"+clBody, 0) + "\n" + "a\r" + clBody + clNext,
			[]mboxWant{{1, clFake, clBody}, {10, "Subject: b", "b\n"}}},
		{"a >From line in the body is kept as stored",
			clSepA + clField(">From here\n"+clBody, 0) + "\n" + ">From here\n" + clBody + clNext,
			[]mboxWant{{1, "\n>From here\n", clBody}, {10, "Subject: b", "b\n"}}},
		{"each message by its own length",
			clSepA + clField(clBody, 0) + "\n" + clBody + "\n" + clSepB + clField(clBody, 0) + "\n" + clBody,
			[]mboxWant{{1, clFake, clBody}, {9, clFake, clBody}}},
		// Trusted as mutt trusts it: a wrong length that points at a blank
		// line and a line shaped like a separator splits the body there.
		{"a length that ends at a separator-shaped body line",
			clSepA + clField(clBody, 0) + "\n" + clBody + "\n" + clFake + "y\n",
			[]mboxWant{{1, clFake, clBody}, {9, clFake, "\ny\n"}}},
	}
	for _, tt := range tests {
		checkMbox(t, tt.name, collect(t, nil, tt.mbox), tt.want)
	}
}

// TestReadMboxContentLengthFallback: a Content-Length that is missing,
// unreadable or not confirmed leaves the mbox to the separator scan, so
// that each of these is split exactly as the old reader split it: at the
// body line shaped like a separator too. Each is a near miss of a case
// TestReadMboxContentLength confirms.
func TestReadMboxContentLengthFallback(t *testing.T) {
	n := strconv.Itoa(len(clBody))
	crlf := strings.ReplaceAll(clSepA+clField(clBody, 0)+"\n"+clBody+clNext, "\n", "\r\n") // length counted before CRs were added
	tests := []struct{ name, mbox string }{
		{"no Content-Length (mboxo)", clSepA + "\n" + clBody + clNext},
		{"not a number", clSepA + "Content-Length: " + n + "abc\n\n" + clBody + clNext},
		{"negative", clSepA + "Content-Length: -" + n + "\n\n" + clBody + clNext},
		{"with a sign", clSepA + "Content-Length: +" + n + "\n\n" + clBody + clNext},
		{"empty", clSepA + "Content-Length:\n\n" + clBody + clNext},
		{"two numbers", clSepA + "Content-Length: 1 " + n + "\n\n" + clBody + clNext},
		{"folded into two numbers", clSepA + "Content-Length: 1\n " + n + "\n\n" + clBody + clNext},
		{"larger than a message may be", clSepA + "Content-Length: 268435457\n\n" + clBody + clNext},
		{"beyond 64 bits", clSepA + "Content-Length: 99999999999999999999999\n\n" + clBody + clNext},
		{"past the end of the input", clSepA + clField(clBody+clNext, 1) + "\n" + clBody + clNext},
		{"zero", clSepA + "Content-Length: 0\n\n" + clBody + clNext},
		{"inside the last line", clSepA + clField(clBody, -1) + "\n" + clBody + clNext},
		// mutt takes this one: it skips one octet after the body, whatever it is.
		{"inside the last line, which a separator follows without a blank line",
			clSepA + clField(clBody, -1) + "\n" + clBody + clSepB + "\nb\n" + clNext},
		{"one octet long: the blank line after the body counted in", clSepA + clField(clBody, 1) + "\n" + clBody + clNext},
		{"followed by text, not a blank line", clSepA + clField("hi\n\n"+clFake, 0) + "\n" + clBody + clNext},
		{"followed by a blank line and text", clSepA + clField("hi\n", 0) + "\n" + "hi\n\ntext\n" + clBody + clNext},
		{"followed by a separator without a blank line", clSepA + clField(clBody, 0) + "\n" + clBody + clSepB + "\nb\n" + clNext},
		{"followed by two blank lines", clSepA + clField(clBody, 0) + "\n" + clBody + "\n" + clNext},
		{"followed by a separator whose time is past separatorCheck",
			clSepA + clField(clBody, 0) + "\n" + clBody + "\nFrom " + strings.Repeat("b", separatorCheck) + "@example.org Tue Jan  2 00:00:00 2024\n\nb\n"},
		{"two fields that disagree, the last one right", clSepA + clField(clBody, 1) + clField(clBody, 0) + "\n" + clBody + clNext},
		{"two fields that disagree, the first one right", clSepA + clField(clBody, 0) + clField(clBody, 1) + "\n" + clBody + clNext},
		{"two fields, one unreadable", clSepA + clField(clBody, 0) + "Content-Length: x\n\n" + clBody + clNext},
		{"a value longer than maxLengthValue", clSepA + "Content-Length: " + strings.Repeat("0", maxLengthValue) + n + "\n\n" + clBody + clNext},
		{"a field longer than a piece", clSepA + "Content-Length: " + strings.Repeat(" ", mboxPiece) + n + "\n\n" + clBody + clNext},
		{"a value cut by the end of a piece: the right length, then a 0",
			clSepA + "Content-Length" + strings.Repeat(" ", mboxPiece-len("Content-Length: ")-len(n)) + ": " + n + "0\n\n" + clBody + clNext},
		{"after the line that ends the header", clSepA + "not a field\n" + clField(clBody, 0) + "\n" + clBody + clNext},
		{"in the body", clSepA + "\n" + clField(clBody, 0) + "\n" + clBody + clNext},
		{"counted before CRLF line ends were made", crlf},
	}
	for _, tt := range tests {
		got := readAllMbox(newReadMbox, strings.NewReader(tt.mbox))
		if want := readAllMbox(refReadMbox, strings.NewReader(tt.mbox)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, want)
		}
		if n := strings.Count(got, "err <nil>"); n != 3 {
			t.Errorf("%s: %d messages, want 3 (split at the line shaped like a separator): %s", tt.name, n, got)
		}
	}
}

// TestReadMboxContentLengthOversize: a message over the size limit is one
// error entry, as before, also when its Content-Length says where it ends:
// the body is passed over whole, not split at its lines.
func TestReadMboxContentLengthOversize(t *testing.T) {
	mbox := clSepA + clField(clBody, 0) + "\n" + clBody + clNext
	var got []Source
	m := &mboxReader{name: "m", in: lookahead{r: strings.NewReader(mbox)}, limit: 80, prevBlank: true, atLineStart: true,
		fn: func(s Source) error { got = append(got, s); return nil }}
	if err := m.run(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Err == nil || got[0].Line != 1 || got[1].Err != nil || got[1].Line != 9 {
		t.Fatalf("got %+v; want an error entry at line 1 and a message at line 9", got)
	}
	if !strings.Contains(got[0].Err.Error(), "larger than 80 bytes") {
		t.Errorf("error %v", got[0].Err)
	}
}

// TestReadMboxHugeLength: a Content-Length as large as a message may be,
// in a small file, is not allocated: the reader looks ahead only as far
// as the file goes.
func TestReadMboxHugeLength(t *testing.T) {
	mbox := clSepA + "Content-Length: 268435456\n\n" + clBody + clNext
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := readAllMbox(newReadMbox, strings.NewReader(mbox))
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("allocated %d bytes", n)
	}
	if strings.Count(got, "err <nil>") != 3 {
		t.Errorf("got %s, want the separator scan's 3 messages", got)
	}
}

// TestReadMboxContentLengthReadError: a body that the input's error, not
// its end, follows, right away or after a blank line, is not confirmed:
// the mbox is read as before, and the error reported after its messages.
func TestReadMboxContentLengthReadError(t *testing.T) {
	for _, mbox := range []string{clSepA + clField(clBody, 0) + "\n" + clBody, clSepA + clField(clBody, 0) + "\n" + clBody + "\n"} {
		open := func() io.Reader { return io.MultiReader(strings.NewReader(mbox), iotest.ErrReader(errTestRead)) }
		got, want := readAllMbox(newReadMbox, open()), readAllMbox(refReadMbox, open())
		if got != want || !strings.Contains(got, errTestRead.Error()) {
			t.Errorf("got %s\nwant %s", got, want)
		}
	}
}

// TestParseLength: what a Content-Length value may be.
func TestParseLength(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"184", 184, true},
		{" \t0012 \t", 12, true},
		{"0", 0, true}, // read, but no length takeBody takes
		{"268435456", maxMessageBytes, true},
		{"268435457", 0, false}, // more than a message may hold
		{"2684354560", 0, false},
		{"99999999999999999999999999", 0, false},
		{"", 0, false},
		{" ", 0, false},
		{"+5", 0, false},
		{"-5", 0, false},
		{"5 6", 0, false},
		{"5;", 0, false},
		{"0x10", 0, false},
		{"\u0665", 0, false}, // a digit, but not an ASCII one
	}
	for _, tt := range tests {
		n, ok := parseLength([]byte(tt.in))
		if n != tt.want || ok != tt.ok {
			t.Errorf("parseLength(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
}

// FuzzReadMbox: whatever the bytes, the reader ends without a panic; an
// input without a Content-Length, a Thunderbird or Takeout separator or a
// folder's internal data (which the old reader read as a message) is
// split as the old reader split it;
// and every message starts at the line of the input it says, counted as
// Split counts lines.
func FuzzReadMbox(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "mbox", "*.mbox"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(clSepA + clField(clBody, 0) + "\n" + clBody + clNext))
	f.Add([]byte(clSepA + "Content-Length:\r\n 52\r\n\r\n" + clBody + "\r\n\r\r\n" + clSepB))
	f.Add([]byte("From - Mon Nov 16 09:00:00 2026\nSubject: a\n\nx\nFrom - Mon Nov 16 09:01:00 2026\n\ny"))
	f.Add([]byte("\xef\xbb\xbf\n" + clSepA + ">From x\r\rContent-Length: 3\n\nab\n\n" + clSepB))
	f.Fuzz(func(t *testing.T, in []byte) {
		var got []Source
		err := readMbox("m", bytes.NewReader(in), func(s Source) error { got = append(got, s); return nil })
		if err != nil {
			t.Fatal(err)
		}
		// Thunderbird's and Takeout's separators split without a blank
		// line before them, which the old reader did not do.
		if !bytes.Contains(bytes.ToLower(in), []byte("content-length")) && !bytes.Contains(in, []byte("From - ")) && !bytes.Contains(in, []byte("@xxx ")) &&
			!bytes.Contains(in, []byte(folderDataSubject)) {
			want := readAllMbox(refReadMbox, bytes.NewReader(in))
			if s := readAllMbox(newReadMbox, bytes.NewReader(in)); s != want {
				t.Fatalf("got %s\nwant %s", s, want)
			}
		}
		checkMessageLines(t, in, got)
	})
}

// checkMessageLines holds each message's Line to the input: the input's
// line there is the message's first line. Inputs of a read piece or more
// are left out: a CRLF that a piece boundary cuts counts as two lines in
// the separator scan, as it did before Content-Length was read.
func checkMessageLines(t *testing.T, in []byte, got []Source) {
	if len(in) >= mboxPiece {
		return
	}
	lines := splitLinesLikeSplit(in)
	size := 0
	skipped := 0 // a folder's internal data, passed over as message 1
	if len(got) > 0 && got[0].Index == 2 && bytes.Contains(in, []byte(folderDataSubject)) {
		skipped = 1
	}
	for i, s := range got {
		size += len(s.Raw)
		// The one error entry an input in memory can give: the last
		// message, cut short of the body its Content-Length states.
		truncated := s.Err != nil && i == len(got)-1 && strings.Contains(s.Err.Error(), "truncated")
		if s.Index != i+1+skipped || s.Err != nil && !truncated || s.Line < 1 || s.Line > len(lines) {
			t.Fatalf("message %d: index %d, line %d of %d, err %v", i+1, s.Index, s.Line, len(lines), s.Err)
		}
		if truncated {
			continue
		}
		if first := splitLinesLikeSplit(s.Raw); len(first) == 0 || first[0] != lines[s.Line-1] {
			t.Fatalf("message %d says line %d, %q, but starts with %q", i+1, s.Line, lines[s.Line-1], first)
		}
	}
	if size > len(in) {
		t.Fatalf("messages hold %d bytes of %d", size, len(in))
	}
}

// splitLinesLikeSplit cuts b into lines, each ended by a CRLF, an LF or a
// bare CR, as Split reads them.
func splitLinesLikeSplit(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			return append(lines, string(b))
		}
		lines = append(lines, string(b[:i]))
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return lines
}

// TestReadMboxContentLengthCut: in an mbox whose Content-Length fields
// were all confirmed (mboxcl2, 01-mboxcl2.mbox), a last body that runs
// past the end of the file was cut short. It was read as if whole, and the
// separator-shaped line of the forwarded message it holds split it in two;
// now it is one error entry, and the messages before it are read. With a
// length that was not confirmed before it, the last one may be a sender's
// and wrong: the message is read by the separator scan, as before.
func TestReadMboxContentLengthCut(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("..", "testdata", "mbox", "01-mboxcl2.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.mbox")
	if err := os.WriteFile(cut, file[:len(file)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	got := collect(t, []string{cut}, "")
	if len(got) != 3 || got[0].Err != nil || got[1].Err != nil || got[2].Err == nil ||
		got[2].Index != 3 || got[2].Line != 36 || !strings.Contains(got[2].Err.Error(), "truncated") {
		t.Errorf("cut mboxcl2: got %+v, want two messages and an error entry for message 3 at line 36", got)
	}

	// A sender's wrong length before it: not the writer's, nothing is cut.
	mixed := clSepA + clField(clBody, 5) + "Subject: a\n\n" + clBody + clNext[:len(clNext)-2] + "\n" +
		"\n" + clSepA + clField("x\n", 100) + "Subject: c\n\nx\n"
	got = collect(t, nil, mixed)
	for _, s := range got {
		if s.Err != nil {
			t.Errorf("mixed lengths: %v", s.Err)
		}
	}
	if len(got) != 4 { // clBody's separator-shaped line splits the first, unconfirmed
		t.Errorf("mixed lengths: %d messages, want 4", len(got))
	}
}

// TestReadMboxFolderInternalData: the message UW IMAP's c-client (Pine,
// Alpine) and Dovecot put first in an mbox to keep its UIDs is not mail:
// it is passed over, and the messages after it keep their numbers. It was
// read as a message from nowhere. Anywhere else, with a Received field or
// without X-IMAP, the same subject is a message like any other.
func TestReadMboxFolderInternalData(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("..", "testdata", "mbox", "pine-folder-data.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, nil, string(file))
	if len(got) != 1 || got[0].Index != 2 || got[0].Line != 14 || !bytes.Contains(got[0].Raw, []byte("Subject: hello")) {
		t.Fatalf("sources %+v, want message 2 (line 14) alone", got)
	}

	pseudo, real, _ := bytes.Cut(file, []byte("\n\nFrom alice@"))
	pseudo, real = append(pseudo, "\n\n"...), append([]byte("From alice@"), real...)
	tests := []struct {
		name  string
		mbox  []byte
		first int // Index of the first source
		n     int
	}{
		{"second in the file", append(append(slices.Clone(real), '\n'), pseudo...), 1, 2},
		{"with a Received field", bytes.Replace(pseudo, []byte("Status: RO"), []byte("Received: from x by y; Wed, 4 Oct 2006 09:00:00 +0000\nStatus: RO"), 1), 1, 1},
		{"without X-IMAP", bytes.Replace(pseudo, []byte("X-IMAP:"), []byte("X-Other:"), 1), 1, 1},
		{"another subject", bytes.Replace(pseudo, []byte("DON'T DELETE"), []byte("DO DELETE"), 1), 1, 1},
		{"CRLF", bytes.ReplaceAll(file, []byte("\n"), []byte("\r\n")), 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, nil, string(tt.mbox))
			if len(got) != tt.n || got[0].Index != tt.first {
				t.Errorf("%d sources, the first #%d; want %d, the first #%d", len(got), got[0].Index, tt.n, tt.first)
			}
		})
	}
}
