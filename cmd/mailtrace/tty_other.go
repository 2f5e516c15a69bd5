//go:build !linux

package main

import "io"

// isInteractive: the hint for standard input is given on Linux only.
func isInteractive(io.Reader) bool { return false }
