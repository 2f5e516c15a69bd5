package analyze

import (
	"bytes"
	"context"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// TestAnalyzeAll: with Options.Attached, the messages a message carries
// follow its report, depth first, each with its MIME part and with line
// numbers of the file; an attached message that is encoded is decoded, and
// its report says so: its lines are its own, and Line is where the encoded
// part starts in the file. Without the option only the carrier is reported.
func TestAnalyzeAll(t *testing.T) {
	raw, err := os.ReadFile("../testdata/attached/nested.eml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	in := Input{File: "nested.eml", Raw: raw}
	if ms := New(Options{Now: rulesNow}).AnalyzeAll(context.Background(), in); len(ms) != 1 {
		t.Fatalf("without Attached: %d reports, want 1", len(ms))
	}
	ms := New(Options{Now: rulesNow, Attached: true}).AnalyzeAll(context.Background(), in)
	var got []string
	for _, m := range ms {
		got = append(got, m.Part+":"+string(m.Verdict))
	}
	// Part 2 is the phishing report, 2/2 the forged message in it, 3 a
	// genuine message; part 4 is the genuine one again, in base64.
	if want := ":clean 2:clean 2/2:forged 3:clean 4:clean"; strings.Join(got, " ") != want {
		t.Fatalf("reports %q, want %q", strings.Join(got, " "), want)
	}
	if len(ms[0].Defects) != 0 {
		t.Errorf("carrier defects %q, want none", ms[0].Defects)
	}
	for _, m := range ms[1:4] {
		for _, h := range m.Hops {
			if h.Line < 1 || h.Line > len(lines) || !strings.HasPrefix(lines[h.Line-1], "Received: "+strings.Fields(h.Raw)[0]) {
				t.Errorf("part %s hop %d: line %d is not its Received line", m.Part, h.Index, h.Line)
			}
		}
		if m.File != "nested.eml" || m.Decoded != "" {
			t.Errorf("part %s: file %q, decoded %q", m.Part, m.File, m.Decoded)
		}
	}
	plain, encoded := ms[3], ms[4]
	if encoded.Decoded != "base64" || encoded.Line < 1 || lines[encoded.Line-1] != "UmV0dXJuLVBhdGg6IDxhbGljZUBleGFtcGxlLm9yZz4KRGVsaXZlcmVkLVRvOiBib2JAZXhhbXBs" {
		t.Errorf("part 4: decoded %q, line %d, want base64 and the line its encoded text starts", encoded.Decoded, encoded.Line)
	}
	if len(encoded.Hops) != len(plain.Hops) || encoded.Header.Subject != plain.Header.Subject {
		t.Fatalf("part 4 decoded: %d hops, subject %q; part 3 as it is: %d, %q", len(encoded.Hops), encoded.Header.Subject, len(plain.Hops), plain.Header.Subject)
	}
	for i, h := range encoded.Hops {
		if want := plain.Hops[i].Line - plain.Line + 1; h.Line != want {
			t.Errorf("part 4 hop %d: line %d, want %d (counted in the decoded message)", h.Index, h.Line, want)
		}
	}
	appended := 0
	for _, f := range ms[2].Findings {
		if f.Rule == "received-appended" {
			appended++
		}
	}
	if appended != 2 {
		t.Errorf("the forged attachment's appended lines: %d findings, want 2 (%s)", appended, ruleIDs(ms[2]))
	}
}

// partsOf is attachedParts of raw, split as the analysis splits it.
func partsOf(t *testing.T, raw string) ([]attachedPart, []string) {
	t.Helper()
	msg, err := Split([]byte(raw))
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	return attachedParts(msg)
}

// TestAttachedParts: the same message attached twice is found twice, at
// its two places; text/rfc822-headers (a bounce's returned header) counts;
// a message without MIME carries nothing.
func TestAttachedParts(t *testing.T) {
	inner := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 16 Nov 2026 09:00:00 +0000\r\nFrom: x@a.example\r\nSubject: s\r\n\r\nhi\r\n"
	raw := "From: y@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n" +
		"--r\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n" + inner + "--r--\r\n"
	parts, skipped := partsOf(t, raw)
	if len(parts) != 2 || len(skipped) != 0 {
		t.Fatalf("parts %d, skipped %q; want 2 and none", len(parts), skipped)
	}
	if parts[0].part != "1" || parts[1].part != "2" || parts[0].off == parts[1].off {
		t.Errorf("parts at %s:%d and %s:%d", parts[0].part, parts[0].off, parts[1].part, parts[1].off)
	}
	for _, p := range parts {
		if !bytes.Equal([]byte(raw)[p.off:p.off+len(p.raw)], p.raw) {
			t.Errorf("part %s: offset %d does not hold its bytes", p.part, p.off)
		}
	}
	if parts, _ := partsOf(t, inner); len(parts) != 0 {
		t.Errorf("a plain message carries %d messages", len(parts))
	}
}

// TestAttachedPartsLongHeaderLine: a long field enmime reads nothing from
// is left out of what it is given, and the attached message is found at
// its place all the same; a longer-than-a-field line it would read as
// part of the header keeps it from being given the message, and says so.
func TestAttachedPartsLongHeaderLine(t *testing.T) {
	inner := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 16 Nov 2026 09:00:00 +0000\r\nFrom: x@a.example\r\n\r\nhi\r\n"
	mime := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n"
	body := "\r\n--r\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--r--\r\n"
	long := strings.Repeat("x ", maxFieldBytes/2+1)
	raw := "From: y@b.example\r\nSubject: " + long + "\r\n" + mime + body
	want := strings.TrimSuffix(inner, "\r\n") // the line end before a delimiter is the delimiter's
	parts, skipped := partsOf(t, raw)
	if len(parts) != 1 || len(skipped) != 0 || string(parts[0].raw) != want || raw[parts[0].off:parts[0].off+len(want)] != want {
		t.Fatalf("long Subject: parts %+v, skipped %q; want the attached message at its place", parts, skipped)
	}
	raw = "From: y@b.example\r\n" + mime + long + "\r\n" + body
	parts, skipped = partsOf(t, raw)
	if len(parts) != 0 || len(skipped) != 1 || !strings.HasPrefix(skipped[0], "attached messages not looked for: line 4,") {
		t.Fatalf("junk line: parts %d, skipped %q; want none and the reason", len(parts), skipped)
	}
}

// FuzzAttached: whatever the MIME, finding and analysing attached messages
// never panics nor hangs (the fuzz corpus's slowest input takes 10 ms),
// every report placed inside the carrier's lines.
func FuzzAttached(f *testing.F) {
	for _, p := range []string{"../testdata/attached/nested.eml", "../testdata/attached/phishing-report.eml"} {
		if raw, err := os.ReadFile(p); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b\r\n\r\nx"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream; name=a.eml\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte("Received: from a ([192.0.2.1]) by b; Mon, 16 Nov 2026 09:00:00 +0000\r\nFrom: a@b\r\n\r\nx\r\n")) + "\r\n--b--\r\n"))
	a := New(Options{Now: rulesNow, Attached: true, HeaderOnly: true})
	f.Fuzz(func(t *testing.T, raw []byte) {
		done := make(chan []*MessageReport, 1)
		go func() { done <- a.AnalyzeAll(context.Background(), Input{Raw: raw}) }()
		var ms []*MessageReport
		select {
		case ms = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("AnalyzeAll did not return within 5 s (%d bytes)", len(raw))
		}
		n := lineEnds(raw) + 1
		for _, m := range ms[1:] {
			if m.Line > n {
				t.Fatalf("part %s: starts at line %d, past the carrier's %d lines", m.Part, m.Line, n)
			}
			if m.Decoded != "" {
				continue // its lines count in its decoded text, not the carrier's
			}
			for _, h := range m.Hops {
				if h.Line > n {
					t.Fatalf("part %s: hop line %d past the carrier's %d lines", m.Part, h.Line, n)
				}
			}
		}
	})
}

// TestAttachedOddParts: a blank line before the attached header is passed
// over; a part that holds no message, and one with an 8-bit byte that a
// charset conversion would change, are handled as they are written.
func TestAttachedOddParts(t *testing.T) {
	inner := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 16 Nov 2026 09:00:00 +0000\r\nFrom: x@a.example\r\nSubject: caf\xe9\r\n\r\nhi\r\n"
	raw := "From: y@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n\r\n" +
		"--r\r\nContent-Type: message/rfc822\r\n\r\n\r\n" + inner +
		"--r\r\nContent-Type: message/rfc822\r\n\r\nREDACTED\r\n" +
		"--r\r\nContent-Type: text/rfc822-headers\r\n\r\n" + inner + "--r--\r\n"
	ms := New(Options{Now: rulesNow, Attached: true}).AnalyzeAll(context.Background(), Input{File: "m.eml", Raw: []byte(raw)})
	var parts []string
	for _, m := range ms[1:] {
		parts = append(parts, m.Part)
		if len(m.Hops) != 1 || m.Hops[0].Line < 6 {
			t.Errorf("part %s: hops %+v, want its Received line on a line of the file", m.Part, m.Hops)
		}
	}
	if strings.Join(parts, " ") != "1 3" {
		t.Errorf("parts analysed %q, want 1 and 3", parts)
	}
	if len(ms[0].Defects) != 1 || !strings.Contains(ms[0].Defects[0], "part 2 not analysed") {
		t.Errorf("carrier defects %q, want part 2 named", ms[0].Defects)
	}
}

// TestAttachedLimit: past maxAttached attached messages, the rest are
// counted in the carrier's defects, not analysed.
func TestAttachedLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: y@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n\r\n")
	for range maxAttached + 5 {
		b.WriteString("--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@a.example\r\nSubject: s\r\n\r\nhi\r\n")
	}
	b.WriteString("--r--\r\n")
	ms := New(Options{Now: rulesNow, Attached: true, HeaderOnly: true}).AnalyzeAll(context.Background(), Input{Raw: []byte(b.String())})
	if len(ms) != 1+maxAttached {
		t.Errorf("%d reports, want the carrier and %d", len(ms), maxAttached)
	}
	if d := ms[0].Defects; len(d) != 1 || !strings.HasPrefix(d[0], "5 more attached messages not analysed") {
		t.Errorf("carrier defects %q", d)
	}
}

// TestLineEnds holds lineEnds to a walk of the bytes as Split ends lines:
// a CRLF, an LF or a CR alone.
func TestLineEnds(t *testing.T) {
	walk := func(b []byte) int {
		n := 0
		for i := 0; i < len(b); i++ {
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			if b[i] == '\n' || b[i] == '\r' {
				n++
			}
		}
		return n
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "a\r\n"[r.IntN(3)]
		}
		if got, want := lineEnds(b), walk(b); got != want {
			t.Fatalf("lineEnds(%q) = %d, want %d", b, got, want)
		}
	}
}

// TestAttachedEncoded: a message saved as a file and attached as one
// (application/octet-stream named *.eml, base64), or in quoted-printable,
// is decoded and analysed; content that does not decode is named in the
// carrier's defects; an attachment of another name is no message.
func TestAttachedEncoded(t *testing.T) {
	inner := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 16 Nov 2026 09:00:00 +0000\r\nFrom: x@a.example\r\nSubject: s=C3=A9\r\n\r\nhi\r\n"
	b64 := base64.StdEncoding.EncodeToString([]byte(inner))
	wrapped := b64[:40] + "\r\n" + b64[40:]
	carrier := func(parts ...string) string {
		s := "From: y@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n\r\n"
		for _, p := range parts {
			s += "--r\r\n" + p
		}
		return s + "--r--\r\n"
	}
	for _, tc := range []struct {
		name        string
		raw         string
		wantDecoded []string
		wantSkipped string
	}{
		{"eml file, base64", carrier("Content-Type: application/octet-stream; name=\"Report.EML\"\r\nContent-Disposition: attachment; filename=\"Report.EML\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrapped + "\r\n"), []string{"base64"}, ""},
		{"message/rfc822, quoted-printable", carrier("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + inner), []string{"quoted-printable"}, ""},
		{"eml file as it is", carrier("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.eml\"\r\n\r\n" + inner), []string{""}, ""},
		{"not base64", carrier("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%% not base64 %%%%\r\n"), nil, "does not decode"},
		{"another file", carrier("Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrapped + "\r\n"), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, skipped := partsOf(t, tc.raw)
			var decoded []string
			for _, p := range parts {
				decoded = append(decoded, p.decoded)
				if !bytes.HasPrefix(p.raw, []byte("Received: from a.example")) {
					t.Errorf("part %s starts %.30q, want the message", p.part, p.raw)
				}
			}
			if strings.Join(decoded, ",") != strings.Join(tc.wantDecoded, ",") {
				t.Errorf("decoded %q, want %q", decoded, tc.wantDecoded)
			}
			if tc.wantSkipped == "" && len(skipped) > 0 || tc.wantSkipped != "" && (len(skipped) != 1 || !strings.Contains(skipped[0], tc.wantSkipped)) {
				t.Errorf("skipped %q, want %q", skipped, tc.wantSkipped)
			}
		})
	}
}
