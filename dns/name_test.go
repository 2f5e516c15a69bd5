package dns

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCanonName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Example.COM.", "example.com", true},
		{"_dmarc.example.com", "_dmarc.example.com", true},
		{"0/25.2.0.192.in-addr.arpa", "0/25.2.0.192.in-addr.arpa", true}, // RFC 2317
		{"bücher.example", "xn--bcher-kva.example", true},
		// The IDNA label separators (RFC 3490 §3.1, UTS #46): from the
		// audit, route 'bücher。test' was "invalid name".
		{"bücher\u3002test", "xn--bcher-kva.test", true},
		{"bücher\uff0etest", "xn--bcher-kva.test", true},
		{"bücher\uff61test", "xn--bcher-kva.test", true},
		{"mx\u3002example\u3002", "mx.example", true},
		{"\u3002", "", false},
		{"a\u3002\uff0eb", "", false},
		{"example..com", "", false},
		{".", "", false},
		{"", "", false},
		{"a b.example", "", false},
		{"evil\x00.example", "", false},
		{`esc\.aped.example`, "", false},
		{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example", true},
		{strings.Repeat("a", 64) + ".example", "", false},
		{strings.Repeat("abcdefghi.", 25) + "abc", strings.Repeat("abcdefghi.", 25) + "abc", true}, // 253
		{strings.Repeat("abcdefghi.", 25) + "abcd", "", false},
	}
	for _, tt := range tests {
		got, err := canonName(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("canonName(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrPermanent) {
			t.Errorf("canonName(%q): %v is not ErrPermanent", tt.in, err)
		}
	}
}

func TestUnescapeTXT(t *testing.T) {
	tests := map[string]string{
		`plain`:        "plain",
		`a\"b`:         `a"b`,
		`a\\b`:         `a\b`,
		`\065\066`:     "AB",
		`x\255`:        "x\xff",
		`\256`:         "256",
		`trailing\`:    `trailing\`,
		`\0`:           "0",
		`semi\;colon`:  "semi;colon",
		`k=v\; p=abc=`: "k=v; p=abc=",
	}
	for in, want := range tests {
		if got := unescapeTXT(in); got != want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReverseName(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1":        "1.2.0.192.in-addr.arpa",
		"::ffff:192.0.2.1": "1.2.0.192.in-addr.arpa",
		"2001:db8::1":      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
		"fe80::1%eth0":     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa",
	}
	for in, want := range tests {
		got, err := reverseName(netip.MustParseAddr(in))
		if err != nil || got != want {
			t.Errorf("reverseName(%s) = %q, %v", in, got, err)
		}
	}
	if _, err := reverseName(netip.Addr{}); !errors.Is(err, ErrPermanent) {
		t.Errorf("invalid address: %v", err)
	}
}
