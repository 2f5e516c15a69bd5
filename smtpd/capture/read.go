package capture

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// ReadMessage returns the stored message: the fields the sink prepended, then the client's octets. A
// mail reader may already have moved it from new/ to cur/ (adding ":2,FLAGS" to its name, as the
// Maildir specification has readers do), where it is looked for next. The first call returns the copy
// kept in memory (Options.KeepBytes) when there is one: the same octets, without reading the file.
func (d Delivery) ReadMessage() ([]byte, error) {
	if raw, ok := d.kept.take(); ok {
		return raw, nil
	}
	raw, err := readFileSized(d.Path, d.HeaderSize+d.Size)
	if !errors.Is(err, fs.ErrNotExist) {
		return raw, err
	}
	dir := filepath.Dir(d.Path)
	if filepath.Base(dir) != "new" {
		return nil, err
	}
	seen, globErr := filepath.Glob(filepath.Join(filepath.Dir(dir), "cur", globEscape(filepath.Base(d.Path))+":*"))
	if globErr != nil || len(seen) == 0 {
		return nil, err
	}
	return readFileSized(seen[0], d.HeaderSize+d.Size)
}

// globEscape quotes the metacharacters of filepath.Match; Maildir names can hold "\" (an escaped host).
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}
