package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// activeRunes are the runes encoding/json leaves raw that a terminal acts
// on or that reorder text; docs/json.md promises them as \uXXXX escapes,
// and no other format may print them raw either. Listed here by hand,
// apart from the code under test.
var activeRunes = []rune{
	0x7f, 0x80, 0x85, 0x9b, 0x9f, // DEL; C1: U+009B is CSI to xterm, U+0085 NEL
	0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, // Arabic letter mark, zero-width, LRM, RLM
	0x202a, 0x202b, 0x202c, 0x202d, 0x202e, // embeddings and overrides
	0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, // isolates, BOM
}

func TestJSONInert(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", `{"a":"b c"}`, `{"a":"b c"}`},
		{"other non-ASCII kept", `"é 😀 ‧ U+202F: \u202f"`, `"é 😀 ‧ U+202F: \u202f"`},
		{"CSI", "\"\u009b2J\"", `"\u009b2J"`},
		{"RLO and isolates", "\"invoice\u202efdp.exe \u2066x\u2069\"", `"invoice\u202efdp.exe \u2066x\u2069"`},
		{"neighbours of the ranges kept", "\"\u007e\u00a0\u2010\u2027\u202f\u2065\u206a\u061b\u061d\"", "\"\u007e\u00a0\u2010\u2027\u202f\u2065\u206a\u061b\u061d\""},
		{"DEL and marks", "\"\x7f\u200e\u200f\u061c\ufeff\"", `"\u007f\u200e\u200f\u061c\ufeff"`},
		{"invalid byte left alone", "\"\xff\u009b\"", "\"\xff\\u009b\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(jsonInert([]byte(tt.in))); got != tt.want {
				t.Errorf("jsonInert(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	plain := []byte(`{"subject":"no escapes needed, ünïcödé"}`)
	if got := jsonInert(plain); &got[0] != &plain[0] {
		t.Errorf("jsonInert copied text that needed no escape")
	}
}

// FuzzJSONInert: for any string, the escaped encoding decodes to the same
// string and holds none of the active runes raw.
func FuzzJSONInert(f *testing.F) {
	for _, s := range []string{"", "plain", "\u009b[2J", "a\u202eb\u2066c", "\x7f\xff\xfe", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := marshalInert(map[string]string{"v": s}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		noActiveRunes(t, b)
		plain, err := json.Marshal(map[string]string{"v": s})
		if err != nil {
			t.Fatal(err)
		}
		var back, want map[string]string // want: as encoding/json alone writes it (invalid bytes become U+FFFD)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("escaped JSON does not decode: %v\n%s", err, b)
		}
		if err := json.Unmarshal(plain, &want); err != nil {
			t.Fatal(err)
		}
		if back["v"] != want["v"] {
			t.Errorf("decoded %q, want %q", back["v"], want["v"])
		}
		if utf8.ValidString(s) && back["v"] != s {
			t.Errorf("decoded %q, want the original %q", back["v"], s)
		}
	})
}

func noActiveRunes(t *testing.T, out []byte) {
	t.Helper()
	for _, r := range activeRunes {
		if i := bytes.IndexRune(out, r); i >= 0 {
			t.Errorf("raw %U in output at byte %d: %q", r, i, around(string(out), i))
		}
	}
}

// trickyReport holds a CSI, a right-to-left override and an isolate in the
// fields a forger writes: Subject, From and a Received line.
func trickyReport() (*analyze.Report, map[string]string) {
	want := map[string]string{
		"subject":  "Invoice \u009b2J paid\u202etxt.exe",
		"fromName": "Bank \u2066Support\u2069",
		"fromAddr": "\u202eliame@bank.example",
		"raw":      "from evil.example (\u009b31m[192.0.2.1]) by mx.example\u200f\u0085\u061c\u200e; Mon, 16 Nov 2026 10:00:00 +0000",
	}
	m := &analyze.MessageReport{
		File: "testdata/tricky.eml", Verdict: analyze.VerdictSuspicious, Score: 30,
		Header: analyze.HeaderSummary{
			From:    []analyze.Address{{Name: want["fromName"], Address: want["fromAddr"]}},
			Subject: want["subject"],
		},
		Hops: []received.Hop{{Index: 1, Line: 3, Raw: want["raw"], From: received.From{HELO: "evil.example\u009b"}}},
		Findings: []analyze.Finding{{Rule: "helo-mismatch", Severity: analyze.SeverityMedium, Hops: []int{1}, Line: 3,
			Message: "HELO evil.example\u009b does not match", Evidence: want["raw"]}},
	}
	return &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{m}}, want
}

