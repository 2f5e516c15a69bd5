package analyze

import (
	"strings"
	"testing"
)

// TestIsRecipientField holds isRecipientField, which compares ASCII
// bytes, to strings.EqualFold with each of recipientFields, on those
// names in any case, with a letter or mark replaced by every rune up to
// U+3000, and on other names.
func TestIsRecipientField(t *testing.T) {
	ref := func(name string) bool {
		for _, n := range recipientFields {
			if strings.EqualFold(n, name) {
				return true
			}
		}
		return false
	}
	names := []string{"", "To", "Received", "DKIM-Signature", "X-Originating-IP", "Delivered-To", "delivered-to",
		"DELIVERED-TO", "X-Original-To", "x-original-to", "Envelope-To", "X-Envelope-To", "X-Envelope-From", "Delivered-Tox"}
	for _, n := range recipientFields {
		for i := range n {
			for r := rune(0); r < 0x3000; r++ {
				names = append(names, n[:i]+string(r)+n[i+1:])
			}
		}
	}
	for _, name := range names {
		if got, want := isRecipientField(name), ref(name); got != want {
			t.Fatalf("isRecipientField(%q) = %v, want %v", name, got, want)
		}
	}
}
