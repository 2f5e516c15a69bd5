package analyze

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// bodyParser is enmime without charset guessing. The summary reports sizes
// and structure, never the text itself, so a guessed charset could change
// nothing it reports but the noise of "declared X, detected Y" warnings,
// while the guess (chardet over every text part) cost about three times
// the rest of the analysis of a small message. Text parts that declare no
// charset read as RFC 2045 §5.2's default, US-ASCII, which enmime decodes
// as windows-1252: 8-bit octets still come through, one rune each. Nor is
// HTML turned into text when a message has no text part: the text size is
// then 0, as sent, not the size of a conversion.
var bodyParser = enmime.NewParser(
	enmime.DisableCharacterDetection(true),
	enmime.DisableTextConversion(true),
	enmime.SetCustomParseMediaType(parseMediaTypeDefaultCharset),
)

// parseMediaTypeDefaultCharset is enmime's media type parser, plus the
// charset=us-ascii that RFC 2045 implies for text without one.
func parseMediaTypeDefaultCharset(ctype string) (string, map[string]string, []string, error) {
	mtype, params, invalid, err := mediatype.Parse(ctype)
	if err == nil && strings.HasPrefix(mtype, "text/") && params["charset"] == "" {
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = "us-ascii"
	}
	return mtype, params, invalid, err
}

// summarizeBody decodes the MIME structure of msg with enmime. A MIME
// failure is recorded in the summary; it never stops header analysis, which
// has already run on the raw fields. A message that is not MIME at all, or
// is one text part that enmime passes through, is summarised without
// enmime (see plainText and textPart).
func summarizeBody(msg *Message) *BodySummary {
	if text, ok := plainText(msg); ok {
		return &BodySummary{Size: len(msg.Raw), TextSize: text, Attachments: []Attachment{}}
	}
	if text, ok := textPart(msg); ok {
		return &BodySummary{Size: len(msg.Raw), TextSize: text, Attachments: []Attachment{}}
	}
	if line := longMIMEHeaderLine(msg); line > 0 {
		return &BodySummary{Size: len(msg.Raw), Attachments: []Attachment{}, Errors: []string{"MIME not decoded: " + longLineReason(line)}}
	}
	return summarizeMIME(msg.Raw, mimeInput(msg))
}

// skipsBigFields reports whether enmime is given msg without its long
// fields (mimeInput): when there are some, and enmime and Split read the
// header alike: no defect but cut fields, no line ended by a CR alone.
func skipsBigFields(msg *Message) bool {
	return len(msg.big) > 0 && len(msg.Defects) == msg.cuts && !msg.bareCR
}

// longMIMEHeaderLine returns the number of the first line longer than
// maxFieldBytes in what enmime would read as the header (up to the first
// blank line, LF-ended lines as it reads them), leaving out the fields
// mimeInput leaves out; 0 when there is none. enmime copies every header
// line several times over and quotes a malformed one whole in its errors:
// a 50 MiB line that Split saw end the header took 470 MB. Split has cut
// or set aside such a line already, so the header analysis has it.
func longMIMEHeaderLine(msg *Message) int {
	if len(msg.Raw) <= maxFieldBytes {
		return 0 // no line can be that long
	}
	var skip []fieldSpan
	if skipsBigFields(msg) {
		skip = msg.big
	}
	raw := msg.Raw
	// n counts lines as Split does, a CR alone ending one too, so that the
	// number is the report's.
	for pos, n := 0, 1; pos < len(raw); {
		end := bytes.IndexByte(raw[pos:], '\n') + 1
		if end == 0 {
			end = len(raw) - pos
		}
		line := raw[pos : pos+end]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return 0 // the blank line: the header ends
		}
		if len(line) > maxFieldBytes && !insideSpan(skip, pos) {
			return n
		}
		pos, n = pos+end, n+lineEnds(line)
	}
	return 0
}

