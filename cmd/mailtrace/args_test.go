package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFlagsFirst(t *testing.T) {
	app := newApp(streams{})
	tests := []struct {
		name string
		args []string
		want []string // nil: a usage error
	}{
		{"flags already first", []string{"analyze", "--offline", "a.eml"}, []string{"analyze", "--offline", "--", "a.eml"}},
		{"flag and value after a file", []string{"analyze", "a.eml", "--format", "json"}, []string{"analyze", "--format", "json", "--", "a.eml"}},
		{"short flag and value", []string{"analyze", "a.eml", "-f", "json", "b.eml"}, []string{"analyze", "-f", "json", "--", "a.eml", "b.eml"}},
		{"value in the same word", []string{"analyze", "a.eml", "--format=json", "b.eml"}, []string{"analyze", "--format=json", "--", "a.eml", "b.eml"}},
		{"boolean flag takes no value", []string{"analyze", "a.eml", "--offline", "b.eml"}, []string{"analyze", "--offline", "--", "a.eml", "b.eml"}},
		{"repeatable flag", []string{"analyze", "a.eml", "--trusted", "192.0.2.0/24", "--trusted", "example.net"}, []string{"analyze", "--trusted", "192.0.2.0/24", "--trusted", "example.net", "--", "a.eml"}},
		{"a value that looks like a flag", []string{"analyze", "a.eml", "-o", "-out.json"}, []string{"analyze", "-o", "-out.json", "--", "a.eml"}},
		{"stdin is an argument", []string{"analyze", "-", "--offline"}, []string{"analyze", "--offline", "--", "-"}},
		{"after -- nothing is a flag", []string{"analyze", "a.eml", "--", "--offline", "-"}, []string{"analyze", "--", "a.eml", "--offline", "-"}},
		{"unknown flag is moved to be reported", []string{"analyze", "a.eml", "--nope"}, []string{"analyze", "--nope", "--", "a.eml"}},
		{"no arguments", []string{"serve", "--listen", "127.0.0.1:0"}, []string{"serve", "--listen", "127.0.0.1:0"}},
		{"unknown command left alone", []string{"frobnicate", "a", "--x"}, []string{"frobnicate", "a", "--x"}},
		{"flags before the command left alone", []string{"--help"}, []string{"--help"}},
		{"value flag at the end", []string{"analyze", "a.eml", "--format"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flagsFirst(app, append([]string{"mailtrace"}, tt.args...))
			if tt.want == nil {
				if !errors.Is(err, errUsage) {
					t.Fatalf("got %q, %v; want a usage error", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got[1:], tt.want) {
				t.Fatalf("got %q, %v; want %q", got[1:], err, tt.want)
			}
		})
	}
}

// Flags after the files work as before them: the same report, and the
// gate still applies.
func TestAnalyzeFlagsAfterFiles(t *testing.T) {
	file := "../../testdata/examples/seed-forged.eml"
	codeBefore, before, _ := runCLI(t, "", "analyze", "--offline", "--format", "json", "--now", "2026-01-01T00:00:00Z", file)
	codeAfter, after, stderr := runCLI(t, "", "analyze", file, "--offline", "--format", "json", "--now", "2026-01-01T00:00:00Z")
	if codeAfter != exitGate || codeBefore != exitGate {
		t.Fatalf("exit %d and %d, want %d both (stderr %q)", codeBefore, codeAfter, exitGate, stderr)
	}
	if after != before || !strings.HasPrefix(after, "{") {
		t.Fatalf("flags after the file gave another report:\n%s\nwant:\n%s", after, before)
	}
}

// A file whose name starts with a dash is read when it follows "--".
func TestAnalyzeDashFileAfterDoubleDash(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "-odd.eml")
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, stderr := runCLI(t, "", "analyze", "--offline", "-f", "jsonl", "--", "-odd.eml")
	if code != exitOK || !strings.Contains(out, `"file":"-odd.eml"`) {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

func TestFlagErrorsAfterFilesAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "../../testdata/examples/genuine-postfix.eml", "--nope"},
		{"analyze", "../../testdata/examples/genuine-postfix.eml", "--format"},
		{"analyze", "../../testdata/examples/genuine-postfix.eml", "--format", "yaml"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "usage") && !strings.Contains(stderr, "flag") {
			t.Errorf("%q: exit %d (stderr %q), want %d", args, code, stderr, exitUsage)
		}
	}
}

// The exit codes are listed once, however many times the command line is
// built in one process.
func TestHelpListsExitCodesOnce(t *testing.T) {
	for range 3 {
		_, out, _ := runCLI(t, "", "--help")
		if n := strings.Count(out, "EXIT STATUS"); n != 1 {
			t.Fatalf("help lists the exit codes %d times:\n%s", n, out)
		}
	}
}
