package rfc5322

import "testing"

func TestUnfold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" plain\r\n", "plain"},
		{" a\r\n b\r\n", "a b"},
		{" a\n\tb", "a\tb"},
		{" a\r b\r\n", "a b"},
		{"a\r\n", "a"},
		{"\r\n\r\n", ""},
		{" x\r\n \r\n y", "x  y"},
	} {
		if got := Unfold(tc.in); got != tc.want {
			t.Errorf("Unfold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
