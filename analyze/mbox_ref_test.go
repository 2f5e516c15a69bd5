package analyze

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mailtrace/mailtrace/internal/gentext"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// refReadMbox is readMbox as it was before it read Content-Length (commit
// eb4a349), kept as the reference for mboxes the change must not touch.
func refReadMbox(name string, br *bufio.Reader, fn func(Source) error) error {
	var cur bytes.Buffer
	index, prevBlank := 0, true
	lineNo, start := 0, 0 // lines begun so far; the line the current message starts at
	atLineStart, oversize := true, false
	emit := func() error {
		raw := cur.Bytes()
		cur = bytes.Buffer{} // raw is the message's now: no copy, and no buffer kept at its size
		if index == 0 {
			return nil
		}
		if oversize {
			oversize = false
			return fn(Source{File: name, Index: index, Line: start,
				Err: fmt.Errorf("read %s: message %d (line %d) larger than %d bytes", name, index, start, maxMessageBytes)})
		}
		// The blank line before the next "From " belongs to the mbox, not the message.
		return fn(Source{File: name, Index: index, Line: start, Raw: trimOneBlankLine(raw)})
	}
	for {
		piece, err := br.ReadSlice('\n')
		whole := !errors.Is(err, bufio.ErrBufferFull) // piece ends its line
		if len(piece) > 0 {
			if atLineStart {
				lineNo++
				if index == 0 && rfc5322.IsMboxFromLine(bytes.TrimPrefix(piece, []byte(rfc5322.UTF8BOM))) || prevBlank && isMboxSeparator(piece) {
					if e := emit(); e != nil {
						return e
					}
					index, start = index+1, lineNo
				} else if isQuotedFrom(piece) {
					piece = piece[1:]
				}
			}
			lineNo += bareCRs(piece)
			if cur.Len()+len(piece) <= maxMessageBytes {
				cur.Write(piece)
			} else {
				oversize = true
			}
			prevBlank = whole && atLineStart && len(bytes.TrimRight(piece, "\r\n")) == 0
		}
		atLineStart = whole
		if err == io.EOF {
			return emit()
		}
		if err != nil && whole {
			if e := emit(); e != nil {
				return e
			}
			return fn(Source{File: name, Index: index + 1, Err: fmt.Errorf("read %s: %w", name, err)})
		}
	}
}

// mboxPieces are what generated mboxes are made of: separators and lines
// that look like them, quoting, every line end, and lines longer than a
// piece of the reader.
var mboxPieces = []string{
	"From a@b Mon Jan  1 00:00:00 2024\n", "From b@c Tue Jan  2 10:11:12 2024\r\n", "From the start\n", "From : a@b\n",
	">From x\n", ">>From y\r\n", "\n", "\n", "\r\n", "\r", "\xef\xbb\xbf", "Subject: x\n", "X-A: b\r\n", " folded\n", "body\n",
	"From " + strings.Repeat("l", mboxPiece-10) + " Mon Jan  1 00:00:00 2024\n", strings.Repeat("x", mboxPiece-1) + "\r\n",
	strings.Repeat("y", 2*mboxPiece+3),
}

// TestReadMboxMatchesReference: generated mboxes, read whole, a byte at a
// time, with a read error at the end and from a reader that stops giving
// anything, split as the reference splits them.
func TestReadMboxMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4155, 1))
	for i := range 300 {
		mbox := "From a@b Mon Jan  1 00:00:00 2024\n" + gentext.Join(r, mboxPieces, r.IntN(14))
		if i%7 == 0 {
			mbox = gentext.Join(r, mboxPieces, r.IntN(14)) // need not start with a separator
		}
		readers := map[string]func() io.Reader{
			"whole":      func() io.Reader { return strings.NewReader(mbox) },
			"read error": func() io.Reader { return io.MultiReader(strings.NewReader(mbox), iotest.ErrReader(errTestRead)) },
			"stalls":     func() io.Reader { return io.MultiReader(strings.NewReader(mbox), stalled{}) },
		}
		if len(mbox) < 4096 {
			readers["one byte"] = func() io.Reader { return iotest.OneByteReader(strings.NewReader(mbox)) }
		}
		for name, open := range readers {
			got, want := readAllMbox(newReadMbox, open()), readAllMbox(refReadMbox, open())
			if got != want {
				t.Fatalf("%s, %q:\n got %s\nwant %s", name, abbreviate(mbox), got, want)
			}
		}
	}
}

var errTestRead = errors.New("disk on fire")

// stalled is a reader that returns nothing, and no error, for ever.
type stalled struct{}

func (stalled) Read([]byte) (int, error) { return 0, nil }

func newReadMbox(name string, br *bufio.Reader, fn func(Source) error) error {
	return readMbox(name, br, fn)
}

// readAllMbox runs an mbox reader over bufio, as readStream does, and
// describes what it gave.
func readAllMbox(read func(string, *bufio.Reader, func(Source) error) error, r io.Reader) string {
	var b strings.Builder
	err := read("m", bufio.NewReaderSize(r, 64<<10), func(s Source) error {
		fmt.Fprintf(&b, "[%d line %d err %v: %q]", s.Index, s.Line, s.Err, abbreviate(string(s.Raw)))
		return nil
	})
	fmt.Fprintf(&b, " -> %v", err)
	return b.String()
}

// abbreviate shortens runs of a repeated byte, so that failures with
// lines of 64 KiB stay readable.
func abbreviate(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		n := 1
		for n < len(s) && s[n] == s[0] {
			n++
		}
		if n > 8 {
			fmt.Fprintf(&b, "%c×%d", s[0], n)
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}
