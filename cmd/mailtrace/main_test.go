package main

import (
	"github.com/mailtrace/mailtrace/internal/filetree"

	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/golden"
)

// runCLI runs the program as a user would, with buffers for streams.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"mailtrace"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, exitOK},
		{"unknown flag", []string{"analyze", "--nope"}, exitUsage},
		{"bad format", []string{"analyze", "--format", "yaml", "../../testdata/examples/genuine-postfix.eml"}, exitUsage},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"missing file is an error entry and a runtime error", []string{"analyze", "--offline", "no-such-file.eml"}, exitRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.want, stderr)
			}
		})
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	_, out, _ := runCLI(t, "", "--help")
	if !strings.Contains(out, "EXIT STATUS") || !strings.Contains(out, "--fail-on") {
		t.Fatalf("help lacks exit codes:\n%s", out)
	}
}

func TestAnalyzeStdinAndJSONL(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, string(raw)+"\n", "analyze", "--offline", "--format", "jsonl", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one JSON line, got %d", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("bad JSON line: %v", err)
	}
	for _, key := range []string{"file", "index", "verdict", "findings", "envelope", "header", "body", "hops"} {
		if _, ok := m[key]; !ok {
			t.Errorf("message object lacks %q", key)
		}
	}
}

func TestTextOutputIsEscaped(t *testing.T) {
	msg := "From: \x1b[2Jevil <a@b.example>\nSubject: \x1b]0;pwned\x07 hi \u202egnp.exe\n\nbody\n"
	_, out, _ := runCLI(t, msg, "analyze", "--offline")
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "\u202e") {
		t.Fatalf("control characters reached the terminal: %q", out)
	}
	if !strings.Contains(out, `\x1b`) {
		t.Errorf("escape not shown visibly: %q", out)
	}
}

func TestReceivedCommand(t *testing.T) {
	code, out, _ := runCLI(t, "Received: from a.example (a.example [192.0.2.1]) by b.example; Tue, 1 Jan 2019 10:00:00 +0000\n", "received", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var hops []map[string]any
	if err := json.Unmarshal([]byte(out), &hops); err != nil || len(hops) != 1 {
		t.Fatalf("want a JSON array of one hop: %v %q", err, out)
	}
	if hops[0]["raw"] != "from a.example (a.example [192.0.2.1]) by b.example; Tue, 1 Jan 2019 10:00:00 +0000" {
		t.Errorf("raw = %v", hops[0]["raw"])
	}
}

// TestGolden runs `analyze --format json` over the bundled samples and
// compares with testdata/golden (regenerate with -update).
func TestGolden(t *testing.T) {
	var files []string
	for _, dir := range []string{"examples", "mta"} {
		m, _ := filepath.Glob(filepath.Join("../../testdata", dir, "*.eml"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f)) + "-" + strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			rel := strings.TrimPrefix(f, "../../")
			code, out, stderr := runCLIIn(t, "../..", "analyze", "--format", "json", "--offline", "--fail-on", "never", "--now", "2026-11-27T00:00:00Z", rel)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden.Check(t, filepath.Join("../../testdata/golden", name+".json"), []byte(out))
		})
	}
}

// runCLIIn runs the program from another working directory so paths in
// the output are the same as a user at the repository root would see.
func runCLIIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	return runCLI(t, "", args...)
}

