package analyze

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/filetree"
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

// relPaths makes paths relative to dir, with slashes, for comparison.
func relPaths(t *testing.T, dir string, paths []string) string {
	t.Helper()
	var rel []string
	for _, p := range paths {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		rel = append(rel, filepath.ToSlash(r))
	}
	return strings.Join(rel, " ")
}

const msg = "Subject: x\n\nbody\n"

// TestExpandInputs walks the cases users reported (audit of the analyze
// command): symlinks that were skipped without a word, empty directories
// that passed a CI gate, a MANIFEST.tsv read as a broken message.
func TestExpandInputs(t *testing.T) {
	tests := []struct {
		name    string
		tree    []string // below root; the walk reads root/in
		paths   string
		skipped string // path:reason-prefix, space separated
		empty   bool
	}{
		{name: "symlink to a file is read", tree: []string{"target.eml=" + msg, "in/link.eml->../target.eml"},
			paths: "link.eml"},
		{name: "dangling symlink is listed so that reading it fails", tree: []string{"in/dangling.eml->../nowhere"},
			paths: "dangling.eml"},
		{name: "symlinked directory is skipped with a note", tree: []string{"other/m.eml=" + msg, "in/sub->../other"},
			skipped: "sub:symlinked", empty: true},
		{name: "symlink loop is not followed", tree: []string{"in/a.eml=" + msg, "in/d/loop->.."},
			paths: "a.eml", skipped: "d/loop:symlinked"},
		{name: "empty directory", tree: []string{"in/"}, empty: true},
		{name: "only hidden and skipped extensions", tree: []string{"in/.hidden.eml=" + msg, "in/r.json={}"}, empty: true},
		{name: "non-messages skipped by content", tree: []string{
			"in/MANIFEST.tsv=file\trepository\n", "in/notes.txt=# notes\nFrom: nobody\n", "in/b.txt=" + msg,
			"in/noext=\r\n\r\nReceived: from x\r\n\r\n", "in/box=From a@b Mon Jan  1 00:00:00 2024\n" + msg,
			"in/junk.eml=not a message\n", "in/empty=", "in/data.json={}", "in/link.txt->MANIFEST.tsv"},
			paths:   "b.txt box empty junk.eml noext",
			skipped: "MANIFEST.tsv:not link.txt:not notes.txt:not"},
		{name: "an MH folder's deleted messages are skipped with a note", tree: []string{
			"in/mh/1=" + msg, "in/mh/2=" + msg, "in/mh/,3=" + msg, "in/mh/,x=" + msg},
			paths: "mh/,x mh/1 mh/2", skipped: "mh/,3:deleted"},
		{name: "Maildir files are read whatever they start with", tree: []string{
			"in/md/cur/1:2,S=garbage first\n" + msg, "in/md/new/2=" + msg, "in/md/tmp/3=" + msg},
			paths: "md/cur/1:2,S md/new/2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			filetree.Make(t, root, tt.tree...)
			dir := filepath.Join(root, "in")
			in := ExpandInputs([]string{dir}, WalkOptions{})
			if got := relPaths(t, dir, in.Paths); got != tt.paths {
				t.Errorf("paths = %q, want %q", got, tt.paths)
			}
			var skipped []string
			for _, s := range in.Skipped {
				skipped = append(skipped, relPaths(t, dir, []string{s.Path})+":"+strings.Fields(s.Reason)[0])
			}
			sort.Strings(skipped)
			if got := strings.Join(skipped, " "); got != tt.skipped {
				t.Errorf("skipped = %q, want %q (%+v)", got, tt.skipped, in.Skipped)
			}
			if got := len(in.Empty) == 1 && in.Empty[0] == dir; got != tt.empty {
				t.Errorf("empty = %v, want %v", in.Empty, tt.empty)
			}
		})
	}
}

