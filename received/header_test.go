package received

import (
	"bytes"
	"strings"
)

// receivedFields extracts the Received fields of a message the way a
// lenient reader does, independently of the code under test: it reads the
// header block up to the first empty line, accepts CRLF, LF and bare-CR
// line ends, skips an mbox "From " line, and joins continuation lines to
// their field. A line that cannot start a field (no "name:" made of
// printable characters) is also taken as a continuation: some stored
// messages lost the indentation of their folded lines. Folding is kept in
// the values, as Parse must cope with it.
func receivedFields(msg []byte) []Field {
	var out []Field
	cur := -1 // index in out of the Received field being read, or -1
	for n, line := range headerLines(msg) {
		if n == 0 && strings.HasPrefix(line, "From ") {
			continue
		}
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' || !startsField(line) {
			if cur >= 0 {
				out[cur].Value += "\n" + line
			}
			continue
		}
		cur = -1
		if len(line) > 9 && strings.EqualFold(line[:9], "received:") {
			out = append(out, Field{Value: line[9:], Line: n + 1})
			cur = len(out) - 1
		}
	}
	return out
}

// headerLines splits on CRLF, LF or CR.
func headerLines(msg []byte) []string {
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	msg = bytes.ReplaceAll(msg, []byte("\r"), []byte("\n"))
	return strings.Split(string(msg), "\n")
}

// startsField reports a line of the form "name:" (RFC 5322 §2.2: printable
// ASCII except colon and space).
func startsField(line string) bool {
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		if line[j] <= ' ' || line[j] > '~' {
			return false
		}
	}
	return true
}
