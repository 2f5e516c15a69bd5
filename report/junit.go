package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/analyze"
)

// JUnit writes JUnit XML (the schema Jenkins, GitLab and GitHub test
// reporters read; see testdata/schema/junit.xsd): one testsuite, one
// testcase per message. A message that meets FailOn is a <failure> listing
// its findings; one that could not be read is an <error>. encoding/xml
// escapes every value; Safe has made controls and bidi visible first.
func JUnit(w io.Writer, r *analyze.Report, opts Options) error {
	return Render(w, "junit", r, opts)
}

type junitWriter struct {
	w        io.Writer
	opts     Options
	start    time.Time
	tests    int
	failures int
	errors   int
	cases    spool
}

func newJUnitWriter(w io.Writer, opts Options) *junitWriter {
	return &junitWriter{w: w, opts: opts, start: opts.Now()}
}

// junitCase is one <testcase>.
type junitCase struct {
	XMLName   xml.Name      `xml:"testcase"`
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Error     *junitProblem `xml:"error,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	SystemOut *junitOut     `xml:"system-out,omitempty"`
}

type junitOut struct {
	Text string `xml:",innerxml"` // from escapeLines
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",innerxml"` // from escapeLines
}

// escapeLines escapes character data with encoding/xml but keeps its line
// breaks as line breaks (EscapeText writes them as &#xA;), so findings stay
// readable in the XML file itself. Safe has already turned any line break
// from a message into a visible ⏎.
func escapeLines(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}

func (jw *junitWriter) Message(m *analyze.MessageReport) error {
	jw.tests++
	tc := junitCase{Name: Safe(messageName(m)), Classname: junitClass(m.File)}
	switch {
	case m.Error != "":
		jw.errors++
		tc.Error = &junitProblem{Message: Safe(m.Error), Type: string(analyze.VerdictError), Text: escapeLines(Safe(m.Error))}
	case jw.opts.FailOn(m):
		jw.failures++
		tc.Failure = &junitProblem{Message: fmt.Sprintf("%s (score %d): %d finding(s)", Safe(string(m.Verdict)), m.Score, len(m.Findings)),
			Type: Safe(string(m.Verdict)), Text: escapeLines(junitFindings(m))}
	default:
		tc.SystemOut = &junitOut{Text: escapeLines(fmt.Sprintf("verdict: %s (score %d)\n%s", Safe(string(m.Verdict)), m.Score, junitFindings(m)))}
	}
	enc := xml.NewEncoder(&jw.cases)
	enc.Indent("    ", "  ")
	if err := enc.Encode(tc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(&jw.cases, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// junitClass groups test cases by directory, as test reporters group
// classes: "mailtrace.testdata.examples".
func junitClass(file string) string {
	dir := path.Dir(filepath.ToSlash(file))
	dir = strings.Trim(strings.ReplaceAll(dir, "/", "."), ".")
	if dir == "" || file == "-" {
		return "mailtrace"
	}
	return "mailtrace." + Safe(dir)
}

// junitFindings lists the findings one per line, for people reading a CI log.
func junitFindings(m *analyze.MessageReport) string {
	var b strings.Builder
	for _, f := range m.Findings {
		where := ""
		if len(f.Hops) > 0 {
			where = " hop " + joinInts(f.Hops)
		}
		if l := fileLines(m, f); len(l) > 0 {
			where += " line " + joinInts(l)
		}
		fmt.Fprintf(&b, "%s %s%s: %s\n", Safe(string(f.Severity)), Safe(f.Rule), where, Safe(f.Message))
		if f.Evidence != "" && f.Evidence != f.Message {
			fmt.Fprintf(&b, "  evidence: %s\n", Safe(truncate(f.Evidence, 300)))
		}
	}
	return b.String()
}

func (jw *junitWriter) Close() error {
	secs := fmt.Sprintf("%.3f", jw.opts.Now().Sub(jw.start).Seconds())
	counts := func(name string) []xml.Attr {
		return []xml.Attr{
			{Name: xml.Name{Local: "name"}, Value: name},
			{Name: xml.Name{Local: "tests"}, Value: fmt.Sprint(jw.tests)},
			{Name: xml.Name{Local: "failures"}, Value: fmt.Sprint(jw.failures)},
			{Name: xml.Name{Local: "errors"}, Value: fmt.Sprint(jw.errors)},
			{Name: xml.Name{Local: "time"}, Value: secs},
		}
	}
	suite := append(counts(jw.opts.Tool+" analyze"),
		xml.Attr{Name: xml.Name{Local: "skipped"}, Value: "0"},
		xml.Attr{Name: xml.Name{Local: "timestamp"}, Value: jw.start.UTC().Format("2006-01-02T15:04:05")})
	var head strings.Builder
	head.WriteString(xml.Header)
	enc := xml.NewEncoder(&head)
	enc.Indent("", "  ")
	tokens := []xml.Token{
		xml.StartElement{Name: xml.Name{Local: "testsuites"}, Attr: counts(jw.opts.Tool)},
		xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: suite},
		xml.StartElement{Name: xml.Name{Local: "properties"}},
		xml.StartElement{Name: xml.Name{Local: "property"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "name"}, Value: "fail-on"}, {Name: xml.Name{Local: "value"}, Value: Safe(jw.opts.FailOnText)}}},
		xml.EndElement{Name: xml.Name{Local: "property"}},
	}
	if len(jw.opts.Disabled) > 0 {
		tokens = append(tokens, xml.StartElement{Name: xml.Name{Local: "property"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "name"}, Value: "disabled-rules"}, {Name: xml.Name{Local: "value"}, Value: Safe(strings.Join(jw.opts.Disabled, ","))}}},
			xml.EndElement{Name: xml.Name{Local: "property"}})
	}
	tokens = append(tokens, xml.EndElement{Name: xml.Name{Local: "properties"}})
	for _, t := range tokens {
		if err := enc.EncodeToken(t); err != nil {
			return fmt.Errorf("write junit: %w", err)
		}
	}
	if err := enc.Flush(); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	head.WriteString("\n")
	if _, err := io.WriteString(jw.w, head.String()); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if err := jw.cases.copyTo(jw.w); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(jw.w, "  </testsuite>\n</testsuites>\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}