// TestExpandInputsExclude: the run's own report inside a directory it
// reads is never read back, whichever name reaches it.
func TestExpandInputsExclude(t *testing.T) {
	root := t.TempDir()
	filetree.Make(t, root, "in/a.eml="+msg, "in/report.txt=Subject: old report\n\n", "in/alias.txt->report.txt")
	dir := filepath.Join(root, "in")
	if err := os.Link(filepath.Join(dir, "report.txt"), filepath.Join(dir, "hard.txt")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	tests := []struct {
		name    string
		exclude []string
		want    string
	}{
		{"nothing excluded", nil, "a.eml alias.txt hard.txt report.txt"},
		{"existing report, every name of it", []string{filepath.Join(root, "in", "..", "in", "report.txt")}, "a.eml"},
		{"report not there yet", []string{filepath.Join(dir, "new.txt")}, "a.eml alias.txt hard.txt report.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ExpandInputs([]string{dir}, WalkOptions{Exclude: tt.exclude})
			if got := relPaths(t, dir, in.Paths); got != tt.want {
				t.Errorf("paths = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadSourcesSymlinks: ReadSources reads what a walk lists: a
// symlinked file's message, an error for a dangling link, and a directory
// named through a symlink (read as nothing before).
func TestReadSourcesSymlinks(t *testing.T) {
	root := t.TempDir()
	filetree.Make(t, root, "target.eml="+msg, "in/link.eml->../target.eml", "in/dangling.eml->../nowhere",
		"in/MANIFEST.tsv=file\tverdict\n", "named->in")
	got := collect(t, []string{filepath.Join(root, "named")}, "")
	if len(got) != 2 {
		t.Fatalf("got %d sources, want 2: %+v", len(got), got)
	}
	if filepath.Base(got[0].File) != "dangling.eml" || got[0].Err == nil {
		t.Errorf("first = %s %v, want dangling.eml with an error", got[0].File, got[0].Err)
	}
	if filepath.Base(got[1].File) != "link.eml" || string(got[1].Raw) != msg {
		t.Errorf("second = %s %q, want link.eml's message", got[1].File, got[1].Raw)
	}
}

func TestStartsLikeMessage(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"header field", "Received: from x\n", true},
		{"mbox From line", "From a@b Mon Jan  1 00:00:00 2024\n", true},
		{"blank lines first (RFC 5322 needs none, but undecided is read)", "\n\r\n  \nSubject: x\n", true},
		{"obsolete space before colon (RFC 5322 §4.5.3)", "Subject : x\n", true},
		{"byte order mark", "\xef\xbb\xbfSubject: x\n", true},
		{"Outlook's Internet headers", "Microsoft Mail Internet Headers Version 2.0\r\nReceived: from a\r\n", true},
		{"CR-only line ends", "\r\rSubject: x\rTo: y\r", true},
		{"blank is undecided", " \n\n", true},
		{"empty is undecided", "", true},
		{"tab-separated manifest", "file\trepository\torigin\n", false},
		{"markdown", "# Sources\n\nFrom: x\n", false},
		{"continuation line first", " Subject: x\n", false},
		{"colon first", ":x\n", false},
		{"prose", "this is not: a header\n", false},
		{"binary", "\x89PNG\r\n\x1a\n", false},
		{"name without colon", strings.Repeat("a", 5000), false},
		{"lowercase from line", "from a@b\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := startsLikeMessage([]byte(tt.in)); got != tt.want {
				t.Errorf("startsLikeMessage(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestSkipExtensionsDocumented: the extensions a walk passes over without
// a word are the ones README.md lists.
func TestSkipExtensionsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip(err)
	}
	if want := "`" + strings.Join(SkipExtensions(), " ") + "`"; !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not list the skipped extensions as %s", want)
	}
}

// TestWalkFileNamedDash: a file "-" found walking "." is that file, not
// standard input.
func TestWalkFileNamedDash(t *testing.T) {
	t.Chdir(t.TempDir())
	filetree.Make(t, ".", "-="+msg)
	in := ExpandInputs([]string{"."}, WalkOptions{})
	if len(in.Paths) != 1 || in.Paths[0] == "-" {
		t.Fatalf("paths = %q, want the file", in.Paths)
	}
	got := collect(t, in.Paths, "Subject: stdin\n\n")
	if len(got) != 1 || string(got[0].Raw) != msg {
		t.Errorf("read %+v, want the file's message", got)
	}
}

// TestReadMboxEdges: mbox shapes an audit found split wrongly. Every
// message keeps its own bytes and starts at its own file line.
func TestReadMboxEdges(t *testing.T) {
	const sep = " Mon Jan  1 00:00:00 2024\n"
	type want struct {
		line     int
		contains string
	}
	tests := []struct {
		name string
		mbox string
		want []want // one per message, Index 1, 2, ...
	}{
		{"separator line longer than the read buffer",
			"From " + strings.Repeat("a", 70000) + sep + "Subject: one\n\nx\n\nFrom b@c" + sep + "Subject: two\n\ny\n",
			[]want{{1, "Subject: one"}, {6, "Subject: two"}}},
		{"unquoted body line starting with From after a blank line",
			"From a@b" + sep + "Subject: one\n\nhi\n\nFrom the start it was\n\nFrom c@d" + sep + "Subject: two\n\nb\n",
			[]want{{1, "\nFrom the start it was\n"}, {8, "Subject: two"}}},
		{"byte order mark and blank lines before the first separator",
			"\xef\xbb\xbf\n\nFrom a@b" + sep + "Subject: one\n\nx\n",
			[]want{{3, "Subject: one"}}},
		{"a bare CR ends a line, as Split counts them",
			"From a@b" + sep + "Subject: one\rX-A: b\n\nx\n\nFrom c@d" + sep + "Subject: two\n\ny\n",
			[]want{{1, "Subject: one"}, {7, "Subject: two"}}},
		// A message whose last line has no line end gets one, and no blank
		// line, before the next separator from Thunderbird and Takeout;
		// their separators' forms split there, other ones do not.
		{"Thunderbird separator without a blank line before it",
			"From - Mon Nov 16 09:00:00 2026\nX-Mozilla-Status: 0001\nSubject: one\n\nx\nFrom - Mon Nov 16 09:01:00 2026\nSubject: two\n\ny\n",
			[]want{{1, "Subject: one"}, {6, "Subject: two"}}},
		{"Takeout separator without a blank line before it",
			"From 1751234567890123456@xxx Mon Nov 16 09:00:00 +0000 2026\r\nX-GM-THRID: 1751234567890123456\r\nSubject: one\r\n\r\nx\r\n" +
				"From 1751234567890123457@xxx Mon Nov 16 09:01:00 +0000 2026\r\nSubject: two\r\n\r\ny\r\n",
			[]want{{1, "Subject: one"}, {6, "Subject: two"}}},
		{"other separators need the blank line",
			"From a@b" + sep + "Subject: one\n\nx\nFrom c@d" + sep + "From - Mon Nov 16 09:01:00 2026\nFrom 1751234567890123457@xxx Mon Nov 16 09:01:00 +0000 2026\n",
			[]want{{1, "\nFrom 1751234567890123457@xxx"}}},
		{"no unquoting inside a long line",
			"From a@b" + sep + "X-Long: " + strings.Repeat("a", 65528) + ">From here\n\nbody\n",
			[]want{{1, "a>From here\n"}}},
	}
	for _, tt := range tests {
		got := collect(t, nil, tt.mbox)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d messages, want %d", tt.name, len(got), len(tt.want))
			continue
		}
		for i, w := range tt.want {
			s := got[i]
			if s.Err != nil || s.Index != i+1 || s.Line != w.line || !strings.Contains(string(s.Raw), w.contains) {
				t.Errorf("%s: message %d: index %d, line %d, err %v, %d bytes; want line %d holding %q",
					tt.name, i+1, s.Index, s.Line, s.Err, len(s.Raw), w.line, w.contains)
			}
		}
	}
	// A From field with white space before its colon (RFC 5322 §4.5.3)
	// starts a message, not an mbox.
	got := collect(t, nil, "From : alice@example.com\nSubject: x\n\nhi\n")
	if len(got) != 1 || got[0].Index != 0 {
		t.Errorf("From field taken for an mbox: %+v", got)
	}
}

// TestReadMaildirNames: in a Maildir every file is a message, whatever its
// name ends in, and a directory named with a final slash is still one.
func TestReadMaildirNames(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"md/new/1700000000.M1P2.mx.example.md":   "Subject: a\n\nx\n",
		"md/new/1700000001.M1P2.mx.example.zone": "Subject: b\n\nx\n",
		"md/cur/1700000002.M1P2.host:2,S":        "not a header line\n",
	}
	for p, text := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "md/tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := ExpandInputs([]string{filepath.Join(dir, "md") + "/", filepath.Join(dir, "md/cur") + "/"}, WalkOptions{})
	if n := len(got.Paths); n != 3 || len(got.Skipped) != 1 || got.Skipped[0].Reason != skipNamedTwice {
		t.Errorf("paths %v, skipped %v; want the 3 messages, and md/cur/'s message skipped only as read already", got.Paths, got.Skipped)
	}
	if got := ExpandInputs([]string{filepath.Join(dir, "md/cur") + "/"}, WalkOptions{}); len(got.Paths) != 1 || len(got.Skipped) != 0 {
		t.Errorf("md/cur/ alone: paths %v, skipped %v; want its message read", got.Paths, got.Skipped)
	}
}

// TestFailedMboxMessageLines: the defects of an mbox message that has no
// header name the file's lines, as those of one that has do.
func TestFailedMboxMessageLines(t *testing.T) {
	const sep = " Mon Jan  1 00:00:00 2024\n"
	mbox := "From a@b" + sep + "Subject: one\n\nx\n\nFrom c@d" + sep + "not a header\n"
	a := New(Options{HeaderOnly: true, DNSMode: "offline"})
	var reps []*MessageReport
	for _, s := range collect(t, nil, mbox) {
		reps = append(reps, a.Analyze(context.Background(), Input{Raw: s.Raw, Index: s.Index, Line: s.Line}))
	}
	if len(reps) != 2 || reps[1].Error == "" {
		t.Fatalf("reports %+v", reps)
	}
	if d := reps[1].Defects; len(d) == 0 || !strings.HasPrefix(d[0], "line 7:") {
		t.Errorf("defects %q, want the file's line 7", d)
	}
	if reps[0].Line != 1 || reps[1].Line != 6 {
		t.Errorf("messages start at lines %d and %d, want 1 and 6", reps[0].Line, reps[1].Line)
	}
}

// TestExpandInputsOnce: a file named twice, or named and also found in a
// directory named, is read once, and the second naming is a Skip; so is a
// second "-" (standard input has one content).
func TestExpandInputsOnce(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.eml"), filepath.Join(dir, "b.eml")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := ExpandInputs([]string{a, dir, filepath.Join(dir, ".", "a.eml"), "-", "-"}, WalkOptions{})
	if want := []string{a, b, "-"}; strings.Join(got.Paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths %v, want %v", got.Paths, want)
	}
	if len(got.Skipped) != 3 {
		t.Errorf("skipped %v, want the three repeats", got.Skipped)
	}
}

// TestReadMaildirFolders: naming a Maildir reads its Maildir++ folders
// (.Sent, .Junk: hidden directories that are Maildirs themselves), but no
// other hidden directory; KMail's subfolders of a Maildir folder (inbox
// and .inbox.directory/lists beside it), which were passed over without a
// word, are read too.
func TestReadMaildirFolders(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"md/cur/1", "md/.Junk/new/2", "md/.Sent/cur/3:2,S", "md/.git/objects/x.eml", "other/.Junk/new/4",
		"kmail/inbox/cur/5:2,S", "kmail/.inbox.directory/lists/new/6", "kmail/.inbox.directory/.lists.directory/debian/cur/7:2,",
		"kmail/.gone.directory/old/cur/8"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Maildir++ marks each folder with an empty maildirfolder file.
	for _, p := range []string{"md/.Junk/maildirfolder", "md/.Sent/maildirfolder"} {
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := ExpandInputs([]string{filepath.Join(dir, "md"), filepath.Join(dir, "other")}, WalkOptions{})
	if rel := relPaths(t, dir, got.Paths); rel != "md/.Junk/new/2 md/.Sent/cur/3:2,S md/cur/1" {
		t.Errorf("paths %s", rel)
	}
	got = ExpandInputs([]string{filepath.Join(dir, "kmail")}, WalkOptions{})
	if rel := relPaths(t, dir, got.Paths); rel != "kmail/.inbox.directory/.lists.directory/debian/cur/7:2, kmail/.inbox.directory/lists/new/6 kmail/inbox/cur/5:2,S" {
		t.Errorf("paths %s", rel)
	}
	if len(got.Skipped) > 0 {
		t.Errorf("skipped %+v", got.Skipped)
	}
}

// TestReadAllSized: a file is read into a buffer of the size it had when
// opened, and read whole when it was wrong about it, shorter or longer.
func TestReadAllSized(t *testing.T) {
	msg := strings.Repeat("Subject: x\r\n", 1000)
	for _, size := range []int64{0, 1, int64(len(msg)) - 1, int64(len(msg)), int64(len(msg)) + 100} {
		got, err := readAll(strings.NewReader(msg), size)
		if err != nil || string(got) != msg {
			t.Errorf("size %d: read %d bytes, %v; want %d", size, len(got), err, len(msg))
		}
		if size == int64(len(msg)) && cap(got) != len(msg)+1 {
			t.Errorf("size %d: buffer of %d bytes, want %d: one allocation", size, cap(got), len(msg)+1)
		}
	}
}

// TestStdinFromFile: standard input redirected from a file is read into
// one buffer of the size left to read (a part already read is not counted);
// a pipe's size is unknown.
func TestStdinFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.eml")
	msg := "Subject: x\r\n\r\n" + strings.Repeat("body\r\n", 1000)
	if err := os.WriteFile(path, []byte("skipped"+msg), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(int64(len("skipped")), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got := remainingSize(f); got != int64(len(msg)) {
		t.Errorf("remaining size %d, want %d", got, len(msg))
	}
	var raw []byte
	if err := ReadSources([]string{"-"}, f, func(s Source) error { raw = s.Raw; return s.Err }); err != nil {
		t.Fatal(err)
	}
	if string(raw) != msg || cap(raw) != len(msg)+1 {
		t.Errorf("read %d bytes into a buffer of %d; want %d into %d", len(raw), cap(raw), len(msg), len(msg)+1)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	pw.Close()
	if got := remainingSize(pr); got != 0 {
		t.Errorf("a pipe's remaining size: %d, want 0 (unknown)", got)
	}
}

// TestReadFileTooLarge: a file larger than a message may be is an error
// entry without being read.
func TestReadFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.eml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: its size is past the bound, its blocks are not written.
	if _, err := f.WriteString("Subject: big\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxMessageBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := collect(t, []string{path}, "")
	if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "larger than") || got[0].Raw != nil {
		t.Fatalf("got %+v, want one error entry: larger than %d bytes", got, maxMessageBytes)
	}
}

// onceEOF gives its data, then the end once, as a terminal gives Ctrl-D:
// a read after that is an error here (a terminal would wait).
type onceEOF struct {
	data  []byte
	ended bool
}

func (r *onceEOF) Read(p []byte) (int, error) {
	switch {
	case len(r.data) > 0:
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	case r.ended:
		return 0, errors.New("read after the end")
	}
	r.ended = true
	return 0, io.EOF
}

// TestReadStreamEndsOnce: a message or mbox shorter than what is sniffed
// is read to the one end its stream gives.
func TestReadStreamEndsOnce(t *testing.T) {
	for _, raw := range []string{
		"From: a@example.com\r\nSubject: s\r\n\r\nhi\r\n",
		"From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\n\nhi\n",
	} {
		var got []Source
		err := readStream("-", &onceEOF{data: []byte(raw)}, 0, func(s Source) error { got = append(got, s); return nil })
		if err != nil || len(got) != 1 || got[0].Err != nil || !strings.HasSuffix(string(got[0].Raw), "hi\r\n") && !strings.HasSuffix(string(got[0].Raw), "hi\n") {
			t.Errorf("%.30q: %v, %+v", raw, err, got)
		}
	}
}

// TestReadUTF16: a message saved by Windows as UTF-16 with its byte order
// mark (PowerShell 5's Out-File and ">", Notepad's "Unicode") was one error
// entry, "no header fields", and a walk skipped it as not a message; it is
// read as its UTF-8 text, with the same lines, and the report says so.
func TestReadUTF16(t *testing.T) {
	const text = "Received: from a.example.org (a.example.org [192.0.2.1])\r\n\tby b.example.net; Mon, 16 Nov 2026 09:00:00 +0000\r\nSubject: caf\u00e9\r\n\r\nhi\r\n"
	le, be := []byte{0xff, 0xfe}, []byte{0xfe, 0xff}
	for _, r := range text {
		le = append(le, byte(r), byte(r>>8))
		be = append(be, byte(r>>8), byte(r))
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"le.txt": le, "be.txt": be, "odd.txt": le[:len(le)-1]} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := ExpandInputs([]string{dir}, WalkOptions{})
	if rel := relPaths(t, dir, in.Paths); rel != "be.txt le.txt odd.txt" {
		t.Errorf("walk read %s", rel)
	}
	got := collect(t, []string{filepath.Join(dir, "be.txt"), filepath.Join(dir, "le.txt"), filepath.Join(dir, "odd.txt")}, "")
	if len(got) != 3 || string(got[0].Raw) != text || got[0].Recoded != "UTF-16BE" || string(got[1].Raw) != text || got[1].Recoded != "UTF-16LE" ||
		got[2].Recoded != "" || !bytes.Equal(got[2].Raw, le[:len(le)-1]) {
		t.Fatalf("got %+v", got)
	}
	rep := New(Options{}).Analyze(context.Background(), Input{File: got[1].File, Raw: got[1].Raw, Recoded: got[1].Recoded})
	if rep.Error != "" || rep.Header.Subject != "caf\u00e9" || len(rep.Defects) == 0 || !strings.Contains(rep.Defects[0], "UTF-16LE") {
		t.Errorf("report: error %q, subject %q, defects %q", rep.Error, rep.Header.Subject, rep.Defects)
	}
}
