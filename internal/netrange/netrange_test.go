package netrange

import (
	"net/netip"
	"testing"
)

func TestBehindNAT(t *testing.T) {
	for s, want := range map[string]bool{
		"10.1.2.3": true, "172.17.0.2": true, "192.168.1.20": true, "100.72.1.9": true, "169.254.1.1": true,
		"fd00::5": true, "fe80::1": true,
		"127.0.0.1": false, "::1": false, "100.128.0.1": false, "192.0.2.7": false, "2001:db8::1": false,
	} {
		if got := BehindNAT(netip.MustParseAddr(s)); got != want {
			t.Errorf("BehindNAT(%s) = %v, want %v", s, got, want)
		}
	}
}
