package main

import (
	"github.com/mailtrace/mailtrace/internal/filetree"

	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyze"
)

// Every format runs end to end: exit 3 because seed-forged.eml is forged,
// output that parses as its format, the summary line on stderr.
func TestAnalyzeFormats(t *testing.T) {
	examples := "../../testdata/examples"
	parses := map[string]func([]byte) error{
		"text":     func(b []byte) error { return want(bytes.Contains(b, []byte("Verdict: forged")), "no verdict line") },
		"json":     func(b []byte) error { var v any; return json.Unmarshal(b, &v) },
		"jsonl":    func(b []byte) error { return want(bytes.Count(b, []byte("\n")) == 2, "want 2 lines") },
		"markdown": func(b []byte) error { return want(bytes.HasPrefix(b, []byte("## mailtrace report")), "no title") },
		"html":     func(b []byte) error { return want(bytes.Contains(b, []byte("Content-Security-Policy")), "no CSP") },
		"junit":    func(b []byte) error { return xml.Unmarshal(b, new(struct{})) },
		"sarif":    func(b []byte) error { var v struct{ Version string }; return json.Unmarshal(b, &v) },
	}
	summary := regexp.MustCompile(`(?m)^mailtrace: 2 messages: 1 clean, 0 suspicious, 1 forged, 0 errors in \S+`)
	for format, check := range parses {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", "analyze", "--offline", "--format", format, examples)
			if code != exitGate {
				t.Fatalf("exit %d, want %d (forged message); stderr %q", code, exitGate, stderr)
			}
			if err := check([]byte(out)); err != nil {
				t.Errorf("output is not %s: %v\n%s", format, err, out)
			}
			if !summary.MatchString(stderr) {
				t.Errorf("stderr lacks the summary line: %q", stderr)
			}
		})
	}
}

func want(ok bool, msg string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%s", msg)
}

func TestAnalyzeOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.sarif")
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "--format", "sarif", "-o", path, "../../testdata/examples/genuine-postfix.eml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing with -o", out)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte(`"version": "2.1.0"`)) {
		t.Errorf("-o file: %v %.200s", err, b)
	}
}

func TestAnalyzeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--offline", "--workers", "0", "x.eml"},
		{"analyze", "--offline", "--workers", "1025", "x.eml"}, // a huge value ran out of memory
		{"analyze", "--offline", "--format", "pdf", "x.eml"},
	} {
		if code, _, stderr := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "", "analyze", "--offline", "-o", filepath.Join(t.TempDir(), "no", "dir", "x"), "x.eml"); code != exitRuntime {
		t.Errorf("unwritable -o: exit %d, want %d (%s)", code, exitRuntime, stderr)
	}
}

// Output keeps input order whatever the number of workers.
func TestAnalyzeWorkersKeepOrder(t *testing.T) {
	dir := t.TempDir()
	var wantOrder []string
	for i := range 40 {
		name := filepath.Join(dir, fmt.Sprintf("%02d.eml", i))
		msg := fmt.Sprintf("Subject: n%d\nFrom: a@example.org\n\n%s\n", i, strings.Repeat("x", i*500))
		if err := os.WriteFile(name, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
		wantOrder = append(wantOrder, fmt.Sprintf("n%d", i))
	}
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "--workers", "4", "--format", "jsonl", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m analyze.MessageReport
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Header.Subject)
	}
	if strings.Join(got, ",") != strings.Join(wantOrder, ",") {
		t.Errorf("order = %v", got)
	}
}

