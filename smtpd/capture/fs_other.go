//go:build !unix

package capture

import "os"

func createFile(path string) (file, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

func rename(from, to string) error { return os.Rename(from, to) }

// readFileSized reads a whole file; size is what it should hold.
func readFileSized(path string, _ int64) ([]byte, error) { return os.ReadFile(path) }