// longLineReason says why enmime is not given a message that has a line
// longMIMEHeaderLine found.
func longLineReason(line int) string {
	return fmt.Sprintf("line %d, which a MIME parser reads as part of the header, is longer than %d bytes", line, maxFieldBytes)
}

// insideSpan reports whether offset pos is inside one of the fields.
func insideSpan(fields []fieldSpan, pos int) bool {
	for _, f := range fields {
		if f.nameStart <= pos && pos < f.end {
			return true
		}
	}
	return false
}

// mimeInput is the message as enmime is given it: without the long fields
// it reads nothing from (Message.bigFields) when skipsBigFields. Most
// messages have none and are given as they are.
func mimeInput(msg *Message) io.Reader {
	if !skipsBigFields(msg) {
		return bytes.NewReader(msg.Raw[msg.headerStart:])
	}
	pieces := make([]io.Reader, 0, len(msg.big)+1)
	pos := msg.headerStart
	for _, f := range msg.big {
		pieces = append(pieces, bytes.NewReader(msg.Raw[pos:f.nameStart]))
		pos = f.end
	}
	return io.MultiReader(append(pieces, bytes.NewReader(msg.Raw[pos:]))...)
}

// plainText returns the text size of a message that is not MIME (RFC 2045
// §4: no MIME-Version, Content-Type or Content-Transfer-Encoding) and whose
// body is 7-bit: such a body is one US-ASCII text part, byte for byte, so
// enmime would only copy it, at several times the cost of the rest of the
// analysis of a small message. Test-suite mail, what a capturing sink sees
// most, is often just that. A reference test holds it to enmime's result.
func plainText(msg *Message) (int, bool) {
	if len(msg.Defects) > 0 {
		return 0, false // a malformed header: enmime may end it elsewhere
	}
	for _, f := range msg.Fields {
		if equalFoldASCII(f.Name, "MIME-Version") || equalFoldASCII(f.Name, "Content-Type") ||
			equalFoldASCII(f.Name, "Content-Transfer-Encoding") {
			return 0, false
		}
	}
	if msg.bareCR {
		return 0, false // enmime reads no bare-CR header, where Split does
	}
	if !isASCIIText(msg.Body) {
		return 0, false
	}
	return len(msg.Body), true
}

// textPart returns the text size of a MIME message that enmime reads as a
// single text/plain part and passes through byte for byte: declared UTF-8,
// or US-ASCII with a body of 7 bits and no NUL, with no transfer encoding
// to undo and no disposition. enmime would read such a body into memory
// twice and copy it into a string once more to give its length (a 50 MiB
// text took 300 MB). The header must read alike to enmime and Split (no
// defect but cut fields, no CR alone, no white space before a colon, an
// mbox line that enmime takes for a field of its own), and the check
// that summarizeMIME makes first (mimeTooComplex) must pass. A reference
// test holds it to enmime's result.
func textPart(msg *Message) (int, bool) {
	if len(msg.Defects) != msg.cuts || msg.bareCR || msg.spaceBeforeColon || !mboxLineIsField(msg.MboxFrom) {
		return 0, false
	}
	ctype, cte, ok := textPartFields(msg)
	if !ok {
		return 0, false
	}
	mtype, params, invalid, err := parseMediaTypeDefaultCharset(ctype)
	if err != nil || len(invalid) > 0 || mtype != "text/plain" {
		return 0, false
	}
	switch strings.ToLower(cte) {
	case "", "7bit", "8bit", "binary":
	default:
		return 0, false
	}
	switch strings.ToLower(params["charset"]) {
	case "utf-8": // passed through as it is
	case "us-ascii": // decoded as windows-1252: one byte a rune below 0x80
		if !isASCIIText(msg.Body) {
			return 0, false
		}
	default:
		return 0, false
	}
	if mimeTooComplex(msg.Raw) != "" {
		return 0, false
	}
	return len(msg.Body), true
}

