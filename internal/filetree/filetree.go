// Package filetree builds small file trees for tests: files, symlinks and
// directories described one per string.
package filetree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Make builds a tree below root from specs: "path=content" writes a file,
// "path->target" makes a symlink, any other "path" (e.g. "dir/") a directory.
func Make(t testing.TB, root string, specs ...string) {
	t.Helper()
	for _, s := range specs {
		name, content, isFile := strings.Cut(s, "=")
		name, target, isLink := strings.Cut(name, "->")
		full := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case isFile:
			err = os.WriteFile(full, []byte(content), 0o644)
		case isLink:
			err = os.Symlink(target, full)
		default:
			err = os.MkdirAll(full, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
