package report

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/analyze"
)

// WriteJSON writes v as indented JSON followed by a line end, as a
// json.Encoder with SetIndent("", "  ") would, but inert on a terminal:
// see jsonInert. Commands that print message data as JSON use it.
func WriteJSON(w io.Writer, v any) error { return writeInert(w, v, "  ", "json") }

// writeInert writes v as JSON (indented by indent, on one line when it is
// empty) and a line end, made inert by jsonInert; what names the format in
// errors.
func writeInert(w io.Writer, v any, indent, what string) error {
	b, err := marshalInert(v, "", indent)
	if err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// marshalInert is json.MarshalIndent (json.Marshal when indent is empty)
// followed by jsonInert.
func marshalInert(v any, prefix, indent string) ([]byte, error) {
	var b []byte
	var err error
	if indent == "" && prefix == "" {
		b, err = json.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, prefix, indent)
	}
	if err != nil {
		return nil, err
	}
	return jsonInert(b), nil
}

// jsonInert rewrites DEL and every rune of JSON text that
// isInvisibleControl reports (C1 controls, bidi overrides, embeddings,
// isolates and marks, zero-width characters, BOM) as a \uXXXX escape.
// encoding/json escapes C0 controls, < > & and U+2028/U+2029 but writes
// these raw, and a terminal acts on them: xterm reads U+009B as CSI,
// U+202E reverses the text after it. JSON is ASCII outside its strings and
// DEL is not JSON whitespace, so every such rune is inside a string, where
// the escape decodes to the same value (RFC 8259 §7). b is returned
// unchanged when it holds none.
func jsonInert(b []byte) []byte {
	var out []byte // allocated at the first rune to escape
	done := 0      // b[:done] is in out already
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf && b[i] != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || isInvisibleControl(r) {
			if out == nil {
				out = make([]byte, 0, len(b)+32)
			}
			out = append(out, b[done:i]...)
			out = appendUnicodeEscape(out, r)
			done = i + size
		}
		i += size
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

// appendUnicodeEscape appends \uXXXX for a rune of the Basic Multilingual
// Plane, in lower-case hex as encoding/json writes its own escapes.
func appendUnicodeEscape(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// marshalMessage is marshalInert of one message's report. A report that
// cannot be written (a value encoding/json refuses) becomes that message's
// error report, so that one message never ends the run's JSON.
func marshalMessage(m *analyze.MessageReport, prefix, indent string) ([]byte, error) {
	b, err := marshalInert(m, prefix, indent)
	if err == nil {
		return b, nil
	}
	stub := analyze.ErrorReport(m.File, m.Index, fmt.Errorf("its report could not be written as JSON: %w", err))
	stub.Line = m.Line
	return marshalInert(stub, prefix, indent)
}