// textPartFields returns the values of the Content-Type and
// Content-Transfer-Encoding fields as enmime reads them, the type enmime
// gives a message without one in its place; ok is false when one of them
// is there twice or was cut, or there is a Content-Disposition.
func textPartFields(msg *Message) (ctype, cte string, ok bool) {
	ctype = `text/plain; charset="us-ascii"` // enmime's for a message that declares none
	var seenType, seenCTE bool
	for _, f := range msg.Fields {
		var seen *bool
		switch {
		case equalFoldASCII(f.Name, "Content-Type"):
			seen, ctype = &seenType, enmimeValue(f.Value)
		case equalFoldASCII(f.Name, "Content-Transfer-Encoding"):
			seen, cte = &seenCTE, enmimeValue(f.Value)
		case equalFoldASCII(f.Name, "Content-Disposition"):
			return "", "", false
		default:
			continue
		}
		if *seen || len(f.Value) >= maxFieldBytes {
			return "", "", false
		}
		*seen = true
	}
	return ctype, cte, true
}

// enmimeValue is a field's value as enmime reads it: every line trimmed of
// ASCII white space, CR and LF included (its first line on the right, the
// field's name being on its left), the lines joined with one space, then
// spaces and tabs trimmed around the whole.
func enmimeValue(v string) string {
	v = strings.TrimSuffix(v, "\n")
	first, rest, folded := strings.Cut(v, "\n")
	if !folded {
		return strings.Trim(strings.TrimRight(first, " \t\r\n"), " \t")
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(first, " \t\r\n"))
	for line := range strings.SplitSeq(rest, "\n") {
		b.WriteByte(' ')
		b.WriteString(strings.Trim(line, " \t\r\n"))
	}
	return strings.Trim(b.String(), " \t")
}

// mboxLineIsField reports whether enmime reads an mbox "From " line as a
// field of its own, as it does when the line has a colon (the time of its
// date) and before it only spaces and bytes a field name may hold; "" is
// no line. Without a colon, enmime runs the line into the field after it.
func mboxLineIsField(line string) bool {
	if line == "" {
		return true
	}
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		if c := line[j]; c != ' ' && (c < 33 || c > 126) {
			return false
		}
	}
	return true
}

// isASCIIText reports a body of 7-bit bytes without NUL.
func isASCIIText(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0 {
			return false
		}
	}
	return true
}

// MIME nesting that enmime is not given: a multipart nested in a multipart
// whose boundaries never close costs enmime twice as much for every level
// (measured: 1.2 s at 20 levels, 2.5 s at 22), so a 1 KB message could stop
// the analysis. Postfix bounds nesting for the same reason
// (mime_nesting_limit). Multiparts that close cost little at any depth; only
// the ones left open at the end of the message are held to the tighter bound.
const (
	maxMIMENesting  = 64
	maxMIMEUnclosed = 12
)

// maxMIMEParts bounds the parts of a body given to enmime, which adds
// each part to a list it walks to the end and appends each text part to
// one string: its time grows with the square of the parts (0.55 s for
// 8,000; a 25 MB message holds 500,000). Real mail has a few, a digest
// a few hundred.
const maxMIMEParts = 5000

// mimeTooComplex says why enmime is not given raw (multiparts nested too
// deep, too many left open, too many parts), "" when it may be.
func mimeTooComplex(raw []byte) string {
	deepest, unclosed, parts := mimeNesting(raw, maxMIMENesting)
	switch {
	case deepest > maxMIMENesting || unclosed > maxMIMEUnclosed:
		return fmt.Sprintf("MIME nesting too deep: %d multiparts inside each other (at most %d), %d never closed (at most %d); body not decoded",
			deepest, maxMIMENesting, unclosed, maxMIMEUnclosed)
	case parts > maxMIMEParts:
		return fmt.Sprintf("MIME has %d parts (at most %d are decoded); body not decoded", parts, maxMIMEParts)
	}
	return ""
}

