package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/russross/blackfriday/v2"
	"golang.org/x/net/html"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// payloads attack each format: HTML/JS injection, links, terminal escape
// sequences, Markdown and table breaking, spreadsheet formulas, bidi and
// invisible characters, line breaks, raw control and invalid UTF-8 bytes.
var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`[click](javascript:alert(1))`,
	`![x](https://evil.example/p.png)`,
	"\x1b[31mred\x1b[0m\x1b]0;title\x07\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\x9b2J",
	`=HYPERLINK("https://evil.example","x")`, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
	"invoice\u202efdp.exe \u2066x\u2069 zero\u200bwidth \ufeffbom \u061c",
	"a | b | c\n| x | y |\r\n# heading\r- item",
	"</td></tr></table></details><script>x</script>",
	"<!-- c --> <![CDATA[ x ]]> &amp; &lt; ]]>",
	"nul\x00 soh\x01 del\x7f sep\u2028",
	"https://evil.example/ www.evil.example @everyone #1 :smile: **b** _i_ `c` ~s~",
	"bad \xff\xfe utf8",
}

// hostileHandBuilt puts a payload in every string a renderer shows.
func hostileHandBuilt() *analyze.Report { return hostileReportOf(payloads) }

func hostileReportOf(payloads []string) *analyze.Report {
	var msgs []*analyze.MessageReport
	for i := range payloads {
		p := func(k int) string { return payloads[(i+k)%len(payloads)] }
		m := &analyze.MessageReport{
			File: "testdata/" + p(0) + ".eml", Verdict: analyze.VerdictForged, Score: 90,
			Header: analyze.HeaderSummary{
				From: []analyze.Address{{Name: p(1), Address: p(2) + "@evil.example"}},
				To:   []analyze.Address{{Name: p(3), Address: "b@example.net"}}, Cc: []analyze.Address{{Name: p(4), Address: p(5)}},
				Subject: p(6), DateText: p(7), MessageID: p(8), ReturnPath: p(9),
			},
			Envelope: analyze.Envelope{MailFrom: p(10), RcptTo: []string{p(11)}, Source: p(12)},
			Hops: []received.Hop{
				{Index: 1, Line: 1, Raw: p(13), From: received.From{HELO: p(14), RDNS: p(15), IP: p(16)}, By: received.By{Host: p(0), IP: p(1)},
					With: p(2), TLS: p(3), Notes: []string{p(4)}, Parsed: received.ParsedPartial, Time: ptrTime("Mon, 16 Nov 2026 10:00:00 +0000")},
				{Index: 2, Line: 3, Raw: p(5), Parsed: received.ParsedNone, DelaySeconds: ptrFloat(3)},
			},
			Findings: []analyze.Finding{
				{Rule: p(6), Severity: analyze.SeverityHigh, Hops: []int{1, 2}, Line: 1, Message: p(7), Evidence: p(8)},
				{Rule: "chain-break", Severity: analyze.Severity(p(9)), Hops: []int{2}, Message: p(10), Evidence: p(11)},
			},
			Defects: []string{p(12)},
			DNS:     &analyze.DNSSummary{Mode: p(13), Note: p(14)},
			Auth:    map[string]any{p(15): map[string]any{"result": p(16)}, "list": []any{p(0)}},
			Fields: []analyze.Field{
				{Name: "Received", Value: " " + p(1) + "\r\n\t" + p(2) + "\r\n", Line: 1},
				{Name: p(3), Value: p(4) + "\n", Line: 3},
			},
		}
		msgs = append(msgs, m)
	}
	p := func(k int) string { return payloads[k%len(payloads)] }
	msgs = append(msgs, analyze.ErrorReport(p(0), 0, io.ErrUnexpectedEOF), &analyze.MessageReport{
		File: p(5), Index: 3, Verdict: analyze.Verdict(p(0)), Error: p(1) + p(5)})
	return &analyze.Report{Schema: analyze.Schema, Messages: msgs}
}

// TestHostileInert renders the hostile messages of testdata/hostile (through
// the analyser, as a user would) and a report with a payload in every field
// in every format, and checks each output is inert for its consumer.
func TestHostileInert(t *testing.T) {
	reports := map[string]*analyze.Report{
		"handbuilt": hostileHandBuilt(),
		"messages":  analyzeFiles(t, "testdata/hostile/*.eml"),
	}
	checks := map[string]func(*testing.T, []byte){
		"text": checkTerminalSafe, "json": checkJSON, "jsonl": checkJSONLines, "markdown": checkMarkdown,
		"html": checkHTML, "junit": checkJUnit, "sarif": checkSARIF,
	}
	for name, rep := range reports {
		for _, format := range Formats {
			t.Run(name+"/"+format, func(t *testing.T) {
				r := rep
				if format == "text" {
					r = ownFieldsPlain(rep)
				}
				var buf bytes.Buffer
				if err := Render(&buf, format, r, testOptions()); err != nil {
					t.Fatalf("Render: %v", err)
				}
				checks[format](t, buf.Bytes())
			})
		}
	}
}

