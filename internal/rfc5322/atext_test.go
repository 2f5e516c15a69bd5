package rfc5322

import (
	"strings"
	"testing"
)

// TestIsASCIIAtext holds the table to RFC 5322 §3.2.3's atext, written
// out: ALPHA / DIGIT and the printable specials it allows.
func TestIsASCIIAtext(t *testing.T) {
	const atext = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(atext, byte(c)) >= 0
		if got := IsASCIIAtext(byte(c)); got != want {
			t.Errorf("IsASCIIAtext(%#x) = %v, want %v", c, got, want)
		}
	}
}
