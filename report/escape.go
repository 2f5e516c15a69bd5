package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// mdText escapes untrusted text for Markdown (CommonMark and GitHub's
// extensions) so that it renders as the same characters and nothing else:
// Safe first (controls, escape sequences, bidi overrides and line ends made
// visible), then every ASCII punctuation character backslash-escaped
// (CommonMark §2.4) so no emphasis, link, image, heading, table pipe,
// mention (@), issue reference (#), emoji code (:x:) or autolink can form,
// and < > & written as entities so no HTML tag can either.
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
	if !strings.ContainsAny(s, "[]") {
		return s
	}
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}

// keyValue is one leaf of a flattened value: "spf.result" = "pass".
type keyValue struct {
	Key, Value string
}

// maxFlatten bounds the entries flatten returns.
const maxFlatten = 200

// flatten turns any JSON-marshalable value (the Auth result, whose type
// this package does not know) into sorted dotted keys and leaf values, so
// renderers can show it without depending on its package. Values are not
// escaped yet.
func flatten(v any) []keyValue {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return []keyValue{{Key: "error", Value: err.Error()}}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return []keyValue{{Key: "error", Value: err.Error()}}
	}
	var out []keyValue
	flattenInto(&out, "", tree)
	return out
}

func flattenInto(out *[]keyValue, prefix string, v any) {
	if len(*out) >= maxFlatten {
		return
	}
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flattenInto(out, join(k), t[k])
		}
	case []any:
		for i, e := range t {
			flattenInto(out, fmt.Sprintf("%s[%d]", prefix, i), e)
		}
	case nil:
		// absent values say nothing
	default:
		if prefix == "" {
			prefix = "value"
		}
		*out = append(*out, keyValue{Key: prefix, Value: fmt.Sprint(t)})
	}
}

// authResults keeps the verdict lines of a flattened auth result: every
// "result" (spf.result, dkim[0].result, ...) and a top-level note. That is
// the summary a CI page has room for; HTML shows every key.
func authResults(kv []keyValue) []keyValue {
	var out []keyValue
	for _, e := range kv {
		if isAuthResult(e.Key) {
			out = append(out, e)
		}
	}
	return out
}

func isAuthResult(key string) bool {
	return key == "result" || strings.HasSuffix(key, ".result") || key == "note"
}
