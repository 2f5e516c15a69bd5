package received

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/golden"
)

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
			golden.Check(t, base+".golden.json", got)
		})
	}
}
