package analyze

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
			summarizeMIME(raw)
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
		got, want := summarizeBody(msg), summarizeMIME(raw)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: shortcut %+v, enmime %+v", path, got, want)
		}
	}
	t.Logf("%d of %d messages took the plain-text shortcut", plain, len(files))
	if plain == 0 {
		t.Error("no message took the shortcut: the test checks nothing")
	}
}
