//go:build linux

package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// isInteractive reports whether r is a terminal someone types at: it has
// terminal settings (a character device like /dev/null does not).
func isInteractive(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
