package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// xmlNode is a parsed XML element: enough structure to validate.
type xmlNode struct {
	Name     string
	Attrs    map[string]string
	Children []*xmlNode
	Text     string // character data directly inside, concatenated
}

func parseXML(r io.Reader) (*xmlNode, error) {
	d := xml.NewDecoder(r)
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{Name: t.Name.Local, Attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					n.Attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// xsd is the subset of XML Schema the vendored junit.xsd uses: global
// elements that are either of a simple type or a complexType holding one
// xs:sequence of element refs (minOccurs/maxOccurs) and xs:attributes
// (use, type), mixed content, and named simpleTypes restricting a built-in
// type by xs:pattern. Anything else in the schema is an error, so a pass
// means the document was checked against all the schema says.
type xsd struct {
	elements    map[string]*xsdElement
	simpleTypes map[string]*xsdSimple
}

type xsdElement struct {
	simpleType string // set for <xs:element name=".." type="xs:string"/>
	mixed      bool
	seq        []xsdParticle
	attrs      map[string]xsdAttr
}

type xsdParticle struct {
	ref      string
	min, max int // max -1: unbounded
}

type xsdAttr struct {
	typ      string
	required bool
}

type xsdSimple struct {
	base     string
	patterns []*regexp.Regexp
}

func loadXSD(path string) (*xsd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root, err := parseXML(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &xsd{elements: map[string]*xsdElement{}, simpleTypes: map[string]*xsdSimple{}}
	for _, n := range root.Children {
		var err error
		switch n.Name {
		case "element":
			err = s.addElement(n)
		case "simpleType":
			err = s.addSimpleType(n)
		default:
			err = fmt.Errorf("unsupported top-level xs:%s", n.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return s, nil
}

func (s *xsd) addSimpleType(n *xmlNode) error {
	if len(n.Children) != 1 || n.Children[0].Name != "restriction" {
		return fmt.Errorf("simpleType %s: only xs:restriction is supported", n.Attrs["name"])
	}
	st := &xsdSimple{base: n.Children[0].Attrs["base"]}
	for _, f := range n.Children[0].Children {
		if f.Name != "pattern" {
			return fmt.Errorf("simpleType %s: facet xs:%s is not supported", n.Attrs["name"], f.Name)
		}
		re, err := regexp.Compile("^(?:" + f.Attrs["value"] + ")$") // XSD patterns match the whole value
		if err != nil {
			return err
		}
		st.patterns = append(st.patterns, re)
	}
	s.simpleTypes[n.Attrs["name"]] = st
	return nil
}

func (s *xsd) addElement(n *xmlNode) error {
	name := n.Attrs["name"]
	el := &xsdElement{simpleType: n.Attrs["type"], attrs: map[string]xsdAttr{}}
	s.elements[name] = el
	if el.simpleType != "" {
		return nil
	}
	if len(n.Children) != 1 || n.Children[0].Name != "complexType" {
		return fmt.Errorf("element %s: want a type or one xs:complexType", name)
	}
	ct := n.Children[0]
	el.mixed = ct.Attrs["mixed"] == "true"
	for _, c := range ct.Children {
		switch c.Name {
		case "sequence":
			for _, p := range c.Children {
				if p.Name != "element" || p.Attrs["ref"] == "" {
					return fmt.Errorf("element %s: only element refs are supported in a sequence", name)
				}
				el.seq = append(el.seq, xsdParticle{ref: p.Attrs["ref"], min: occurs(p.Attrs["minOccurs"]), max: occurs(p.Attrs["maxOccurs"])})
			}
		case "attribute":
			el.attrs[c.Attrs["name"]] = xsdAttr{typ: c.Attrs["type"], required: c.Attrs["use"] == "required"}
		default:
			return fmt.Errorf("element %s: xs:%s is not supported", name, c.Name)
		}
	}
	return nil
}

// occurs reads minOccurs/maxOccurs; both default to 1.
func occurs(s string) int {
	switch s {
	case "":
		return 1
	case "unbounded":
		return -1
	}
	n, _ := strconv.Atoi(s)
	return n
}

// Validate checks doc's root element and everything under it.
func (s *xsd) Validate(doc []byte) error {
	root, err := parseXML(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("malformed XML: %w", err)
	}
	var errs []error
	s.check(root, "/"+root.Name, &errs)
	return errors.Join(errs...)
}

func (s *xsd) check(n *xmlNode, path string, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	el, ok := s.elements[n.Name]
	if !ok {
		fail("element <%s> is not declared", n.Name)
		return
	}
	s.checkAttrs(n, el, fail)
	if el.simpleType != "" {
		if len(n.Children) > 0 {
			fail("simple-typed element has child elements")
		}
		if err := s.checkValue(el.simpleType, n.Text); err != nil {
			fail("%v", err)
		}
		return
	}
	if !el.mixed && strings.TrimSpace(n.Text) != "" {
		fail("text %q in element-only content", strings.TrimSpace(n.Text))
	}
	i := 0
	for _, p := range el.seq {
		count := 0
		for i < len(n.Children) && n.Children[i].Name == p.ref && (p.max < 0 || count < p.max) {
			s.check(n.Children[i], fmt.Sprintf("%s/%s[%d]", path, p.ref, count+1), errs)
			i++
			count++
		}
		if count < p.min {
			fail("<%s> occurs %d times, at least %d required", p.ref, count, p.min)
		}
	}
	if i < len(n.Children) {
		fail("unexpected <%s> (child %d): not allowed here by the sequence", n.Children[i].Name, i+1)
	}
}

func (s *xsd) checkAttrs(n *xmlNode, el *xsdElement, fail func(string, ...any)) {
	for name, a := range el.attrs {
		v, has := n.Attrs[name]
		if !has {
			if a.required {
				fail("required attribute %q is missing", name)
			}
			continue
		}
		if err := s.checkValue(a.typ, v); err != nil {
			fail("attribute %s: %v", name, err)
		}
	}
	for name := range n.Attrs {
		if _, declared := el.attrs[name]; !declared {
			fail("attribute %q is not declared", name)
		}
	}
}

var (
	xsdDecimal  = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)
	xsdDateTime = regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$`)
)

func (s *xsd) checkValue(typ, v string) error {
	switch typ {
	case "xs:string", "":
		return nil
	case "xs:int":
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err != nil {
			return fmt.Errorf("%q is not an xs:int", v)
		}
	case "xs:decimal":
		if !xsdDecimal.MatchString(strings.TrimSpace(v)) {
			return fmt.Errorf("%q is not an xs:decimal", v)
		}
	case "xs:dateTime":
		if !xsdDateTime.MatchString(strings.TrimSpace(v)) {
			return fmt.Errorf("%q is not an xs:dateTime", v)
		}
	default:
		st, ok := s.simpleTypes[typ]
		if !ok {
			return fmt.Errorf("type %q is not supported by this validator", typ)
		}
		if err := s.checkValue(st.base, v); err != nil {
			return err
		}
		for _, re := range st.patterns {
			if !re.MatchString(v) {
				return fmt.Errorf("%q does not match the pattern of %s", v, typ)
			}
		}
	}
	return nil
}

var junitXSD = sync.OnceValues(func() (*xsd, error) {
	return loadXSD(filepath.Join("testdata", "schema", "junit.xsd"))
})

func validateJUnit(doc []byte) error {
	s, err := junitXSD()
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

func TestJUnitValidAgainstXSD(t *testing.T) {
	for name, rep := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JUnit(&buf, rep, testOptions()); err != nil {
				t.Fatal(err)
			}
			if err := validateJUnit(buf.Bytes()); err != nil {
				t.Errorf("invalid JUnit XML:\n%v", err)
			}
		})
	}
}

// The validator must reject what the XSD forbids.
func TestJUnitValidatorRejects(t *testing.T) {
	valid := `<testsuites><testsuite name="s" tests="1" timestamp="2026-11-16T12:00:00"><testcase name="c"><failure message="m">x</failure></testcase></testsuite></testsuites>`
	if err := validateJUnit([]byte(valid)); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	tests := []struct{ name, doc, want string }{
		{"testsuite without tests", `<testsuites><testsuite name="s"/></testsuites>`, `"tests" is missing`},
		{"testcase without name", `<testsuite name="s" tests="1"><testcase/></testsuite>`, `"name" is missing`},
		{"tests not an int", `<testsuite name="s" tests="many"/>`, "not an xs:int"},
		{"time not a decimal", `<testsuite name="s" tests="1" time="1s"/>`, "not an xs:decimal"},
		{"timestamp with a zone", `<testsuite name="s" tests="1" timestamp="2026-11-16T12:00:00Z"/>`, "pattern"},
		{"undeclared attribute", `<testsuite name="s" tests="1" color="red"/>`, `"color" is not declared`},
		{"undeclared element", `<testsuite name="s" tests="1"><script/></testsuite>`, "unexpected <script>"},
		{"failure before error", `<testsuite name="s" tests="1"><testcase name="c"><failure/><error/></testcase></testsuite>`, "unexpected <error>"},
		{"two skipped", `<testsuite name="s" tests="1"><testcase name="c"><skipped/><skipped/></testcase></testsuite>`, "unexpected <skipped>"},
		{"text in element-only content", `<testsuite name="s" tests="1">hello</testsuite>`, "element-only"},
		{"property without value", `<testsuite name="s" tests="1"><properties><property name="a"/></properties></testsuite>`, `"value" is missing`},
		{"unknown root", `<report/>`, "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateJUnit([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
