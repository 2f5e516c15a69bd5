package capture

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/smtpd"
)

// jsonLine is what the journal wrote with encoding/json before appendSessionFile, the reference.
func jsonLine(r *sessionFile) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return buf.Bytes(), err
}

// oddStrings are strings whose JSON encoding has a special case.
var oddStrings = []string{
	"", "a", "plain text", `quote " and \ backslash`, "<html> & more", "tab\tnl\ncr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "caf\u00e9 \u65e5\u672c", "\u2028\u2029", "bad \xff\xfe utf8", "\xe2\x80", "\xed\xa0\x80",
	"emoji \U0001F600", "\u00ad\u200b\u202e", "S01HXYZ", "new/1700000000.M1P2Q3.host",
}

var zones = []*time.Location{time.UTC, time.Local, time.FixedZone("X", -(3*3600 + 30*60)), time.FixedZone("Y", 14*3600),
	time.FixedZone("Z", 0), time.FixedZone("B", 25*3600), time.FixedZone("S", 59)}

// fill sets v, and everything it holds, to random values, so that a field added to any of the
// record types takes part in the comparison without this test knowing it.
func fill(rng *rand.Rand, v reflect.Value) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		var t time.Time
		switch rng.IntN(8) {
		case 0: // the zero time: omitted where omitzero, written where not
		case 1:
			t = time.Date(10000+rng.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC) // encoding/json refuses it
		default:
			t = time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if rng.IntN(3) == 0 {
			v.SetString("")
			return
		}
		v.SetString(oddStrings[rng.IntN(len(oddStrings))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		switch rng.IntN(3) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(rng.Int64N(1000))
		default:
			v.SetInt(rng.Int64() - rng.Int64())
		}
	case reflect.Pointer:
		if rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(rng, p.Elem())
		v.Set(p)
	case reflect.Slice:
		n := rng.IntN(5) - 1
		if n < 0 {
			v.SetZero() // nil: null, or omitted where omitempty
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(rng, s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i))
			}
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

// TestAppendSessionFileMatchesJSON: the hand-written encoding is byte for byte encoding/json's, and
// fails where it fails.
func TestAppendSessionFileMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	failures := 0
	for i := range 20000 {
		var r sessionFile
		fill(rng, reflect.ValueOf(&r).Elem())
		want, wantErr := jsonLine(&r)
		got, err := appendSessionFile(nil, &r)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("record %d: error %v, encoding/json's %v", i, err, wantErr)
		}
		if err != nil {
			failures++
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if failures == 0 || failures > 19000 {
		t.Errorf("%d of 20000 records unencodable: the generator does not cover both cases", failures)
	}
}

// TestAppendSessionFileRealRecord compares a record as the engine makes it, from a capture session.
func TestAppendSessionFileRealRecord(t *testing.T) {
	at := time.Date(2024, 3, 5, 9, 4, 5, 123456000, time.UTC)
	env := &smtpd.Envelope{QueueID: "0123456789ABCDEF", From: "a@b.example", MailArg: "FROM:<a@b.example> SIZE=10",
		Params: smtpd.MailParams{Size: 10}, Rcpts: []smtpd.Recipient{{Address: "x@mx.test", Arg: "TO:<x@mx.test>"}},
		Protocol: "ESMTP", Start: at, Size: 4096, DataStart: 90, DataEnd: 4200, End: at.Add(time.Millisecond)}
	r := sessionFile{Message: "new/1.M2P3Q4.host", QueueID: env.QueueID, HeaderSize: 240, Envelope: env,
		Session: smtpd.SessionRecord{ID: "S0123", Hostname: "mx.test", LocalAddr: "127.0.0.1:25", ClientIP: "127.0.0.1",
			ClientPort: 40000, Start: at, HeloVerb: "EHLO", Helo: "client.example", Messages: 1, BytesIn: 4300,
			Anomalies:  []smtpd.Anomaly{},
			Transcript: []smtpd.TranscriptLine{{T: 0, Dir: "S", Text: "220 mx.test ESMTP mailtrace"}, {T: 12, Dir: "C", Text: "EHLO client.example"}}}}
	want, _ := jsonLine(&r)
	got, err := appendSessionFile(nil, &r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %s (%v)\nwant %s", got, err, want)
	}
}

// FuzzAppendSessionFile puts arbitrary strings where client text lands.
func FuzzAppendSessionFile(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		r := sessionFile{Message: a, Envelope: &smtpd.Envelope{From: a, MailArg: b, Rcpts: []smtpd.Recipient{{Address: b, Notify: []string{a}}}},
			Session: smtpd.SessionRecord{Helo: a, Transcript: []smtpd.TranscriptLine{{Dir: "C", Text: b}},
				Anomalies: []smtpd.Anomaly{{Detail: a}}}}
		want, wantErr := jsonLine(&r)
		got, err := appendSessionFile(nil, &r)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %s (%v)\nwant %s (%v)", got, err, want, wantErr)
		}
	})
}

// BenchmarkJournalLine: one message's journal line, by hand and by encoding/json.
func BenchmarkJournalLine(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var r sessionFile
	fill(rng, reflect.ValueOf(&r).Elem())
	at := time.Date(2024, 3, 5, 9, 4, 5, 123456000, time.UTC)
	r.Session.Start, r.Session.End, r.Envelope = at, time.Time{}, &smtpd.Envelope{Start: at, End: at, QueueID: "Q"}
	r.Session.TLS, r.Session.Auth = nil, nil
	r.Session.Anomalies = nil
	r.Session.Transcript = nil
	for i := range 13 {
		r.Session.Transcript = append(r.Session.Transcript, smtpd.TranscriptLine{T: int64(i * 100), Dir: "C", Text: "MAIL FROM:<bench@client.example>"})
	}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendSessionFile(buf[:0], &r)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			enc.Encode(&r)
		}
	})
}
