package analyze

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// Source is one message read from the inputs, or the error that kept it
// from being read. A bad input never stops the others.
type Source struct {
	File  string // path, or "-" for standard input
	Index int    // 1-based position in an mbox; 0 for a lone message
	Line  int    // line of File where the message starts (its "From " line in an mbox); 0 means 1
	Raw   []byte
	Err   error
	// Recoded names the encoding Raw was read from when it was not the
	// file's bytes ("UTF-16LE", "UTF-16BE"); "" for the bytes as stored.
	Recoded string
}

// maxMessageBytes bounds one message read from disk or stdin.
const maxMessageBytes = 256 << 20

// skipExt are files a directory walk passes over without a word, before
// looking at their content: mailtrace's own outputs and the repository
// files that sit beside fixtures. Named files are always read.
var skipExt = map[string]bool{".json": true, ".md": true, ".zone": true, ".go": true, ".html": true,
	".sarif": true, ".xml": true, ".png": true, ".golden": true, ".jsonl": true, ".txt~": true}

// SkipExtensions lists skipExt, sorted, for help texts.
func SkipExtensions() []string {
	exts := make([]string, 0, len(skipExt))
	for e := range skipExt {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	return exts
}

// msgExt are files a directory walk reads whatever they hold: a broken
// fixture must become an error entry that fails the run, not vanish.
var msgExt = map[string]bool{".eml": true, ".mbox": true, ".emlx": true}

// ReadSources calls fn for every message found in paths, in order: files,
// directories (recursively, Maildir cur/ and new/ included, tmp/ skipped),
// mbox files (split on "From " lines, ">From" unescaped, or by a confirmed
// Content-Length), Apple Mail .emlx files (read from their byte count)
// and "-" for stdin.
// No paths means stdin. A directory is walked as ExpandInputs walks it,
// skipped entries passing silently. It stops early only when fn returns
// an error.
func ReadSources(paths []string, stdin io.Reader, fn func(Source) error) error {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	for _, p := range paths {
		if err := readPath(p, stdin, fn); err != nil {
			return err
		}
	}
	return nil
}

func readPath(p string, stdin io.Reader, fn func(Source) error) error {
	if p == "-" {
		return readStream("-", stdin, remainingSize(stdin), fn)
	}
	info, err := os.Stat(p)
	if err != nil {
		return fn(Source{File: p, Err: fmt.Errorf("read %s: %w", p, err)})
	}
	if !info.IsDir() {
		return readFile(p, fn)
	}
	for _, e := range newWalker(WalkOptions{}).list(p) {
		if e.err != nil {
			err = fn(Source{File: e.path, Err: fmt.Errorf("walk %s: %w", e.path, e.err)})
		} else {
			err = readFile(e.path, fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// WalkOptions steer ExpandInputs. The zero value walks as ReadSources does.
type WalkOptions struct {
	// Exclude are files no walk yields: the run's own report, which may lie
	// in a directory being read and would otherwise be read back. They are
	// matched with os.SameFile when they exist, else by absolute path.
	Exclude []string
}

// Skip is an entry a directory walk passed over, and why, so that the
// caller can say so. Hidden entries, Maildir tmp/, files ending in one of
// SkipExtensions and excluded files are passed over without a Skip.
type Skip struct {
	Path   string
	Reason string
}

// Inputs are what ExpandInputs found.
type Inputs struct {
	// Paths are the files to read, in order, with "-" for stdin and the
	// named files as given; ReadSources(Paths) reads every message. A
	// directory that could not be listed is there too, so that reading it
	// reports the error.
	Paths   []string
	Skipped []Skip
	Empty   []string // named directories that hold nothing to read
}

// ExpandInputs lists what ReadSources reads for paths, walking
// directories, so that a caller can report skipped entries and arguments
// that hold no message before reading. No paths means stdin.
func ExpandInputs(paths []string, opts WalkOptions) Inputs {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	w := newWalker(opts)
	var in Inputs
	seen := map[string]bool{} // a file named twice, or also found in a named directory, is read once
	add := func(p string) {
		key := p
		if p != "-" {
			key = w.abs(p)
		}
		if seen[key] {
			w.skip(p, skipNamedTwice)
			return
		}
		seen[key] = true
		in.Paths = append(in.Paths, p)
	}
	for _, p := range paths {
		if p == "-" || !isDir(p) {
			// Named files are read as they are; a missing one is an error entry.
			add(p)
			continue
		}
		entries := w.list(p)
		if len(entries) == 0 {
			in.Empty = append(in.Empty, p)
		}
		for _, e := range entries {
			add(e.path)
		}
	}
	in.Skipped = w.skipped
	return in
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// listDir lists the paths a walk of dir yields, for CountFiles.
func listDir(dir string) ([]string, error) {
	var files []string
	for _, e := range newWalker(WalkOptions{}).list(dir) {
		files = append(files, e.path)
	}
	return files, nil
}

// Reasons a walk gives for a Skip.
const (
	skipSymlinkDir = "symlinked directory, not followed"
	skipNotMessage = `not a message: its first line is neither a header field nor an mbox "From " line`
	skipIrregular  = "not a regular file"
	skipMHDeleted  = "deleted MH message (,N): MH renames a message so when it removes it"
	skipNamedTwice = "already read: named more than once (or also in a directory named)"
)

// walker lists the files below a directory: regular files and symlinks to
// them, recursively. Symlinked directories are not followed, so a walk
// cannot loop. It keeps what it skipped.
type walker struct {
	exclude []excluded
	cwd     string // for absolute paths, when there is something to exclude
	skipped []Skip
	buf     []byte // sniff buffer, reused: a walker runs on one goroutine
}

// excluded is a file no walk yields; info is nil when it does not exist.
type excluded struct {
	abs  string
	info os.FileInfo
}

// walkEntry is a file to read, or a directory that could not be listed.
type walkEntry struct {
	path string
	err  error
}

func newWalker(opts WalkOptions) *walker {
	w := &walker{}
	for _, p := range opts.Exclude {
		if w.cwd == "" {
			w.cwd, _ = os.Getwd()
		}
		info, _ := os.Stat(p)
		w.exclude = append(w.exclude, excluded{abs: w.abs(p), info: info})
	}
	return w
}

// list walks dir and returns its entries sorted by path.
func (w *walker) list(dir string) []walkEntry {
	var out []walkEntry
	w.walk(dir, isMaildirSub(dir), &out)
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func (w *walker) walk(dir string, inMaildir bool, out *[]walkEntry) {
	des, err := os.ReadDir(dir)
	if err != nil {
		*out = append(*out, walkEntry{path: dir, err: err})
	}
	for _, d := range des {
		path := filepath.Join(dir, d.Name())
		if path == "-" {
			// A file named "-" in "." must not become stdin when read.
			path = "." + string(filepath.Separator) + "-"
		}
		switch {
		case strings.HasPrefix(d.Name(), "."):
			// Hidden, but for a Maildir++ folder (.Sent, .Junk) of a
			// Maildir, and KMail's subfolders of one.
			if d.IsDir() && (isMaildir(dir) && isMaildir(path) || isKMailSubfolders(dir, d.Name())) {
				w.walk(path, false, out)
			}
		case d.IsDir():
			if !isMaildirTmp(path) {
				w.walk(path, isMaildirSub(path), out)
			}
		case d.Type()&fs.ModeSymlink != 0:
			w.symlink(path, inMaildir, out)
		case d.Type().IsRegular():
			info, _ := d.Info()
			w.file(path, info, inMaildir, out)
		default:
			w.skip(path, skipIrregular)
		}
	}
}

// symlink follows a link to a file; a dangling link is listed so that
// reading it reports the error.
func (w *walker) symlink(path string, inMaildir bool, out *[]walkEntry) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		*out = append(*out, walkEntry{path: path})
	case info.IsDir():
		w.skip(path, skipSymlinkDir)
	case info.Mode().IsRegular():
		w.file(path, info, inMaildir, out)
	default:
		w.skip(path, skipIrregular)
	}
}

// file lists a regular file unless it is excluded or, outside a Maildir
// and without a message extension, does not look like a message.
func (w *walker) file(path string, info os.FileInfo, inMaildir bool, out *[]walkEntry) {
	ext := strings.ToLower(filepath.Ext(path))
	// A Maildir name ends in the host's name, whose last label can look
	// like an extension (mx.example.md): there every file is a message.
	if (!inMaildir && skipExt[ext]) || w.excluded(path, info) || isMaildirFolderMark(path, info) {
		return
	}
	if !inMaildir && isMHDeleted(filepath.Base(path)) {
		w.skip(path, skipMHDeleted)
		return
	}
	// Maildir files are messages by construction; the sniff is for what
	// sits beside fixtures (manifests, notes).
	if !inMaildir && !msgExt[ext] && !w.looksLikeMessage(path) {
		w.skip(path, skipNotMessage)
		return
	}
	*out = append(*out, walkEntry{path: path})
}

// isMHDeleted reports an MH folder's deleted message: rmm(1) renames
// message 5 to ",5" (nmh's default backup prefix) and leaves it there.
func isMHDeleted(name string) bool {
	if len(name) < 2 || name[0] != ',' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// isMaildirFolderMark reports the empty "maildirfolder" file that marks a
// Maildir++ folder (.Sent/maildirfolder): part of the layout, as tmp/ is,
// not a message.
func isMaildirFolderMark(path string, info os.FileInfo) bool {
	return filepath.Base(path) == "maildirfolder" && info != nil && info.Size() == 0
}

func (w *walker) skip(path, reason string) {
	w.skipped = append(w.skipped, Skip{Path: path, Reason: reason})
}

func (w *walker) excluded(path string, info os.FileInfo) bool {
	for _, x := range w.exclude {
		if (x.info != nil && info != nil && os.SameFile(x.info, info)) || x.abs == w.abs(path) {
			return true
		}
	}
	return false
}

// abs is filepath.Abs without a Getwd per call.
func (w *walker) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(w.cwd, p)
}

// sniffBytes is how much of a file looksLikeMessage reads: blank lines
// before the header are allowed, up to this much.
const sniffBytes = 4 << 10

// looksLikeMessage reads the start of path. A file it cannot open or read,
// or that is blank, counts as a message: reading it reports the error.
func (w *walker) looksLikeMessage(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	if w.buf == nil {
		w.buf = make([]byte, sniffBytes)
	}
	n, _ := io.ReadFull(f, w.buf)
	return startsLikeMessage(w.buf[:n])
}

// startsLikeMessage reports whether the first non-blank line of b could
// begin a message: an mbox "From " line (RFC 4155) or a header field name
// and colon (RFC 5322 §2.2: printable US-ASCII but ":"; §4.5.3 allows
// white space before the colon), or the line Outlook writes above a header
// it shows (rfc5322.OutlookHeadersLine). A UTF-8 byte order mark is allowed,
// and text in UTF-16 with its byte order mark is read as its UTF-8.
// Blank input is undecided and counts as a message.
func startsLikeMessage(b []byte) bool {
	if text, enc := fromUTF16(b[:len(b)&^1]); enc != "" {
		b = text
	}
	line := firstTextLine(b)
	return line == nil || rfc5322.IsMboxFromLine(line) || isFieldStart(line) ||
		string(bytes.TrimRight(line, " \t")) == rfc5322.OutlookHeadersLine
}

func isFieldStart(line []byte) bool {
	i := 0
	for i < len(line) && line[i] > ' ' && line[i] < 0x7f && line[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] == ':'
}

// isMaildir reports whether dir is a Maildir: it holds cur/ or new/.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if info, err := os.Stat(filepath.Join(dir, sub)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}

// isKMailSubfolders reports whether name, in dir, is where KMail keeps the
// subfolders of a Maildir folder: ".inbox.directory" beside "inbox", each
// subfolder a Maildir in it.
func isKMailSubfolders(dir, name string) bool {
	folder, ok := strings.CutSuffix(strings.TrimPrefix(name, "."), ".directory")
	return ok && folder != "" && isMaildir(filepath.Join(dir, folder))
}

// isMaildirTmp reports whether dir is the tmp/ of a Maildir, where messages
// are still being written (Maildir spec: never read tmp/).
func isMaildirTmp(dir string) bool {
	dir = filepath.Clean(dir) // "md/tmp/" is md/tmp
	if filepath.Base(dir) != "tmp" {
		return false
	}
	parent := filepath.Dir(dir)
	_, errCur := os.Stat(filepath.Join(parent, "cur"))
	_, errNew := os.Stat(filepath.Join(parent, "new"))
	return errCur == nil || errNew == nil
}

// isMaildirSub reports whether dir is the cur/ or new/ of a Maildir: a
// sibling of the other, or of tmp/.
func isMaildirSub(dir string) bool {
	dir = filepath.Clean(dir)
	base := filepath.Base(dir)
	if base != "cur" && base != "new" {
		return false
	}
	parent := filepath.Dir(dir)
	for _, sib := range []string{"cur", "new", "tmp"} {
		if sib == base {
			continue
		}
		if info, err := os.Stat(filepath.Join(parent, sib)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}

// remainingSize is what is left to read of r when it is a regular file
// (standard input redirected from one): read in one buffer of that size, a
// message is not held twice as it grows. 0, unknown, for anything else.
func remainingSize(r io.Reader) int64 {
	f, ok := r.(*os.File)
	if !ok {
		return 0
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return 0
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > info.Size() {
		return 0
	}
	return info.Size() - off
}

func readFile(path string, fn func(Source) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fn(Source{File: path, Err: fmt.Errorf("read %s: %w", path, err)})
	}
	defer f.Close()
	if isEmlx(path) {
		return readEmlx(path, f, remainingSize(f), fn)
	}
	return readStream(path, f, remainingSize(f), fn)
}

// readStream reads one message, or every message of an mbox when the
// stream's first line, after a byte order mark or blank lines, is an mbox
// "From " line. size is the stream's size when it is known, else 0.
func readStream(name string, r io.Reader, size int64, fn func(Source) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffBytes)
	var rest io.Reader = br
	if err != nil && err != bufio.ErrBufferFull {
		// The stream ended (or failed) within the sniffed bytes, and Peek
		// took the end: reading on would wait for a second one, which a
		// terminal's Ctrl-D, unlike a file's end, does not give.
		rest = io.MultiReader(bytes.NewReader(head), ended{err})
	}
	if rfc5322.IsMboxFromLine(firstTextLine(head)) {
		return readMbox(name, rest, fn)
	}
	if size > maxMessageBytes {
		// Reading it would only hold maxMessageBytes to say so.
		return fn(Source{File: name, Err: fmt.Errorf("read %s: larger than %d bytes", name, maxMessageBytes)})
	}
	raw, err := readAll(rest, size)
	if err != nil {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: %w", name, err)})
	}
	if len(raw) > maxMessageBytes {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: larger than %d bytes", name, maxMessageBytes)})
	}
	if len(raw) == 0 {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: empty input", name)})
	}
	if text, enc := fromUTF16(raw); enc != "" {
		return fn(Source{File: name, Raw: text, Recoded: enc})
	}
	if msg, ok := streamEmlx(raw); ok {
		// An .emlx file piped in (cat 4711.emlx | mailtrace analyze):
		// its message starts on the line after the count.
		return fn(Source{File: name, Line: 2, Raw: msg})
	}
	return fn(Source{File: name, Raw: raw})
}

// ended is a stream that has ended with err.
type ended struct{ err error }

func (e ended) Read([]byte) (int, error) { return 0, e.err }

// readAll reads r to its end, or to one byte past maxMessageBytes. With
// the size known, the message is read into one buffer of that size:
// io.ReadAll reads into pieces and copies them into one at the end, which
// holds a large message twice.
func readAll(r io.Reader, size int64) ([]byte, error) {
	r = io.LimitReader(r, maxMessageBytes+1)
	if size <= 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, 0, size+1) // the extra byte reads the end without growing
	for {
		if len(buf) == cap(buf) { // the file grew since its size was taken
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// firstTextLine is the first line of b that is not blank, a UTF-8 byte
// order mark before it left out; nil when b is blank.
func firstTextLine(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte(rfc5322.UTF8BOM))
	for len(b) > 0 {
		end := bytes.IndexAny(b, "\r\n")
		if end < 0 {
			end = len(b)
		}
		if line := b[:end]; len(bytes.TrimSpace(line)) > 0 {
			return line
		}
		b = b[min(end+1, len(b)):]
	}
	return nil
}

// fromUTF16 returns raw as UTF-8 when it starts with a UTF-16 byte order
// mark and has an even length, with the encoding's name; else nil, "".
// Windows writes text so (PowerShell 5's Out-File and ">", Notepad's
// "Unicode"): a message or the header Outlook shows, saved that way, has
// its lines and fields still, two octets a character. The mark is left
// out; a lone surrogate becomes U+FFFD.
func fromUTF16(raw []byte) ([]byte, string) {
	if len(raw) < 2 || len(raw)%2 != 0 {
		return nil, ""
	}
	var order binary.ByteOrder
	var enc string
	switch {
	case raw[0] == 0xff && raw[1] == 0xfe:
		order, enc = binary.LittleEndian, "UTF-16LE"
	case raw[0] == 0xfe && raw[1] == 0xff:
		order, enc = binary.BigEndian, "UTF-16BE"
	default:
		return nil, ""
	}
	units := make([]uint16, 0, len(raw)/2-1)
	for i := 2; i < len(raw); i += 2 {
		units = append(units, order.Uint16(raw[i:]))
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, enc
}
