package analyze

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"path"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Attached messages. A message forwarded as an attachment (message/rfc822,
// RFC 2046 §5.2.1), or the returned message of a bounce or an abuse report
// (text/rfc822-headers, RFC 6522; message/global, RFC 6532), has a trace of
// its own: for a phishing report it is the one that matters, and the
// carrier's only says who forwarded it.

// maxAttachedDepth bounds how deep attached messages are looked for: a
// message attached in one attached in another.
const maxAttachedDepth = 3

// maxAttached bounds how many attached messages one message gets analysed,
// all levels together: each is a whole analysis, DNS included, and a
// hostile message can hold thousands.
const maxAttached = 100

// attachedPart is one message carried inside another.
type attachedPart struct {
	part string // where in the carrier: its MIME part ("2"), "2/1" for one inside that one
	raw  []byte
	off  int // byte offset of raw in the carrier's raw, or of its encoded form
	// decoded is the transfer encoding raw was decoded from ("base64",
	// "quoted-printable"); "" when raw is the carrier's bytes as they are.
	decoded string
}

// maxDecodedAttached bounds the encoded content decoded for one attached
// message; a larger one is named in the carrier's defects instead.
const maxDecodedAttached = 25 << 20

// isMessageType reports the content types that carry a whole message or its
// header.
func isMessageType(ct string) bool {
	switch strings.ToLower(ct) {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers":
		return true
	}
	return false
}

// isMessageFile reports an attachment that is a message saved as a file
// and attached as such: application/octet-stream (or another type a
// client guessed) named *.eml. Phishing-report buttons and people
// forwarding "as a file" send messages so, mostly base64-encoded.
func isMessageFile(p *enmime.Part) bool {
	if strings.HasPrefix(strings.ToLower(p.ContentType), "multipart/") {
		return false
	}
	name := p.FileName
	if name == "" {
		if _, params, err := mime.ParseMediaType(p.Header.Get("Content-Type")); err == nil {
			name = params["name"]
		}
	}
	return strings.EqualFold(path.Ext(strings.TrimSpace(name)), ".eml")
}

// attachedParts lists the messages raw carries, in MIME order. A message
// part is found by its bytes in raw. One carried in a base64 or
// quoted-printable encoding (which RFC 2046 §5.2.1 does not allow for
// messages, but clients use, and always for a message attached as an .eml
// file) is decoded: its lines are its own, not the file's (decoded says
// so). What cannot be read is named in skipped.
func attachedParts(msg *Message) (parts []attachedPart, skipped []string) {
	raw := msg.Raw
	if mimeTooComplex(raw) != "" {
		return nil, nil // not parsed at all (summarizeMIME says why in the body summary)
	}
	// enmime is given the message as summarizeBody gives it: without the
	// long fields it reads nothing from, and not at all with a line it
	// would copy many times over. The parts' bytes are the file's either way.
	if line := longMIMEHeaderLine(msg); line > 0 {
		return nil, []string{"attached messages not looked for: " + longLineReason(line)}
	}
	root, err := readParts(mimeInput(msg))
	if err != nil || root == nil {
		return nil, nil
	}
	from := 0 // the same message attached twice is found twice
	var walk func(p *enmime.Part)
	walk = func(p *enmime.Part) {
		for ; p != nil; p = p.NextSibling {
			if !isMessageType(p.ContentType) && !isMessageFile(p) {
				walk(p.FirstChild)
				continue
			}
			// Some writers leave a blank line before the attached header.
			body := bytes.TrimLeft(p.Content, "\r\n")
			if len(body) == 0 {
				continue
			}
			i := bytes.Index(raw[from:], body)
			if i < 0 {
				skipped = append(skipped, fmt.Sprintf("attached message in part %s not analysed: its bytes are not in the file as they are", p.PartID))
				continue
			}
			part := attachedPart{part: p.PartID, raw: body, off: from + i}
			from += i + len(body)
			cte := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
			if cte == "base64" || cte == "quoted-printable" {
				dec, err := decodeAttached(body, cte)
				if err != nil {
					skipped = append(skipped, fmt.Sprintf("attached message in part %s not analysed: %v", p.PartID, err))
					continue
				}
				part.raw, part.decoded = dec, cte
			}
			parts = append(parts, part)
		}
	}
	walk(root)
	return parts, skipped
}

// decodeAttached undoes the transfer encoding of an attached message.
func decodeAttached(b []byte, cte string) ([]byte, error) {
	if len(b) > maxDecodedAttached*4/3+len(b)/38 { // base64 grows by 4/3, and a line end each 76
		return nil, fmt.Errorf("its %s content is over %d MiB", cte, maxDecodedAttached>>20)
	}
	var r io.Reader = quotedprintable.NewReader(bytes.NewReader(b))
	if cte == "base64" {
		r = base64.NewDecoder(base64.StdEncoding, skipSpace{bytes.NewReader(b)})
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecodedAttached+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("its %s content does not decode: %w", cte, err)
	case len(out) > maxDecodedAttached:
		return nil, fmt.Errorf("decoded, it is over %d MiB", maxDecodedAttached>>20)
	case len(bytes.TrimSpace(out)) == 0:
		return nil, fmt.Errorf("its %s content is empty", cte)
	}
	return out, nil
}

// skipSpace reads r without the white space (line ends) base64 text is
// written in, which encoding/base64 rejects but for CR and LF.
type skipSpace struct{ r io.Reader }

func (s skipSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	w := 0
	for _, c := range p[:n] {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			p[w] = c
			w++
		}
	}
	return w, err
}

