package analyze

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one message read from the inputs, or the error that kept it
// from being read. A bad input never stops the others.
type Source struct {
	File  string // path, or "-" for standard input
	Index int    // 1-based position in an mbox; 0 for a lone message
	Raw   []byte
	Err   error
}

// maxMessageBytes bounds one message read from disk or stdin.
const maxMessageBytes = 256 << 20

// skipExt are files a directory walk passes over: mailtrace's own outputs and
// the repository files that sit beside fixtures. Named files are always read.
var skipExt = map[string]bool{".json": true, ".md": true, ".zone": true, ".go": true, ".html": true,
	".sarif": true, ".xml": true, ".png": true, ".golden": true, ".jsonl": true, ".txt~": true}

// ReadSources calls fn for every message found in paths, in order: files,
// directories (recursively, Maildir cur/ and new/ included, tmp/ skipped),
// mbox files (split on "From " lines, ">From" unescaped) and "-" for stdin.
// No paths means stdin. It stops early only when fn returns an error.
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
		return readStream("-", stdin, fn)
	}
	info, err := os.Stat(p)
	if err != nil {
		return fn(Source{File: p, Err: fmt.Errorf("read %s: %w", p, err)})
	}
	if !info.IsDir() {
		return readFile(p, fn)
	}
	files, walkErr := listDir(p)
	if walkErr != nil {
		return fn(Source{File: p, Err: fmt.Errorf("walk %s: %w", p, walkErr)})
	}
	sort.Strings(files)
	for _, f := range files {
		if err := readFile(f, fn); err != nil {
			return err
		}
	}
	return nil
}

// listDir lists the message files below dir: regular files, recursively,
// passing over hidden files and folders, Maildir tmp/ and the file types
// in skipExt. Entries that cannot be read are listed so that reading them
// reports the error.
func listDir(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			files = append(files, path)
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || isMaildirTmp(path)) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || skipExt[strings.ToLower(filepath.Ext(name))] || !d.Type().IsRegular() {
			return nil
		}
		files = append(files, path)
		return nil
	})
	return files, err
}

// isMaildirTmp reports whether dir is the tmp/ of a Maildir, where messages
// are still being written (Maildir spec: never read tmp/).
func isMaildirTmp(dir string) bool {
	if filepath.Base(dir) != "tmp" {
		return false
	}
	parent := filepath.Dir(dir)
	_, errCur := os.Stat(filepath.Join(parent, "cur"))
	_, errNew := os.Stat(filepath.Join(parent, "new"))
	return errCur == nil || errNew == nil
}

func readFile(path string, fn func(Source) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fn(Source{File: path, Err: fmt.Errorf("read %s: %w", path, err)})
	}
	defer f.Close()
	return readStream(path, f, fn)
}

// readStream reads one message, or every message of an mbox when the
// stream starts with a "From " line.
func readStream(name string, r io.Reader, fn func(Source) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(5)
	if string(head) == "From " {
		return readMbox(name, br, fn)
	}
	raw, err := io.ReadAll(io.LimitReader(br, maxMessageBytes+1))
	if err != nil {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: %w", name, err)})
	}
	if len(raw) > maxMessageBytes {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: larger than %d bytes", name, maxMessageBytes)})
	}
	if len(raw) == 0 {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: empty input", name)})
	}
	return fn(Source{File: name, Raw: raw})
}

// readMbox splits an mbox (RFC 4155) on "From " lines that follow a blank line
// or start the file, undoing mboxrd quoting (">From " -> "From ", one level).
// The "From " line itself is kept at the top of each message: it is the
// envelope sender the local delivery agent recorded.
func readMbox(name string, br *bufio.Reader, fn func(Source) error) error {
	var cur bytes.Buffer
	index, prevBlank := 0, true
	emit := func() error {
		if index == 0 {
			return nil
		}
		raw := bytes.Clone(cur.Bytes())
		// The blank line before the next "From " belongs to the mbox, not the message.
		raw = trimOneBlankLine(raw)
		cur.Reset()
		return fn(Source{File: name, Index: index, Raw: raw})
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep reading it in pieces.
			cur.Write(line)
			prevBlank = false
			continue
		}
		if len(line) > 0 {
			if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
				if e := emit(); e != nil {
					return e
				}
				index++
			} else if isQuotedFrom(line) {
				line = line[1:]
			}
			if cur.Len() < maxMessageBytes {
				cur.Write(line)
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if err == io.EOF {
			return emit()
		}
		if err != nil {
			if e := emit(); e != nil {
				return e
			}
			return fn(Source{File: name, Index: index + 1, Err: fmt.Errorf("read %s: %w", name, err)})
		}
	}
}

// isQuotedFrom matches mboxrd's ">From ", ">>From ", ...
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

func trimOneBlankLine(raw []byte) []byte {
	for _, end := range []string{"\r\n\r\n", "\n\n"} {
		if bytes.HasSuffix(raw, []byte(end)) {
			return raw[:len(raw)-len(end)/2]
		}
	}
	return raw
}
