package report

import (
	"strings"
)

// mdText escapes untrusted text for Markdown (CommonMark and GitHub's
// extensions) so that it renders as the same characters and nothing else:
// Safe first (controls, escape sequences, bidi overrides and line ends made
// visible), then every ASCII punctuation character backslash-escaped
// (CommonMark §2.4) so no emphasis, link, image, heading, table pipe,
// mention (@), issue reference (#), emoji code (:x:) or URL autolink can
// form, and < > & written as entities so no HTML tag can either. GFM's
// extended email autolink still turns an address into a mailto: link (it
// reads the text after escapes and entities are undone); only a character
// inserted in the address would stop it, and that would corrupt the address
// when copied, so it is left: a mailto: link opens a mail client, nothing
// more.
func mdText(s string) string {
	s = Safe(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case isASCIIPunct(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mdCell is mdText for a table cell, with formula injection neutralised:
// a cell copied into a spreadsheet must not start a formula.
func mdCell(s string) string {
	return mdText(noFormula(s))
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// noFormula prefixes a value that a spreadsheet would read as a formula
// (leading =, +, -, @, tab or CR, and their fullwidth forms, after
// spaces) with an apostrophe, as OWASP's CSV-injection advice does.
func noFormula(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" || t == "-" { // a lone "-" (our "none") is text to every spreadsheet
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(t, p) {
			return "'" + s
		}
	}
	return s
}

// sarifText escapes untrusted text for a SARIF plain-text message: Safe,
// then the square brackets escaped (SARIF 2.1.0 §3.11.6) so that no
// embedded link "[text](uri)" forms in viewers that render them.
func sarifText(s string) string {
	s = Safe(s)
	if !strings.ContainsAny(s, "[]{}") {
		return s
	}
	// Braces are doubled too: a plain-text message's "{0}" is a placeholder
	// to a viewer (SARIF 2.1.0 §3.11.5).
	return sarifEscaper.Replace(s)
}

var sarifEscaper = strings.NewReplacer("[", `\[`, "]", `\]`, "{", "{{", "}", "}}")

// keyValue is one leaf of a flattened value: "spf.result" = "pass".
type keyValue struct {
	Key, Value string
}
