package auth

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
)

// colonList and unixTag got quicker paths; these tests hold them to the
// plain versions they replaced.

// refColonList is the former colonList: strip, then split.
func refColonList(s string) []string {
	var out []string
	for _, item := range strings.Split(stripFWS(s), ":") {
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

func TestColonList(t *testing.T) {
	for _, s := range []string{"", ":", "::", "from", "from:to", " from : to ", "from:\r\n\tto:subject:", "a::b",
		"Fr\r\n om:To", ":from", "from:to:\r\n ", " \t"} {
		if got, want := colonList(s), refColonList(s); !reflect.DeepEqual(got, want) {
			t.Errorf("colonList(%q) = %q, want %q", s, got, want)
		}
	}
}

// refUnixSeconds is the former reading of t= and x=.
func refUnixSeconds(v string) (int64, bool) {
	var sec int64
	if _, err := fmt.Sscan(stripFWS(v), &sec); err != nil || sec < 0 || sec > 1<<40 {
		return 0, false
	}
	return sec, true
}

func TestUnixTag(t *testing.T) {
	for _, v := range []string{"", "0", "00", "017", "1700000000", " 1700000000 ", "17000\r\n 00000", "+5", "-5",
		"0x10", "0b11", "1_000", "12abc", "99999999999999", "1099511627776", "1099511627777", "999999999999999999999",
		"１２", "3.5", "7 8"} {
		got := unixTag(tagList{{Name: "t", Value: v}}, "t")
		sec, ok := refUnixSeconds(v)
		if ok != (got != nil) || ok && got.Unix() != sec {
			t.Errorf("unixTag(%q) = %v, want %d %v", v, got, sec, ok)
		}
	}
}

// domainPieces build domains with every kind of end and case.
var domainPieces = []string{"a", "Example", "COM", ".", " ", "\t", "<", ">", "[", "]", "ü", "İ", "-", "1", "\r\n"}

func TestNormDomainAndStripFWS(t *testing.T) {
	refNorm := func(d string) string { return strings.ToLower(strings.TrimSuffix(strings.Trim(d, " \t<>[]"), ".")) }
	refStrip := func(s string) string {
		if strings.IndexAny(s, " \t\r\n") < 0 {
			return s
		}
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if !isFWS(s[i]) {
				b.WriteByte(s[i])
			}
		}
		return b.String()
	}
	r := rand.New(rand.NewPCG(17, 18))
	for range 20000 {
		s := gentext.Join(r, domainPieces, r.IntN(8))
		if got, want := normDomain(s), refNorm(s); got != want {
			t.Fatalf("normDomain(%q) = %q, want %q", s, got, want)
		}
		if got, want := stripFWS(s), refStrip(s); got != want {
			t.Fatalf("stripFWS(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCRLFValue(t *testing.T) {
	ref := func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\n' && (i == 0 || v[i-1] != '\r') {
				b.WriteByte('\r')
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	for _, v := range []string{"", "\n", "\r\n", " a\n", " a\r\n b\n", "\n\n", "\r\r\n", "x\ny\r\nz\n", " plain"} {
		if got := crlfValue(v); got != ref(v) {
			t.Errorf("crlfValue(%q) = %q, want %q", v, got, ref(v))
		}
	}
}

// TestUnfoldIgnoresCRLF: adoptHeader keeps From's value as written, since
// fromDomain reads it only unfolded; unfolding must give the same text as
// of the CRLF form the verifier reads.
func TestUnfoldIgnoresCRLF(t *testing.T) {
	pieces := []string{"\n", "\r\n", "\r", " ", "\t", "a", "<b@c.d>", "\"x\"", ","}
	r := rand.New(rand.NewPCG(21, 22))
	for range 20000 {
		v := gentext.Join(r, pieces, r.IntN(10))
		if got, want := unfold(v), unfold(crlfValue(v)); got != want {
			t.Fatalf("unfold(%q) = %q, but %q of its CRLF form", v, got, want)
		}
	}
}

// TestValidB64 holds validB64 to decoding.
func TestValidB64(t *testing.T) {
	pieces := []string{"A", "Zz", "09", "+/", "=", "==", " ", "\r\n", "\t", "-", "_", "QUJD", "QUI=", "QQ==", "é"}
	r := rand.New(rand.NewPCG(21, 22))
	for range 50000 {
		s := gentext.Join(r, pieces, r.IntN(10))
		_, err := decodeB64(s)
		if got := validB64(s); got != (err == nil) {
			t.Fatalf("validB64(%q) = %v, decoding says %v", s, got, err)
		}
	}
}