// partsParser reads the MIME tree as written: no transfer decoding, no
// charset conversion, so that an attached message's bytes are the file's.
var partsParser = enmime.NewParser(
	enmime.RawContent(true),
	enmime.DisableCharacterDetection(true),
	enmime.DisableTextConversion(true),
)

// readParts is enmime's part tree of what r reads; a panic in enmime, fed hostile
// input, is an error.
func readParts(r io.Reader) (root *enmime.Part, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("MIME parser failed: %v", r)
		}
	}()
	return partsParser.ReadParts(r)
}

// AnalyzeAll is Analyze, followed, with Options.Attached, by the reports of
// the messages the message carries, each with Part set, in MIME order and
// depth first: a message attached inside an attached one follows it.
func (a *Analyzer) AnalyzeAll(ctx context.Context, in Input) []*MessageReport {
	rep, msg := a.analyze(ctx, in)
	out := []*MessageReport{rep}
	if !a.opts.Attached {
		return out
	}
	dropped := 0
	out = a.appendAttached(ctx, out, in, msg, "", 1, &dropped)
	if dropped > 0 {
		out[0].Defects = append(out[0].Defects, fmt.Sprintf("%d more attached messages not analysed (at most %d are)", dropped, maxAttached))
	}
	return out
}

// appendAttached appends the reports of the messages in.Raw carries; msg is
// in split (nil when it could not be), and prefix the part path of in
// itself. Past maxAttached reports it counts the messages it leaves out in
// dropped.
func (a *Analyzer) appendAttached(ctx context.Context, out []*MessageReport, in Input, msg *Message, prefix string, depth int, dropped *int) []*MessageReport {
	carrier := out[len(out)-1]
	if msg == nil || carrier.Error != "" || depth > maxAttachedDepth {
		return out
	}
	parts, skipped := attachedParts(msg)
	carrier.Defects = append(carrier.Defects, skipped...)
	line := max(in.Line, 1)
	at := 0 // in.Raw[:at] has been counted into line
	for _, p := range parts {
		if len(out) > maxAttached { // out holds the top carrier and the attached ones so far
			*dropped++
			continue
		}
		line += lineEnds(in.Raw[at:p.off])
		at = p.off
		sub := Input{File: in.File, Index: in.Index, Line: line, Raw: p.raw}
		decoded := firstOf(p.decoded, carrier.Decoded)
		if decoded != "" {
			sub.Line = 0 // its lines are its own: the file has them encoded
		}
		m, subMsg := a.analyzeAttached(ctx, sub)
		if m.Error != "" {
			// Not a message after all (a bounce's returned part may be
			// anything): the carrier says so; the run has no error.
			carrier.Defects = append(carrier.Defects, fmt.Sprintf("attached message in part %s not analysed: %s", prefix+p.part, m.Error))
			continue
		}
		m.Part, m.Decoded = prefix+p.part, decoded
		if decoded != "" {
			m.Line = line // where it starts in the file, encoded (or where its encoded carrier does)
			if carrier.Decoded != "" {
				m.Line = carrier.Line
			}
		}
		out = append(out, m)
		out = a.appendAttached(ctx, out, sub, subMsg, m.Part+"/", depth+1, dropped)
	}
	return out
}

// analyzeAttached is analyze with a panic turned into an error report, so
// that an attached message costs its carrier's report nothing.
func (a *Analyzer) analyzeAttached(ctx context.Context, in Input) (m *MessageReport, msg *Message) {
	defer func() {
		if r := recover(); r != nil {
			m, msg = in.errorReport(fmt.Errorf("analyze: internal error: %v", r)), nil
		}
	}()
	return a.analyze(ctx, in)
}

// lineEnds counts the line ends in b as Split does: CRLF, LF or a bare CR,
// that is every LF and CR but one of each CRLF pair. bytes.Count reads a
// large piece (a body of megabytes, a line of one) far faster than a loop.
func lineEnds(b []byte) int {
	return bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) - bytes.Count(b, []byte("\r\n"))
}