// ownFieldsPlain resets the values mailtrace itself writes (rule IDs,
// severities, verdicts) to plain ones. The text renderer prints those as
// they are, trusting the analyser; every other renderer escapes them too
// and is tested with them hostile.
func ownFieldsPlain(r *analyze.Report) *analyze.Report {
	out := &analyze.Report{Schema: r.Schema}
	for _, m := range r.Messages {
		c := *m
		c.Verdict = analyze.VerdictSuspicious
		c.Findings = slices.Clone(m.Findings)
		for i := range c.Findings {
			c.Findings[i].Rule, c.Findings[i].Severity = "rule", analyze.SeverityLow
		}
		out.Messages = append(out.Messages, &c)
	}
	return out
}

// visibleOnly fails on bytes and runes that act instead of showing: C0
// controls but tab and line feed, DEL, C1 controls, bidi overrides and
// isolates, zero-width characters, line/paragraph separators, BOM, and
// invalid UTF-8.
func visibleOnly(t *testing.T, where, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8", where)
	}
	for i, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || isInvisibleControl(r) {
			t.Errorf("%s: active character %U at byte %d: %q", where, r, i, around(s, i))
			return
		}
	}
}

func around(s string, i int) string {
	lo, hi := max(0, i-40), min(len(s), i+40)
	return s[lo:hi]
}

func checkTerminalSafe(t *testing.T, out []byte) {
	visibleOnly(t, "text", strings.ReplaceAll(string(out), "\r\n", "\n"))
}

// JSON is data: it keeps the exact text, but as escapes wherever a raw
// character would act: every control character (C0 and C1), < > & as
// encoding/json does by default, and the bidi, zero-width and BOM runes.
func checkJSON(t *testing.T, out []byte) {
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	checkJSONBytes(t, out)
}

func checkJSONLines(t *testing.T, out []byte) {
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line %d: invalid JSON: %v", i+1, err)
		}
	}
	checkJSONBytes(t, out)
}

func checkJSONBytes(t *testing.T, out []byte) {
	for i, c := range out {
		if c < 0x20 && c != '\n' || c == '<' || c == '>' {
			t.Fatalf("raw byte %#x in JSON at %d: %q", c, i, around(string(out), i))
		}
	}
	visibleOnly(t, "json", string(out))
}

// allowedHTML are the only elements and attributes the report may contain.
var (
	allowedElements = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
		"header": true, "h1": true, "h2": true, "h3": true, "p": true, "ul": true, "ol": true, "li": true, "b": true,
		"section": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "a": true,
		"span": true, "main": true, "article": true, "dl": true, "dt": true, "dd": true, "div": true, "footer": true}
	allowedAttrs = map[string]bool{"class": true, "id": true, "href": true, "style": true, "title": true, "lang": true,
		"charset": true, "http-equiv": true, "content": true, "name": true}
	inPageHref = regexp.MustCompile(`^#m\d+(-(hop|L|f)\d+)?$`)
	barStyle   = regexp.MustCompile(`^width: [0-9.]+%$`)
)

func checkHTML(t *testing.T, out []byte) {
	z := html.NewTokenizer(bytes.NewReader(out))
	csp, inStyle := 0, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenize: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			inStyle = tok.Data == "style"
			if !allowedElements[tok.Data] {
				t.Errorf("element <%s> in the report", tok.Data)
			}
			for _, a := range tok.Attr {
				checkHTMLAttr(t, tok.Data, a)
				if a.Key == "http-equiv" && strings.EqualFold(a.Val, "Content-Security-Policy") {
					csp++
				}
			}
		case html.EndTagToken:
			inStyle = false
		case html.TextToken:
			if inStyle && tok.Data != string(htmlCSS) {
				t.Errorf("style element holds more than the report's CSS")
			}
			visibleOnly(t, "html text", tok.Data)
		case html.CommentToken:
			t.Errorf("comment in the report: %q", tok.Data)
		}
	}
	if csp != 1 {
		t.Errorf("%d CSP meta tags, want 1", csp)
	}
	if !bytes.Contains(out, []byte(`content="`+html.EscapeString(CSP)+`"`)) {
		t.Errorf("CSP meta tag does not carry %q", CSP)
	}
}

func checkHTMLAttr(t *testing.T, el string, a html.Attribute) {
	t.Helper()
	switch {
	case !allowedAttrs[a.Key]:
		t.Errorf("attribute %s on <%s>", a.Key, el)
	case a.Key == "href" && !inPageHref.MatchString(a.Val):
		t.Errorf("href %q leaves the page", a.Val)
	case a.Key == "style" && !barStyle.MatchString(a.Val):
		t.Errorf("style attribute %q", a.Val)
	case a.Key == "content" && el == "meta" && strings.Contains(a.Val, "script"):
		t.Errorf("meta content %q", a.Val)
	}
	visibleOnly(t, "html attribute "+a.Key, a.Val)
}