// TestUnreadableInputDoesNotStopTheRun: the readable message is still
// analysed and reported; the run ends with the runtime-error status.
func TestUnreadableInputDoesNotStopTheRun(t *testing.T) {
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "--format", "json", "missing.eml", "../../testdata/examples/genuine-postfix.eml")
	if code != exitRuntime || !strings.Contains(stderr, "1 input could not be read") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep struct {
		Messages []struct {
			File, Error, Verdict string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != 2 || rep.Messages[0].Verdict != "error" || rep.Messages[1].Verdict != "clean" {
		t.Fatalf("messages = %+v", rep.Messages)
	}
}

// TestAnalyzeDirectoryWalk: what a directory argument yields decides the
// exit status; skipped entries are named on stderr. Cases from an audit
// where a CI gate passed over symlinks, empty and wrong directories, and
// failed on a MANIFEST.tsv beside the messages.
func TestAnalyzeDirectoryWalk(t *testing.T) {
	forged, err := filepath.Abs("../../testdata/examples/seed-forged.eml")
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := os.ReadFile("../../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		files  []string // below the temp dir; "in" is the directory analysed
		args   []string // extra arguments, relative to the temp dir
		want   int
		stderr []string
	}{
		{"symlink to a forged message is read", []string{"in/link.eml->" + forged}, nil, exitGate, nil},
		{"empty directory fails", []string{"in/"}, nil, exitRuntime, []string{"in: no messages found"}},
		{"only a symlinked directory", []string{"other/a.eml=" + string(genuine), "in/sub->../other"}, nil, exitRuntime,
			[]string{"skipped ", "in/sub: symlinked directory", "in: no messages found"}},
		{"dangling symlink is an error entry", []string{"in/gone.eml->../nowhere.eml"}, nil, exitRuntime,
			[]string{"1 input could not be read"}},
		{"manifest beside a message is skipped with a note", []string{"in/MANIFEST.tsv=file\tverdict\n", "in/a.eml=" + string(genuine)},
			nil, exitOK, []string{"in/MANIFEST.tsv: not a message", "1 message: 1 clean"}},
		{"a named non-message is still an error entry", []string{"in/a.eml=" + string(genuine), "x/MANIFEST.tsv=file\tverdict\n"},
			[]string{"x/MANIFEST.tsv"}, exitRuntime, []string{"1 input could not be read"}},
		{"the gate wins over an empty directory, which is still named", []string{"in/", "f/link.eml->" + forged},
			[]string{"f"}, exitGate, []string{"in: no messages found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			filetree.Make(t, dir, tt.files...)
			args := []string{"analyze", "--offline", "--format", "jsonl", filepath.Join(dir, "in")}
			for _, a := range tt.args {
				args = append(args, filepath.Join(dir, a))
			}
			code, _, stderr := runCLI(t, "", args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.want, stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q: %q", s, stderr)
				}
			}
		})
	}
}

// TestAnalyzeCorpusDirectory: the shared corpus, walked as a directory,
// gives the same tally as its .eml files named one by one: MANIFEST.tsv
// and SOURCES.md are passed over, not read as broken messages.
func TestAnalyzeCorpusDirectory(t *testing.T) {
	const corpus = "../../../shared/corpus"
	files, _ := filepath.Glob(filepath.Join(corpus, "*", "*.eml"))
	if len(files) == 0 {
		t.Skip("no corpus at " + corpus)
	}
	base := []string{"analyze", "--offline", "--now", "2026-11-27T00:00:00Z", "--fail-on", "never", "--format", "jsonl"}
	code, _, walked := runCLI(t, "", append(base, corpus)...)
	if code != exitOK {
		t.Fatalf("walk: exit %d: %s", code, walked)
	}
	_, _, named := runCLI(t, "", append(base, files...)...)
	tally := regexp.MustCompile(`(?m)^mailtrace: \d+ messages?: .* errors?`)
	if w, n := tally.FindString(walked), tally.FindString(named); w == "" || w != n {
		t.Errorf("walked %q, named one by one %q", w, n)
	}
	if !strings.Contains(walked, "MANIFEST.tsv: not a message") {
		t.Errorf("MANIFEST.tsv not noted: %q", walked)
	}
}

// TestAnalyzeAttached: a phishing report carries the forged message as an
// attachment; with --attached it is reported after the report, named by
// its part, and meets the gate; without, only the clean report is read.
func TestAnalyzeAttached(t *testing.T) {
	const report = "../../testdata/attached/phishing-report.eml"
	if code, _, stderr := runCLI(t, "", "analyze", "--offline", report); code != exitOK {
		t.Fatalf("without --attached: exit %d, want %d (%s)", code, exitOK, stderr)
	}
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "--attached", report)
	if code != exitGate {
		t.Fatalf("with --attached: exit %d, want %d (%s)", code, exitGate, stderr)
	}
	if !strings.Contains(out, "== "+report+" attached in part 2 ==\nVerdict: forged") || !strings.Contains(stderr, "2 messages: 1 clean, 0 suspicious, 1 forged") {
		t.Errorf("output:\n%s\nstderr: %s", out, stderr)
	}
}

// TestErrorsAreInert: a failure names the file it failed on, and a file
// name is anyone's text: its escape sequences reach stderr inert.
func TestErrorsAreInert(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "empty\x1b]0;pwned\x07\x1b[2J")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "", "analyze", "--offline", dir)
	if code != exitRuntime || !strings.Contains(stderr, "no messages found") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\x07") {
		t.Errorf("stderr carries the escape sequences: %q", stderr)
	}
	// The same failure said beside the gate's status (a forged message in
	// the same run): printed on another path, just as inert.
	forged, err := filepath.Abs("../../testdata/examples/seed-forged.eml")
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "", "analyze", "--offline", dir, forged)
	if code != exitGate || !strings.Contains(stderr, "no messages found") || strings.ContainsAny(stderr, "\x1b\x07") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
