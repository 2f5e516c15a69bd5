package rfc5322

import "bytes"

// UTF8BOM is the byte order mark an editor may write at the start of a file.
const UTF8BOM = "\xef\xbb\xbf"

// HeaderStart returns where a message's header starts in raw: past a UTF-8
// byte order mark (bom) and past blank lines, each ended by LF or CRLF
// (blank counts them). No header starts with them, but files saved by an
// editor or cut from a terminal do. A lone line end left at the end is not
// passed over: it is the message's empty header. analyze.Split and package
// auth's splitter both start here, so that they read the same fields.
func HeaderStart(raw []byte) (off, blank int, bom bool) {
	if bytes.HasPrefix(raw, []byte(UTF8BOM)) {
		off, bom = len(UTF8BOM), true
	}
	for rest := raw[off:]; len(rest) > 1 && (rest[0] == '\n' || rest[0] == '\r' && rest[1] == '\n'); rest = raw[off:] {
		if rest[0] == '\n' {
			off++
		} else {
			off += 2
		}
		blank++
	}
	return off, blank, bom
}

// IsMboxFromLine reports whether line starts with an mbox "From " line (RFC
// 4155): "From " and a sender, not a From field written with white space
// before its colon (RFC 5322 §4.5.3, "From : a@example.org").
func IsMboxFromLine(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("From "))
	rest = bytes.TrimLeft(rest, " \t")
	return ok && len(rest) > 0 && rest[0] != ':'
}

// OutlookHeadersLine is the line Outlook puts above a message's header when
// it shows it (Message Options, Internet headers) for mail kept on an
// Exchange server, which users save or paste as the message.
const OutlookHeadersLine = "Microsoft Mail Internet Headers Version 2.0"

// OutlookPreamble returns the length of an OutlookHeadersLine at the start
// of raw, with its line end, or 0 when raw does not start with one.
// analyze.Split and package auth's splitter both pass over it.
func OutlookPreamble(raw []byte) int {
	rest, ok := bytes.CutPrefix(raw, []byte(OutlookHeadersLine))
	if !ok {
		return 0
	}
	rest = bytes.TrimLeft(rest, " \t")
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return len(raw) - len(rest) + 2
	case bytes.HasPrefix(rest, []byte("\n")):
		return len(raw) - len(rest) + 1
	}
	return 0
}
