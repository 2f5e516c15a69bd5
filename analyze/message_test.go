package analyze

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSplitLineEnds(t *testing.T) {
	// The same message with the three line-end conventions found in the wild.
	base := "Received: from a\n by b; Tue, 1 Jan 2019 10:00:00 +0000\nSubject: hi\n\nbody\n"
	for name, eol := range map[string]string{"LF": "\n", "CRLF": "\r\n", "CR": "\r"} {
		t.Run(name, func(t *testing.T) {
			raw := strings.ReplaceAll(base, "\n", eol)
			m, err := Split([]byte(raw))
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(m.Fields) != 2 || m.Fields[0].Name != "Received" || m.Fields[1].Line != 3 {
				t.Fatalf("fields = %+v", m.Fields)
			}
			if got := m.Fields[0].Unfolded(); got != "from a by b; Tue, 1 Jan 2019 10:00:00 +0000" {
				t.Errorf("unfolded = %q", got)
			}
			if !strings.Contains(m.Fields[0].Value, eol+" by b") {
				t.Errorf("raw folding lost: %q", m.Fields[0].Value)
			}
			if string(m.Body) != "body"+eol || m.BodyLine != 5 {
				t.Errorf("body = %q at line %d", m.Body, m.BodyLine)
			}
		})
	}
}

func TestSplitMalformed(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		wantFields int
		wantErr    error
		wantDefect string
	}{
		{"no separator, body line ends header", "From: a@b\nSubject: x\nthis is body\n", 2, nil, "not a header field"},
		{"header only", "From: a@b\nSubject: x", 2, nil, "ends inside the header"},
		{"continuation first", " folded\nFrom: a@b\n\n", 1, nil, "continuation line before any field"},
		{"empty", "", 0, ErrNoHeader, ""},
		{"binary junk", "\x00\x01\x02\xff\xfe", 0, ErrNoHeader, "not a header field"},
		{"mbox From line kept apart", "From a@b Tue Jan  1 00:00:00 2019\nFrom: a@b\n\nx", 1, nil, ""},
		{"space before colon (obsolete syntax)", "Subject : hi\n\n", 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Split([]byte(tt.raw))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(m.Fields) != tt.wantFields {
				t.Fatalf("got %d fields %+v, want %d", len(m.Fields), m.Fields, tt.wantFields)
			}
			if tt.wantDefect != "" && !strings.Contains(strings.Join(m.Defects, "|"), tt.wantDefect) {
				t.Errorf("defects %q lack %q", m.Defects, tt.wantDefect)
			}
		})
	}
}

func TestSplitHugeLine(t *testing.T) {
	raw := append([]byte("X-Big: "), bytes.Repeat([]byte("a"), 3<<20)...)
	raw = append(raw, "\nFrom: a@b\n\nbody"...)
	m, err := Split(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Fields) != 2 || len(m.Fields[0].Value) != maxFieldBytes {
		t.Fatalf("fields: %d, first len %d", len(m.Fields), len(m.Fields[0].Value))
	}
	if !strings.Contains(strings.Join(m.Defects, "|"), "longer than") {
		t.Errorf("no defect for the cut field: %q", m.Defects)
	}
}