// TestActiveRunesEscaped: every format writes the active runes of a
// Subject, From and Received line as escapes; in JSON the decoded values
// are the original strings.
func TestActiveRunesEscaped(t *testing.T) {
	rep, want := trickyReport()
	check := func(t *testing.T, m *analyze.MessageReport) {
		t.Helper()
		got := map[string]string{"subject": m.Header.Subject, "raw": m.Hops[0].Raw}
		if len(m.Header.From) == 1 {
			got["fromName"], got["fromAddr"] = m.Header.From[0].Name, m.Header.From[0].Address
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s decoded as %q, want %q", k, got[k], w)
			}
		}
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, format, rep, testOptions()); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			noActiveRunes(t, out)
			switch format {
			case "json":
				var back analyze.Report
				if err := json.Unmarshal(out, &back); err != nil {
					t.Fatal(err)
				}
				check(t, back.Messages[0])
			case "jsonl":
				var back analyze.MessageReport
				if err := json.Unmarshal(out, &back); err != nil {
					t.Fatal(err)
				}
				check(t, &back)
			case "sarif": // the message text went through Safe: visible escapes, no raw rune
				if !bytes.Contains(out, []byte(`evil.example\\u009b does not match`)) {
					t.Errorf("sarif lost the finding's text:\n%s", out)
				}
			}
		})
	}
}

// TestActiveRunesEscapedAnalyzed goes through the analyser, as a user
// would: raw UTF-8 in the header of a message on disk.
func TestActiveRunesEscapedAnalyzed(t *testing.T) {
	subject := "Invoice \u009b2J paid\u202etxt.exe \u2066x\u2069"
	raw := "Received: from evil.example (\u009b[192.0.2.1]) by mx.example with ESMTP id 1\u202e;\r\n" +
		"\tMon, 16 Nov 2026 10:00:00 +0000\r\n" +
		"From: \"Bank \u2066Support\u2069\" <bank@example.com>\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 16 Nov 2026 09:59:00 +0000\r\n\r\nbody\r\n"
	m := analyze.New(analyze.Options{Now: fixedNow}).Analyze(context.Background(), analyze.Input{File: "x.eml", Raw: []byte(raw)})
	if m.Header.Subject != subject || len(m.Hops) != 1 {
		t.Fatalf("analysis did not keep the text: subject %q, %d hops", m.Header.Subject, len(m.Hops))
	}
	var buf bytes.Buffer
	if err := JSONLine(&buf, m); err != nil {
		t.Fatal(err)
	}
	noActiveRunes(t, buf.Bytes())
	var back analyze.MessageReport
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Header.Subject != subject || back.Hops[0].Raw != m.Hops[0].Raw || back.Header.From[0].Name != m.Header.From[0].Name {
		t.Errorf("decoded values differ: subject %q, raw %q, from %q", back.Header.Subject, back.Hops[0].Raw, back.Header.From[0].Name)
	}
}

// arrayPaths are the lists docs/json.md calls arrays: present, never null.
var arrayPaths = []string{
	".findings", ".findings[].hops", ".hops", ".envelope.rcpt_to", ".envelope.evidence",
	".header.from", ".header.reply_to", ".header.to", ".header.cc", ".header.fields", ".body.attachments",
}

// nullablePaths are the only fields docs/json.md lets be null (auth and
// session have their own sections and are not walked).
var nullablePaths = map[string]bool{".body": true, ".header.date": true, ".hops[].time": true, ".hops[].delay_seconds": true}

// omittedWhenEmpty are the optional problem lists: absent, never [] or null.
var omittedWhenEmpty = []string{".defects", ".body.errors", ".hops[].notes"}

// TestJSONListsNeverNull renders reports with nothing in their lists, built
// every way a report is built, and checks the contract of docs/json.md:
// arrays are [], problem lists are omitted, null only where it says so.
func TestJSONListsNeverNull(t *testing.T) {
	an := analyze.New(analyze.Options{Now: fixedNow})
	analyzed := func(file, raw string) *analyze.MessageReport {
		return an.Analyze(context.Background(), analyze.Input{File: file, Raw: []byte(raw)})
	}
	cases := map[string]*analyze.MessageReport{
		// The reported case: a file that is no message at all.
		"not a message": analyzed("mixed.json", "{\n  \"schema\": \"mailtrace/v1\",\n  \"messages\": []\n}\n"),
		"empty input":   analyzed("empty.eml", ""),
		"unreadable":    analyze.ErrorReport("missing.eml", 0, os.ErrNotExist),
		// Only a From: no To, Cc, Reply-To, Received, recipients or body parts.
		"bare message": analyzed("bare.eml", "From: a@example.com\r\n\r\nhi\r\n"),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if isErr := m.Verdict == analyze.VerdictError; isErr != (name != "bare message") {
				t.Fatalf("verdict %s, error %q: not the case meant", m.Verdict, m.Error)
			}
			// The analyser's own values hold empty lists, not only their JSON.
			if m.Findings == nil || m.Hops == nil || m.Envelope.RcptTo == nil ||
				m.Envelope.Evidence == nil || m.Header.From == nil || m.Header.ReplyTo == nil || m.Header.Cc == nil || m.Header.Fields == nil {
				t.Errorf("Analyze left a nil list: %+v", m)
			}
			for _, format := range []string{"json", "jsonl"} {
				var buf bytes.Buffer
				rep := &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{m}}
				if err := Render(&buf, format, rep, testOptions()); err != nil {
					t.Fatal(err)
				}
				var msg map[string]any
				if format == "json" {
					var doc struct{ Messages []map[string]any }
					if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Messages) != 1 {
						t.Fatalf("%s: %v, %d messages", format, err, len(doc.Messages))
					}
					msg = doc.Messages[0]
				} else if err := json.Unmarshal(buf.Bytes(), &msg); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				checkListContract(t, format, msg)
			}
		})
	}
}