func TestUseColor(t *testing.T) {
	// /dev/null is a character device, as a terminal is: it stands in for one.
	tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer tty.Close()
	defer func(old func(string) string) { getenv = old }(getenv)
	tests := []struct {
		name    string
		opts    outputOptions
		out     io.Writer
		noColor string
		want    bool
	}{
		{"terminal", outputOptions{}, tty, "", true},
		{"pipe or buffer", outputOptions{}, &bytes.Buffer{}, "", false},
		{"NO_COLOR", outputOptions{}, tty, "1", false},
		{"--no-color", outputOptions{noColor: true}, tty, "", false},
		{"-o FILE", outputOptions{file: "r.txt"}, tty, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv = func(k string) string {
				if k == "NO_COLOR" {
					return tt.noColor
				}
				return ""
			}
			if got := tt.opts.useColor(tt.out); got != tt.want {
				t.Errorf("useColor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProgressWaitsAMomentThenDraws(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	now := start
	p := &progress{w: &buf, start: start, now: func() time.Time { return now }, total: make(chan int, 1)}
	p.total <- 4
	var tally analyze.Tally
	msg := func(file string, v analyze.Verdict) {
		m := &analyze.MessageReport{File: file, Verdict: v}
		tally.Add(m)
		p.update(m, tally)
	}
	msg("a.eml", analyze.VerdictClean)
	now = start.Add(500 * time.Millisecond)
	msg("b.eml", analyze.VerdictForged)
	if buf.Len() != 0 {
		t.Fatalf("drew before a moment had passed: %q", buf.String())
	}
	now = start.Add(2 * time.Second)
	msg("c.eml", analyze.VerdictClean)
	want := "\r\x1b[K[############............] 2/4 files  3 messages (1 forged, 0 suspicious)  2 msg/s  2s"
	if buf.String() != want {
		t.Errorf("bar = %q\nwant  %q", buf.String(), want)
	}
	now = now.Add(10 * time.Millisecond)
	msg("c.eml", analyze.VerdictClean) // too soon to redraw
	if strings.Count(buf.String(), "\r") != 1 {
		t.Errorf("redrew within %v: %q", progressEvery, buf.String())
	}
	p.clear()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Errorf("clear did not erase the bar: %q", buf.String())
	}
}

func TestProgressOffWhenNotATerminal(t *testing.T) {
	if p := newProgress(&bytes.Buffer{}, nil, time.Now()); p != nil {
		t.Errorf("progress on a buffer")
	}
	var nilBar *progress
	nilBar.update(&analyze.MessageReport{}, analyze.Tally{}) // must not panic
	nilBar.clear()
}

// TestAnalyzeOutputIsInput: -o naming an input is refused before the
// report is created (it used to truncate the input first); a report
// inside an input directory is not read back.
func TestAnalyzeOutputIsInput(t *testing.T) {
	genuine, err := os.ReadFile("../../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		files    []string // below the temp dir, the working directory of the run
		out      string
		inputs   []string
		want     int
		messages int // in the JSON report, when the run writes one
	}{
		{"same name", []string{"in.eml=" + string(genuine)}, "in.eml", []string{"in.eml"}, exitUsage, 0},
		{"other spelling", []string{"d/in.eml=" + string(genuine)}, "./d/../d/in.eml", []string{"d/in.eml"}, exitUsage, 0},
		{"through a symlink", []string{"in.eml=" + string(genuine), "link.eml->in.eml"}, "link.eml", []string{"in.eml"}, exitUsage, 0},
		{"among other inputs", []string{"a.eml=" + string(genuine), "in.eml=" + string(genuine)}, "in.eml", []string{"a.eml", "in.eml"}, exitUsage, 0},
		{"missing file named twice", nil, "new.eml", []string{"new.eml"}, exitUsage, 0},
		{"old report in the input directory", []string{"d/a.eml=" + string(genuine), "d/report.txt=Subject: old\n\n"},
			"d/report.txt", []string{"d"}, exitOK, 1},
		{"new report in the input directory", []string{"d/a.eml=" + string(genuine)}, "d/report.txt", []string{"d"}, exitOK, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			filetree.Make(t, dir, tt.files...)
			before := snapshot(t, dir)
			args := append([]string{"analyze", "--offline", "--format", "json", "-o", tt.out}, tt.inputs...)
			code, _, stderr := runCLIIn(t, dir, args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.want, stderr)
			}
			if tt.want == exitUsage {
				if after := snapshot(t, dir); after != before || !strings.Contains(stderr, "is also an input") {
					t.Errorf("refused run changed files (%q -> %q) or said %q", before, after, stderr)
				}
				return
			}
			var rep struct{ Messages []analyze.MessageReport }
			b, err := os.ReadFile(filepath.Join(dir, tt.out))
			if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Messages) != tt.messages {
				t.Errorf("report: %v, %d messages, want %d: %.300s", err, len(rep.Messages), tt.messages, b)
			}
		})
	}
}

// snapshot lists the files below dir with their sizes.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(p)
		fmt.Fprintf(&b, "%s:%d:%v ", d.Name(), len(content), err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestAnalyzeNowStampsReports: --now is the HTML report's "Generated"
// time and the JUnit timestamp, so that a report can be reproduced.
func TestAnalyzeNowStampsReports(t *testing.T) {
	tests := []struct{ format, want string }{
		{"html", "Generated 2001-02-03 04:05:06 UTC"},
		{"junit", `timestamp="2001-02-03T04:05:06"`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", "analyze", "--offline", "--now", "2001-02-03T04:05:06Z", "--format", tt.format,
				"../../testdata/examples/genuine-postfix.eml")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("%s report lacks %q", tt.format, tt.want)
			}
		})
	}
}

// A report that cannot be written is one error, said once: the report
// writer and the buffer under it both hold the same failed write.
func TestAnalyzeOutputWriteErrorSaidOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	for _, format := range []string{"text", "json", "sarif"} {
		code, _, stderr := runCLI(t, "", "analyze", "--offline", "--format", format, "-o", "/dev/full",
			"../../testdata/examples/seed-forged.eml")
		if code != exitRuntime {
			t.Errorf("%s: exit %d, want %d", format, code, exitRuntime)
		}
		if n := strings.Count(stderr, "no space left on device"); n != 1 {
			t.Errorf("%s: the write error is said %d times, want once:\n%s", format, n, stderr)
		}
	}
}
