package report

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/internal/golden"
)

// formatExt names golden files by format. Text and JSON have their own
// tests (and the CLI's golden JSON); the streamed JSON is checked against
// JSON below.
var formatExt = map[string]string{"markdown": "md", "html": "html", "junit": "xml", "sarif": "sarif"}

// goldenCases are the reports rendered to golden files. "handbuilt" never
// changes unless the renderers do; "examples" runs the analyser on real
// messages, so it moves with the analysis: after a deliberate change to
// rules or parsing, review the diff and rerun with -update.
func goldenCases(t *testing.T) map[string]*analyze.Report {
	t.Helper()
	return map[string]*analyze.Report{
		"handbuilt": handBuilt(),
		"examples":  analyzeFiles(t, "testdata/examples/*.eml", "testdata/mta/01-*.eml", "testdata/mta/05-*.eml", "testdata/mta/07-*.eml"),
	}
}

func TestGolden(t *testing.T) {
	for name, rep := range goldenCases(t) {
		for format, ext := range formatExt {
			t.Run(name+"/"+format, func(t *testing.T) {
				opts := testOptions()
				if name == "handbuilt" {
					opts.Rules = handBuiltRules // its own catalogue: analyze's grows
				}
				var buf bytes.Buffer
				if err := Render(&buf, format, rep, opts); err != nil {
					t.Fatalf("Render: %v", err)
				}
				golden.Check(t, filepath.Join("testdata", "golden", name+"."+ext), buf.Bytes())
			})
		}
	}
}

// The streamed JSON writer must produce exactly what JSON writes whole.
func TestJSONStreamMatchesJSON(t *testing.T) {
	tricky, _ := trickyReport() // active runes: the escaping is the same either way
	for name, rep := range map[string]*analyze.Report{"handbuilt": handBuilt(), "tricky": tricky,
		"empty": {Schema: analyze.Schema, Messages: []*analyze.MessageReport{}}} {
		t.Run(name, func(t *testing.T) {
			var whole, streamed bytes.Buffer
			if err := JSON(&whole, rep); err != nil {
				t.Fatal(err)
			}
			if err := Render(&streamed, "json", rep, Options{}); err != nil {
				t.Fatal(err)
			}
			if whole.String() != streamed.String() {
				t.Errorf("streamed json differs:\n%s", golden.FirstDiff(whole.Bytes(), streamed.Bytes()))
			}
		})
	}
}

func TestNewWriterUnknownFormat(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, "yaml", Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("err = %v, want ErrUnknownFormat", err)
	}
}

// Formats with a head that needs totals spool the body; past spoolMemory
// the spool moves to a temporary file and must give back every byte.
func TestSpoolSpillsToFile(t *testing.T) {
	var s spool
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	var want bytes.Buffer
	for want.Len() <= spoolMemory+len(chunk) {
		if _, err := s.Write(chunk); err != nil {
			t.Fatal(err)
		}
		want.Write(chunk)
	}
	if s.file == nil {
		t.Fatal("spool stayed in memory past its limit")
	}
	var got bytes.Buffer
	if err := s.copyTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("spool returned %d bytes, want %d", got.Len(), want.Len())
	}
}
