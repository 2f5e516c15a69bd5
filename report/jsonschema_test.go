package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// jsonSchema validates JSON values against a JSON Schema (draft-07) using
// the keywords the vendored SARIF schema uses. A keyword it does not know is
// an error, never silently ignored, so a pass means the document was
// checked against everything the schema says.
type jsonSchema struct {
	root map[string]any
}

// annotations are keywords that do not constrain values.
var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true,
	"description": true, "default": true, "definitions": true}

func loadJSONSchema(path string) (*jsonSchema, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := decodeNumbers(raw, &root); err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	return &jsonSchema{root: root}, nil
}

func decodeNumbers(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

// Validate returns every violation found in doc.
func (s *jsonSchema) Validate(doc []byte) error {
	var v any
	if err := decodeNumbers(doc, &v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	var errs []error
	s.check(v, s.root, "$", &errs)
	return errors.Join(errs...)
}

func (s *jsonSchema) check(v any, schema any, path string, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	switch sc := schema.(type) {
	case bool:
		if !sc {
			fail("no value is allowed here")
		}
		return
	case map[string]any:
		if ref, ok := sc["$ref"].(string); ok {
			s.checkRef(v, ref, sc, path, errs)
			return
		}
		keys := make([]string, 0, len(sc))
		for k := range sc {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !annotations[k] {
				s.keyword(k, sc[k], sc, v, path, errs, fail)
			}
		}
	default:
		fail("schema is %T, not an object or boolean", schema)
	}
}

// checkRef follows "#/definitions/NAME". In draft-07 a $ref's siblings are
// ignored; the SARIF schema only puts descriptions there, and anything else
// is reported so nothing is skipped unawares.
func (s *jsonSchema) checkRef(v any, ref string, sc map[string]any, path string, errs *[]error) {
	for k := range sc {
		if k != "$ref" && !annotations[k] {
			*errs = append(*errs, fmt.Errorf("%s: schema keyword %q beside $ref is not supported", path, k))
		}
	}
	name, ok := strings.CutPrefix(ref, "#/definitions/")
	defs, _ := s.root["definitions"].(map[string]any)
	target, found := defs[name]
	if !ok || !found {
		*errs = append(*errs, fmt.Errorf("%s: unresolvable $ref %q", path, ref))
		return
	}
	s.check(v, target, path, errs)
}

func (s *jsonSchema) keyword(k string, arg any, sc map[string]any, v any, path string, errs *[]error, fail func(string, ...any)) {
	switch k {
	case "type":
		if !typeMatches(v, arg) {
			fail("is %s, want type %v", jsonType(v), arg)
		}
	case "enum":
		if !inEnum(v, arg.([]any)) {
			fail("%v is not one of %v", v, arg)
		}
	case "required":
		if obj, ok := v.(map[string]any); ok {
			for _, r := range arg.([]any) {
				if _, has := obj[r.(string)]; !has {
					fail("required property %q is missing", r)
				}
			}
		}
	case "properties":
		if obj, ok := v.(map[string]any); ok {
			props := arg.(map[string]any)
			for name, sub := range props {
				if pv, has := obj[name]; has {
					s.check(pv, sub, path+"."+name, errs)
				}
			}
		}
	case "additionalProperties":
		s.additional(v, arg, sc, path, errs)
	case "items":
		if arr, ok := v.([]any); ok {
			for i, e := range arr {
				s.check(e, arg, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case "minItems", "maxItems":
		if arr, ok := v.([]any); ok {
			n := number(arg)
			if k == "minItems" && float64(len(arr)) < n || k == "maxItems" && float64(len(arr)) > n {
				fail("%d items, %s is %v", len(arr), k, n)
			}
		}
	case "uniqueItems":
		if arr, ok := v.([]any); ok && arg == true {
			seen := map[string]bool{}
			for _, e := range arr {
				b, _ := json.Marshal(e)
				if seen[string(b)] {
					fail("duplicate item %s", b)
				}
				seen[string(b)] = true
			}
		}
	case "minimum", "maximum":
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			if k == "minimum" && f < number(arg) || k == "maximum" && f > number(arg) {
				fail("%v is beyond %s %v", f, k, arg)
			}
		}
	case "pattern":
		if str, ok := v.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(str) {
			fail("%q does not match %s", str, arg)
		}
	case "format":
		if str, ok := v.(string); ok {
			if err := checkFormat(arg.(string), str); err != nil {
				fail("%v", err)
			}
		}
	case "anyOf", "oneOf", "allOf":
		s.combine(k, arg.([]any), v, path, errs, fail)
	default:
		fail("schema keyword %q is not supported by this validator", k)
	}
}

func (s *jsonSchema) additional(v any, arg any, sc map[string]any, path string, errs *[]error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	props, _ := sc["properties"].(map[string]any)
	for name, pv := range obj {
		if _, declared := props[name]; declared {
			continue
		}
		s.check(pv, arg, path+"."+name, errs)
	}
}

func (s *jsonSchema) combine(k string, subs []any, v any, path string, errs *[]error, fail func(string, ...any)) {
	passed := 0
	for _, sub := range subs {
		var sub1 []error
		s.check(v, sub, path, &sub1)
		if len(sub1) == 0 {
			passed++
		} else if k == "allOf" {
			*errs = append(*errs, sub1...)
		}
	}
	switch {
	case k == "anyOf" && passed == 0:
		fail("matches none of anyOf")
	case k == "oneOf" && passed != 1:
		fail("matches %d of oneOf, want exactly 1", passed)
	}
}

func typeMatches(v any, want any) bool {
	if list, ok := want.([]any); ok {
		for _, w := range list {
			if typeMatches(v, w) {
				return true
			}
		}
		return false
	}
	got := jsonType(v)
	return got == want || want == "number" && got == "integer"
}

func jsonType(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func inEnum(v any, enum []any) bool {
	b, _ := json.Marshal(v)
	for _, e := range enum {
		eb, _ := json.Marshal(e)
		if bytes.Equal(b, eb) {
			return true
		}
	}
	return false
}

func number(v any) float64 {
	f, _ := v.(json.Number).Float64()
	return f
}

func checkFormat(format, s string) error {
	switch format {
	case "uri":
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
	case "uri-reference":
		if _, err := url.Parse(s); err != nil || strings.ContainsAny(s, " \\") {
			return fmt.Errorf("%q is not a URI reference", s)
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 date-time", s)
		}
	default:
		return fmt.Errorf("format %q is not supported by this validator", format)
	}
	return nil
}

var sarifSchema = sync.OnceValues(func() (*jsonSchema, error) {
	return loadJSONSchema(filepath.Join("testdata", "schema", "sarif-2.1.0.json"))
})

func validateSARIF(doc []byte) error {
	s, err := sarifSchema()
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

func TestSARIFValidAgainstSchema(t *testing.T) {
	for name, rep := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := SARIF(&buf, rep, testOptions()); err != nil {
				t.Fatal(err)
			}
			if err := validateSARIF(buf.Bytes()); err != nil {
				t.Errorf("invalid SARIF:\n%v", err)
			}
		})
	}
}

// The validator must reject what the schema forbids; each case breaks one
// rule of SARIF 2.1.0 in an otherwise valid log.
func TestSARIFValidatorRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := SARIF(&buf, handBuilt(), testOptions()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(log map[string]any)
		want   string
	}{
		{"missing version", func(l map[string]any) { delete(l, "version") }, `"version" is missing`},
		{"wrong version", func(l map[string]any) { l["version"] = "2.0.0" }, "is not one of"},
		{"unknown top-level property", func(l map[string]any) { l["extra"] = 1 }, "$.extra: no value is allowed"},
		{"result level not in enum", func(l map[string]any) { result(l)["level"] = "fatal" }, "results[0].level"},
		{"result without message", func(l map[string]any) { delete(result(l), "message") }, `"message" is missing`},
		{"message with neither text nor id", func(l map[string]any) { result(l)["message"] = map[string]any{"markdown": "x"} }, "anyOf"},
		{"startLine 0", func(l map[string]any) { region(l)["startLine"] = json.Number("0") }, "minimum"},
		{"ruleIndex as string", func(l map[string]any) { result(l)["ruleIndex"] = "1" }, "want type integer"},
		{"rule without id", func(l map[string]any) { delete(driver(l)["rules"].([]any)[0].(map[string]any), "id") }, `"id" is missing`},
		{"driver without name", func(l map[string]any) { delete(driver(l), "name") }, `"name" is missing`},
		{"invocation without executionSuccessful", func(l map[string]any) {
			delete(run(l)["invocations"].([]any)[0].(map[string]any), "executionSuccessful")
		}, `"executionSuccessful" is missing`},
		{"duplicate tags", func(l map[string]any) {
			driver(l)["rules"].([]any)[0].(map[string]any)["properties"] = map[string]any{"tags": []any{"a", "a"}}
		}, "duplicate item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log map[string]any
			if err := decodeNumbers(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			tt.mutate(log)
			doc, _ := json.Marshal(log)
			err := validateSARIF(doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func run(l map[string]any) map[string]any { return l["runs"].([]any)[0].(map[string]any) }
func driver(l map[string]any) map[string]any {
	return run(l)["tool"].(map[string]any)["driver"].(map[string]any)
}
func result(l map[string]any) map[string]any { return run(l)["results"].([]any)[0].(map[string]any) }
func region(l map[string]any) map[string]any {
	loc := result(l)["locations"].([]any)[0].(map[string]any)
	return loc["physicalLocation"].(map[string]any)["region"].(map[string]any)
}
