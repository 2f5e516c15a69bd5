package rfc5322

import "testing"

func TestHeaderStart(t *testing.T) {
	for _, tt := range []struct {
		raw        string
		off, blank int
		bom        bool
	}{
		{"A: b\n", 0, 0, false},
		{"\xef\xbb\xbfA: b\n", 3, 0, true},
		{"\n\r\nA: b\n", 3, 2, false},
		{"\xef\xbb\xbf\nA: b\n", 4, 1, true},
		{"\rA: b\n", 0, 0, false}, // a CR alone is no blank line here, as auth reads lines
		{"\n", 0, 0, false},       // the message's empty header
		{"\n\n", 1, 1, false},
	} {
		off, blank, bom := HeaderStart([]byte(tt.raw))
		if off != tt.off || blank != tt.blank || bom != tt.bom {
			t.Errorf("HeaderStart(%q) = %d, %d, %v; want %d, %d, %v", tt.raw, off, blank, bom, tt.off, tt.blank, tt.bom)
		}
	}
}

func TestIsMboxFromLine(t *testing.T) {
	for line, want := range map[string]bool{
		"From a@example.org Mon Jan  1 00:00:00 2024\n": true,
		"From - Mon Jan  1 00:00:00 2024":               true,
		"From : a@example.org":                          false, // RFC 5322 §4.5.3
		"From \t: a@example.org":                        false,
		"From: a@example.org":                           false,
		"From ":                                         false,
		">From a@example.org":                           false,
	} {
		if got := IsMboxFromLine([]byte(line)); got != want {
			t.Errorf("IsMboxFromLine(%q) = %v, want %v", line, got, want)
		}
	}
}
