package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadEmlx: Apple Mail's .emlx and .partial.emlx files (testdata/emlx,
// see its README.md) are read from their byte count, the property list
// left out, and found by a directory walk; they were skipped as "not a
// message", their first line being the count. Their lines are the file's:
// the message starts at line 2.
func TestReadEmlx(t *testing.T) {
	dir := filepath.Join("..", "testdata", "emlx")
	got := collect(t, []string{dir}, "")
	if len(got) != 2 {
		t.Fatalf("%d sources, want 2: %+v", len(got), got)
	}
	for i, name := range []string{"4711.emlx", "4712.partial.emlx"} {
		s := got[i]
		file, err := os.ReadFile(filepath.Join(dir, "Messages", name))
		if err != nil {
			t.Fatal(err)
		}
		_, msg, _ := bytes.Cut(file, []byte("\n"))
		msg, _, _ = bytes.Cut(msg, []byte("<?xml"))
		if s.Err != nil || filepath.Base(s.File) != name || s.Line != 2 || !bytes.Equal(s.Raw, msg) {
			t.Errorf("%s: got %s line %d err %v raw %q", name, s.File, s.Line, s.Err, abbreviate(string(s.Raw)))
		}
		rep := New(Options{}).Analyze(context.Background(), Input{File: s.File, Line: s.Line, Raw: s.Raw})
		if f := rep.Header.Fields; len(f) == 0 || f[0].Name != "Return-Path" || f[0].Line != 2 {
			t.Errorf("%s: first field %+v, want Return-Path at line 2", name, f)
		}
	}
}

// TestReadEmlxBroken: an .emlx whose count cannot be right is an error
// entry that says why, and the file beside it is still read.
func TestReadEmlxBroken(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "testdata", "emlx", "Messages", "4711.emlx"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := bytes.Cut(good, []byte("\n"))
	tests := []struct{ name, file, want string }{
		{"past-end", "99999\n" + string(rest), "larger than the"},
		{"short", "100\n" + string(rest), "does not end where the property list starts"},
		{"not-a-number", "abc\n" + string(rest), "is not a byte count"},
		{"no-count-line", "367", "no byte count line"},
		{"zero", "0\n" + string(rest), "is 0"},
		{"empty", "", "empty input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "1.emlx"), []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "2.emlx"), good, 0o644); err != nil {
				t.Fatal(err)
			}
			got := collect(t, []string{dir}, "")
			if len(got) != 2 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), tt.want) || got[1].Err != nil || got[1].Line != 2 {
				t.Errorf("got %+v, want an error with %q, then the good file", got, tt.want)
			}
		})
	}
}

// TestReadEmlxStdin: an .emlx file piped in has no name to tell it by; its
// first line, a byte count alone, and the property list where the count
// ends make it one, and its message is read as from the file. It was read
// whole, the count taken for a broken header line and the plist for body.
// Without the plist a count line is not enough: the bytes stay a message.
func TestReadEmlxStdin(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("..", "testdata", "emlx", "Messages", "4711.emlx"))
	if err != nil {
		t.Fatal(err)
	}
	_, msg, _ := bytes.Cut(file, []byte("\n"))
	msg, _, _ = bytes.Cut(msg, []byte("<?xml"))
	got := collect(t, nil, string(file))
	if len(got) != 1 || got[0].Err != nil || got[0].Line != 2 || !bytes.Equal(got[0].Raw, msg) {
		t.Fatalf("stdin: %+v, want the message from line 2", got)
	}
	count, _, _ := bytes.Cut(file, []byte("\n"))
	noPlist := string(count) + "\n" + string(msg)
	if got := collect(t, nil, noPlist); len(got) != 1 || got[0].Line != 0 || got[0].Raw == nil || string(got[0].Raw) != noPlist {
		t.Errorf("count line without plist: %+v, want the bytes as they are", got)
	}
}