// summarizeMIME is the body summary of raw through enmime, which reads
// in: raw, or raw without fields it reads nothing from (mimeInput).
func summarizeMIME(raw []byte, in io.Reader) (b *BodySummary) {
	b = &BodySummary{Size: len(raw), Attachments: []Attachment{}}
	if why := mimeTooComplex(raw); why != "" {
		b.Errors = append(b.Errors, why)
		return b
	}
	defer func() {
		// enmime is third-party code fed hostile input: a panic there must
		// not cost the header analysis already done.
		if r := recover(); r != nil {
			b.Errors = append(b.Errors, fmt.Sprintf("MIME parser failed: %v", r))
		}
	}()
	env, err := bodyParser.ReadEnvelope(in)
	if err != nil {
		b.Errors = append(b.Errors, cutError(fmt.Sprintf("MIME parse: %v", err)))
		return b
	}
	b.TextSize, b.HTMLSize, b.Inlines = len(env.Text), len(env.HTML), len(env.Inlines)
	for _, p := range env.Attachments {
		b.Attachments = append(b.Attachments, Attachment{Name: p.FileName, ContentType: p.ContentType, Size: len(p.Content)})
	}
	for _, e := range env.Errors {
		b.Errors = append(b.Errors, cutError(e.Error()))
	}
	return b
}

// cutError cuts an error of enmime's to maxFieldBytes, as Split cuts a
// field, marking the cut with "…": enmime quotes whole header lines in its
// errors ("Continued line %q was not indented", "malformed MIME header
// line: ..."), and one of 50 MiB was reported whole, twice in JSON (the
// body's errors, the mime-error finding's evidence).
func cutError(e string) string {
	if len(e) <= maxFieldBytes {
		return e
	}
	end := maxFieldBytes
	for end > 0 && !utf8.RuneStart(e[end]) {
		end-- // not inside a rune
	}
	return e[:end] + "…"
}

// mimeNesting scans raw for multipart boundaries, without parsing MIME: a
// "boundary=" parameter opens one, a "--boundary" line of an open one ends
// the parts nested inside it, and "--boundary--" closes it too. It returns
// how many were open at once at most (it stops counting past limit), how
// many were still open at the end, and how many parts the delimiter lines
// began. A "boundary=" in text only overcounts, which errs on the safe side.
func mimeNesting(raw []byte, limit int) (deepest, unclosed, parts int) {
	var open [][]byte
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r \t")
		if bytes.HasPrefix(line, []byte("--")) {
			var part bool
			if open, part = endParts(open, line[2:]); part {
				parts++
			}
			continue
		}
		if v := boundaryParam(line); v != nil {
			open = append(open, v)
			if deepest = max(deepest, len(open)); deepest > limit {
				return deepest, len(open), parts
			}
		}
	}
	return deepest, len(open), parts
}

// endParts pops the boundaries nested inside the one a delimiter line names,
// and that one too when the line closes it ("--boundary--"); part reports a
// line that begins a part.
func endParts(open [][]byte, delim []byte) (_ [][]byte, part bool) {
	for i := len(open) - 1; i >= 0; i-- {
		rest, ok := bytes.CutPrefix(delim, open[i])
		switch {
		case !ok:
		case len(rest) == 0:
			return open[:i+1], true
		case bytes.HasPrefix(rest, []byte("--")):
			return open[:i], false
		}
	}
	return open, false
}

// boundaryParam returns the value of a boundary parameter on line (quoted or
// a token, name in any case), or nil.
func boundaryParam(line []byte) []byte {
	for i := bytes.IndexByte(line, '='); i >= 0; {
		if i >= 8 && bytes.EqualFold(line[i-8:i], []byte("boundary")) {
			v := line[i+1:]
			if len(v) > 0 && v[0] == '"' {
				if j := bytes.IndexByte(v[1:], '"'); j >= 0 {
					return v[1 : j+1]
				}
				return nil
			}
			if j := bytes.IndexAny(v, "; \t"); j >= 0 {
				v = v[:j]
			}
			if len(v) == 0 {
				return nil
			}
			return v
		}
		j := bytes.IndexByte(line[i+1:], '=')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return nil
}