func checkListContract(t *testing.T, format string, msg map[string]any) {
	t.Helper()
	for _, p := range arrayPaths {
		forPath(msg, p, func(v any, present bool) {
			if _, ok := v.([]any); !ok {
				t.Errorf("%s: %s is %v (present %v), want an array", format, p, v, present)
			}
		})
	}
	for _, p := range omittedWhenEmpty {
		forPath(msg, p, func(v any, present bool) {
			if l, ok := v.([]any); present && (!ok || len(l) == 0) {
				t.Errorf("%s: %s is %v, want it omitted when empty", format, p, v)
			}
		})
	}
	walkJSON(msg, "", func(path string, v any) {
		if v == nil && !nullablePaths[path] {
			t.Errorf("%s: %s is null", format, path)
		}
	})
}

// forPath calls fn with the value at a path like ".hops[].notes", once per
// array element on the way; present is false when the last key is absent.
// A missing parent object (a null body) calls nothing.
func forPath(v any, path string, fn func(v any, present bool)) {
	if path == "" {
		fn(v, true)
		return
	}
	key, rest, _ := strings.Cut(path[1:], ".")
	if rest != "" {
		rest = "." + rest
	}
	each := strings.HasSuffix(key, "[]")
	key = strings.TrimSuffix(key, "[]")
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	child, present := obj[key]
	switch {
	case !present && rest == "" && !each:
		fn(nil, false)
	case !present:
	case each:
		list, _ := child.([]any)
		for _, e := range list {
			forPath(e, rest, fn)
		}
	default:
		forPath(child, rest, fn)
	}
}

// walkJSON calls fn on every value under the message, with paths such as
// ".hops[].time"; auth and session, with contracts of their own, are
// skipped.
func walkJSON(v any, path string, fn func(path string, v any)) {
	fn(path, v)
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if path == "" && (k == "auth" || k == "session") {
				continue
			}
			walkJSON(e, path+"."+k, fn)
		}
	case []any:
		for _, e := range t {
			walkJSON(e, path+"[]", fn)
		}
	}
}

// TestJSONNoMessages: a report without messages still lists them as [].
func TestJSONNoMessages(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, &analyze.Report{Schema: analyze.Schema}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"messages": []`)) {
		t.Errorf("a report without messages: %s", buf.Bytes())
	}
}

// A value JSON cannot encode and a failing writer are errors, wrapped.
func TestWriteJSONError(t *testing.T) {
	if err := WriteJSON(io.Discard, func() {}); err == nil {
		t.Error("WriteJSON of a func: no error")
	}
	if err := JSONLine(failWriter{}, &analyze.MessageReport{}); !errors.Is(err, errWrite) {
		t.Errorf("JSONLine to a failing writer: %v, want %v", err, errWrite)
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

// TestJSONOneBadMessage: a report encoding/json refuses (a time 25 hours
// from UTC) becomes that message's error entry; the messages around it
// are written, and the document stays whole.
func TestJSONOneBadMessage(t *testing.T) {
	bad := time.Date(2024, 1, 1, 10, 0, 0, 0, time.FixedZone("", 25*3600))
	msgs := []*analyze.MessageReport{
		{File: "a.eml", Verdict: analyze.VerdictClean},
		{File: "b.eml", Verdict: analyze.VerdictForged, Hops: []received.Hop{{Index: 1, Time: &bad}}},
		{File: "c.eml", Verdict: analyze.VerdictClean},
	}
	for _, format := range []string{"json", "jsonl"} {
		var buf bytes.Buffer
		if err := Render(&buf, format, &analyze.Report{Schema: analyze.Schema, Messages: msgs}, testOptions()); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var got []struct{ File, Verdict, Error string }
		if format == "json" {
			var doc struct {
				Messages []struct{ File, Verdict, Error string }
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("json: %v\n%s", err, buf.String())
			}
			got = doc.Messages
		} else {
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var m struct{ File, Verdict, Error string }
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("jsonl line %q: %v", line, err)
				}
				got = append(got, m)
			}
		}
		if len(got) != 3 || got[0].File != "a.eml" || got[2].File != "c.eml" ||
			got[1].Verdict != "error" || !strings.Contains(got[1].Error, "could not be written as JSON") {
			t.Errorf("%s: %+v", format, got)
		}
	}
}
