package analyze

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	off  int // byte offset of raw in the carrier's raw
}

// isMessageType reports the content types that carry a whole message or its
// header.
func isMessageType(ct string) bool {
	switch strings.ToLower(ct) {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers":
		return true
	}
	return false
}

// attachedParts lists the messages raw carries, in MIME order. A part
// whose bytes are not in raw as they are (a base64 or quoted-printable
// encoding, which RFC 2046 §5.2.1 does not allow for messages) cannot be
// placed on the file's lines and is named in skipped instead.
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
			if !isMessageType(p.ContentType) {
				walk(p.FirstChild)
				continue
			}
			// Some writers leave a blank line before the attached header.
			body := bytes.TrimLeft(p.Content, "\r\n")
			cte := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
			if cte == "base64" || cte == "quoted-printable" {
				skipped = append(skipped, fmt.Sprintf("attached message in part %s not analysed: it is encoded (%s), so its lines are not the file's", p.PartID, cte))
				continue
			}
			if len(body) == 0 {
				continue
			}
			i := bytes.Index(raw[from:], body)
			if i < 0 {
				skipped = append(skipped, fmt.Sprintf("attached message in part %s not analysed: its bytes are not in the file as they are", p.PartID))
				continue
			}
			parts = append(parts, attachedPart{part: p.PartID, raw: body, off: from + i})
			from += i + len(body)
		}
	}
	walk(root)
	return parts, skipped
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
		m, subMsg := a.analyzeAttached(ctx, sub)
		if m.Error != "" {
			// Not a message after all (a bounce's returned part may be
			// anything): the carrier says so; the run has no error.
			carrier.Defects = append(carrier.Defects, fmt.Sprintf("attached message in part %s not analysed: %s", prefix+p.part, m.Error))
			continue
		}
		m.Part = prefix + p.part
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
