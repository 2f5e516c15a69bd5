package received

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/lines")

// goldenLines returns the values of testdata/lines/*.txt by name. Each file
// holds one Received value exactly, folding included, with no newline
// added at its end.
func goldenLines(tb testing.TB) map[string]string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "lines", "*.txt"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no golden lines: %v", err)
	}
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(p, ".txt")] = string(b)
	}
	return out
}

// TestGolden compares Parse's JSON for each line with <name>.golden.json;
// run with -update to rewrite them after a reviewed change.
func TestGolden(t *testing.T) {
	for base, value := range goldenLines(t) {
		t.Run(filepath.Base(base), func(t *testing.T) {
			got, err := json.MarshalIndent(Parse(value), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := base + ".golden.json"
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from Parse output:\n got %s\nwant %s", path, got, want)
			}
		})
	}
}
