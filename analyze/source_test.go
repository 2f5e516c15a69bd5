package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func collect(t *testing.T, paths []string, stdin string) []Source {
	t.Helper()
	var got []Source
	err := ReadSources(paths, strings.NewReader(stdin), func(s Source) error {
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadSources: %v", err)
	}
	return got
}

func TestReadMbox(t *testing.T) {
	mbox := "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From the start\nline\n\n" +
		"From c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\nFrom inside body is not a separator without a blank line\nnot: really\n"
	got := collect(t, nil, mbox)
	if len(got) != 2 {
		t.Fatalf("got %d messages", len(got))
	}
	if got[0].Index != 1 || got[1].Index != 2 {
		t.Errorf("indexes %d %d", got[0].Index, got[1].Index)
	}
	if !strings.Contains(string(got[0].Raw), "\nFrom the start\nline\n") || strings.HasSuffix(string(got[0].Raw), "\n\n") {
		t.Errorf("first message %q", got[0].Raw)
	}
	if !strings.Contains(string(got[1].Raw), "Subject: two") {
		t.Errorf("second message %q", got[1].Raw)
	}
}

func TestReadDirectoryMaildir(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"md/cur/1:2,S", "md/new/2", "md/tmp/3", "a.eml", "notes.md", ".hidden"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("Subject: "+p+"\n\nx\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, []string{dir, filepath.Join(dir, "missing.eml")}, "")
	var names []string
	for _, s := range got {
		names = append(names, filepath.Base(s.File))
	}
	want := "a.eml 1:2,S 2 missing.eml"
	if strings.Join(names, " ") != want {
		t.Fatalf("files = %v, want %s", names, want)
	}
	if got[3].Err == nil {
		t.Error("missing file has no error")
	}
}