// ourHTMLInMarkdown are the only tags the Markdown report writes itself.
var ourHTMLInMarkdown = regexp.MustCompile(`</?details( open)?>|</?summary>`)

// delayCell is FormatDelay's output, the one cell of ours that may start with + or -.
var delayCell = regexp.MustCompile(`^[+-](\d+[smhd])+$`)

func checkMarkdown(t *testing.T, out []byte) {
	checkMarkdownSource(t, out)
	// Render it as a Markdown engine would, autolinks on: no link, image or
	// HTML may come out of message data.
	rendered := string(blackfriday.Run(out, blackfriday.WithExtensions(blackfriday.CommonExtensions|blackfriday.Autolink)))
	for _, bad := range []string{"<a ", "<img", "<script", "<iframe", "<h1", "<em>", "<strong>i", "<code>"} {
		if strings.Contains(rendered, bad) {
			t.Errorf("rendered markdown has %s: %q", bad, around(rendered, strings.Index(rendered, bad)))
		}
	}
}

// checkMarkdownSource checks the Markdown text itself: visible characters
// only, no HTML but our own, tables intact and free of formulas.
func checkMarkdownSource(t *testing.T, out []byte) {
	src := string(out)
	visibleOnly(t, "markdown", src)
	if raw := ourHTMLInMarkdown.ReplaceAllString(src, ""); strings.ContainsAny(raw, "<>") {
		i := strings.IndexAny(raw, "<>")
		t.Errorf("raw < or > in markdown: %q", around(raw, i))
	}
	checkMarkdownTables(t, src)
}

// checkMarkdownTables checks that every table row has as many cells as its
// header, and that no cell starts a spreadsheet formula.
func checkMarkdownTables(t *testing.T, src string) {
	cols := 0
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		cells := splitRow(line)
		if cols == 0 {
			cols = len(cells)
		} else if len(cells) != cols {
			t.Errorf("table row has %d cells, header has %d: %q", len(cells), cols, line)
		}
		for _, c := range cells {
			plain := strings.TrimSpace(strings.ReplaceAll(c, `\`, ""))
			if plain != "" && strings.ContainsRune("=+-@", rune(plain[0])) && plain != "-" && !delayCell.MatchString(plain) &&
				!strings.HasPrefix(plain, "---") {
				t.Errorf("cell starts a formula: %q", c)
			}
		}
	}
}

// splitRow splits a table row on pipes that are not backslash-escaped.
func splitRow(line string) []string {
	var cells []string
	var cur strings.Builder
	for i := 1; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			cur.WriteByte(line[i])
			cur.WriteByte(line[i+1])
			i++
		case line[i] == '|':
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return cells
}

func checkJUnit(t *testing.T, out []byte) {
	d := xml.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("malformed XML: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			for _, a := range v.Attr {
				visibleOnly(t, "junit attribute "+a.Name.Local, a.Value)
			}
		case xml.CharData:
			visibleOnly(t, "junit text", string(v))
		}
	}
	if err := validateJUnit(out); err != nil {
		t.Errorf("not valid against testdata/schema/junit.xsd: %v", err)
	}
}

func checkSARIF(t *testing.T, out []byte) {
	var log any
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if err := validateSARIF(out); err != nil {
		t.Errorf("not valid against the SARIF 2.1.0 schema: %v", err)
	}
	walkStrings(log, "", func(path, s string) {
		visibleOnly(t, "sarif "+path, s)
		if strings.HasSuffix(path, ".message.text") && unescapedBracket.MatchString(s) {
			t.Errorf("%s: unescaped [ or ] would form a SARIF link: %q", path, s)
		}
	})
}

var unescapedBracket = regexp.MustCompile(`(^|[^\\])[\[\]]`)

func walkStrings(v any, path string, fn func(path, s string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			walkStrings(e, path+"."+k, fn)
		}
	case []any:
		for _, e := range t {
			walkStrings(e, path+"[]", fn)
		}
	case string:
		fn(path, t)
	}
}

// The hostile content must still be there, made visible, not dropped.
func TestHostileContentShown(t *testing.T) {
	rep := hostileHandBuilt()
	tests := []struct {
		format string
		want   []string
	}{
		{"html", []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `\x1b[31mred`, `invoice\u202efdp.exe`, "javascript:alert(1)"}},
		{"markdown", []string{`&lt;script&gt;alert\(1\)&lt;\/script&gt;`, `'\=HYPERLINK`, `\[click\]\(javascript\:alert\(1\)\)`, `a \| b \| c⏎\| x`}},
		{"junit", []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `\x1b[31mred`}},
		{"sarif", []string{`\\[click\\](javascript:alert(1))`, `invoice\\u202efdp.exe`}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tt.format, rep, testOptions()); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}