func TestHeaderSummary(t *testing.T) {
	raw := "From: =?UTF-8?B?QWxpY2U=?= <alice@example.org>\nTo: bob@example.net, \"Carol, C\" <carol@example.net>\n" +
		"Subject: =?iso-8859-1?q?caf=E9?=\nDate: Mon, 16 Nov 2026 09:14:58 +0000 (UTC)\nReturn-Path: <bounce@example.org>\n" +
		"Reply-To: broken <<x@y\n\n"
	m, _ := Split([]byte(raw))
	h := summarize(m)
	if len(h.From) != 1 || h.From[0].Name != "Alice" || h.From[0].Address != "alice@example.org" {
		t.Errorf("from = %+v", h.From)
	}
	if len(h.To) != 2 || h.To[1].Name != "Carol, C" {
		t.Errorf("to = %+v", h.To)
	}
	if h.Subject != "café" {
		t.Errorf("subject = %q", h.Subject)
	}
	if h.Date == nil || h.Date.Hour() != 9 {
		t.Errorf("date = %v", h.Date)
	}
	if h.ReturnPath != "bounce@example.org" {
		t.Errorf("return-path = %q", h.ReturnPath)
	}
	if len(h.ReplyTo) != 1 || h.ReplyTo[0].Address != "x@y" {
		t.Errorf("lenient reply-to = %+v", h.ReplyTo)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte("From: a@b\r\nReceived: from x\r\n by y\r\n\r\nbody"))
	f.Add([]byte("From x\n>From y\n\n"))
	f.Add([]byte("\r\r\n\n: :\t\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, _ := Split(raw)
		if m == nil {
			t.Fatal("nil message")
		}
		for _, fl := range m.Fields {
			if fl.Line < 1 {
				t.Fatalf("field %q with line %d", fl.Name, fl.Line)
			}
		}
		if len(m.Body) > len(raw) {
			t.Fatal("body longer than input")
		}
	})
}

// TestSplitStart: what may come before a header. A byte order mark and
// blank lines are left out with a defect, and so is the line Outlook writes
// above the header it shows for mail on Exchange (its Internet headers,
// saved or pasted as the message), which ended the header at line 1 and
// left the message without a field; a From field with white space
// before its colon (RFC 5322 §4.5.3) is a field, not an mbox line.
func TestSplitStart(t *testing.T) {
	for _, tt := range []struct {
		name, raw string
		from      string // the From field's value, "" for none
		fromLine  int
		mbox      string
		defect    string
	}{
		{"byte order mark", "\xef\xbb\xbfFrom: a@example.com\nSubject: b\n\nhi\n", "a@example.com", 1, "", "byte order mark"},
		{"blank lines", "\n\r\nFrom: a@example.com\n\nhi\n", "a@example.com", 3, "", "line 1: 2 blank lines"},
		{"obsolete From field", "From : a@example.com\nSubject: x\n\nhi\n", "a@example.com", 1, "", ""},
		{"mbox line", "From a@example.com Mon Jan  1 00:00:00 2024\nFrom: b@example.com\n\nhi\n", "b@example.com", 2, "From a@example.com Mon Jan  1 00:00:00 2024", ""},
		{"Outlook's Internet headers", "Microsoft Mail Internet Headers Version 2.0\r\nReceived: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: a@example.com\r\n\r\n", "a@example.com", 3, "", "line 1: Outlook's"},
		{"Outlook's line inside a header", "From: a@example.com\nMicrosoft Mail Internet Headers Version 2.0\n\nhi\n", "a@example.com", 1, "", "line 2: not a header field"},
		{"byte order mark and mbox line", "\xef\xbb\xbfFrom a@x Mon Jan  1 00:00:00 2024\nFrom: b@example.com\n\nhi\n", "b@example.com", 2, "From a@x Mon Jan  1 00:00:00 2024", "byte order mark"},
	} {
		m, err := Split([]byte(tt.raw))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		from := m.All("From")
		if len(from) != 1 || strings.TrimSpace(from[0].Value) != tt.from || from[0].Line != tt.fromLine {
			t.Errorf("%s: From fields %+v, want %q on line %d", tt.name, from, tt.from, tt.fromLine)
		}
		if m.MboxFrom != tt.mbox {
			t.Errorf("%s: mbox line %q, want %q", tt.name, m.MboxFrom, tt.mbox)
		}
		if got := strings.Join(m.Defects, "; "); (tt.defect == "") != (got == "") || !strings.Contains(got, tt.defect) {
			t.Errorf("%s: defects %q, want %q", tt.name, got, tt.defect)
		}
	}
}
