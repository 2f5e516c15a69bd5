package received

import (
	"net/netip"
	"testing"
)

// FuzzParse checks the invariants that hold for any input: no panic, Raw
// is the input, and the addresses reported are canonical netip text.
// Seeds are the golden lines; found inputs live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, v := range goldenLines(f) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h := Parse(in)
		if h.Raw != in {
			t.Fatalf("Raw = %q, want %q", h.Raw, in)
		}
		for _, ip := range []string{h.From.IP, h.By.IP} {
			if ip == "" {
				continue
			}
			a, err := netip.ParseAddr(ip)
			if err != nil {
				t.Fatalf("IP %q does not parse: %v", ip, err)
			}
			if a.String() != ip || a.Is4In6() || a.Zone() != "" {
				t.Fatalf("IP %q is not canonical (%s)", ip, a)
			}
		}
		if len(h.Notes) > maxNotes+1 {
			t.Fatalf("%d notes", len(h.Notes))
		}
		if h.Time == nil && h.Parsed == ParsedFull {
			t.Fatalf("full without a time")
		}
	})
}
