package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Apple Mail keeps each message in a .emlx file (and one whose attachments
// it left on the server in a .partial.emlx): a line with the message's
// length in octets, padded with spaces, then the message as received, then
// an XML property list of Mail's own (flags, dates). The length is what
// separates the message from the plist, so it must be right: a count that
// is not a number, runs past the file or stops short of the plist is an
// error entry, not a guess.

// isEmlx reports whether path is named as Apple Mail names its messages.
func isEmlx(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".emlx")
}

// readEmlx reads the message of an .emlx file: its Line is 2, the line
// after the count, so that reports name the file's lines.
func readEmlx(name string, r io.Reader, size int64, fn func(Source) error) error {
	fail := func(err error) error {
		return fn(Source{File: name, Err: fmt.Errorf("read %s: %w", name, err)})
	}
	if size > maxMessageBytes+emlxPlistRoom {
		return fail(fmt.Errorf("larger than %d bytes", maxMessageBytes))
	}
	data, err := io.ReadAll(io.LimitReader(r, maxMessageBytes+emlxPlistRoom+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > maxMessageBytes+emlxPlistRoom {
		return fail(fmt.Errorf("larger than %d bytes", maxMessageBytes))
	}
	if len(data) == 0 {
		return fail(errors.New("empty input"))
	}
	msg, _, err := emlxMessage(data)
	if err != nil {
		return fail(err)
	}
	return fn(Source{File: name, Line: 2, Raw: msg})
}

// emlxMessage returns the message an .emlx file's bytes hold and what
// follows it (Mail's property list), or why they cannot be one.
func emlxMessage(data []byte) (msg, plist []byte, err error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, nil, errors.New("not an .emlx file: no byte count line")
	}
	n, ok := parseLength(bytes.TrimRight(data[:nl], "\r"))
	if !ok {
		return nil, nil, fmt.Errorf("not an .emlx file: first line %q is not a byte count", truncateForError(data[:nl]))
	}
	rest := data[nl+1:]
	switch {
	case n == 0:
		return nil, nil, errors.New("emlx byte count is 0: no message")
	case n > len(rest):
		return nil, nil, fmt.Errorf("emlx byte count %d is larger than the %d bytes after it", n, len(rest))
	case !isEmlxPlist(rest[n:]):
		return nil, nil, fmt.Errorf("emlx byte count %d does not end where the property list starts", n)
	}
	return rest[:n:n], rest[n:], nil
}

// streamEmlx returns the message of an .emlx file read from a stream that
// has no name to tell it by (standard input): the first line is a byte
// count alone, which no message's first line is (a header field has a
// colon), and the count ends where Mail's property list starts. The count
// line is tried first, so that a message's first line is turned down
// without an error being made.
func streamEmlx(data []byte) ([]byte, bool) {
	line, _, found := bytes.Cut(data, []byte("\n"))
	if !found {
		return nil, false
	}
	if _, ok := parseLength(bytes.TrimRight(line, "\r")); !ok {
		return nil, false
	}
	msg, plist, err := emlxMessage(data)
	return msg, err == nil && len(bytes.TrimLeft(plist, " \t\r\n")) > 0
}

// emlxPlistRoom is how much more than a message an .emlx file may hold: the
// plist after it is a few hundred bytes.
const emlxPlistRoom = 1 << 20

// isEmlxPlist reports whether b, what follows the counted message, is
// nothing or Mail's property list, white space before it allowed.
func isEmlxPlist(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) == 0 || bytes.HasPrefix(b, []byte("<?xml")) || bytes.HasPrefix(b, []byte("<!DOCTYPE plist")) ||
		bytes.HasPrefix(b, []byte("<plist"))
}

// truncateForError shortens a line quoted in an error.
func truncateForError(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
