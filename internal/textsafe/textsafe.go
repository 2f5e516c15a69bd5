// Package textsafe says which characters of untrusted text act on a
// terminal or hide what text says, for the packages that print it (report)
// or record it (smtpd's transcripts).
package textsafe

// Invisible reports C1 controls and the Unicode format characters that
// reorder or hide text (bidi overrides, embeddings and isolates, zero-width
// marks, BOM, line and paragraph separators): a hostile Subject or HELO can
// use them to make a terminal lie. xterm, for one, reads U+009B as CSI.
func Invisible(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xfeff, r == 0x061c, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
