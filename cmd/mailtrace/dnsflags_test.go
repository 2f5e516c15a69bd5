package main

import (
	"strings"
	"testing"
)

// TestDNSFlagsUsage: a --dns value that is no IP address, IP:port or
// [IPv6]:port is a usage error, as is a --dns-timeout that is not
// positive. From the audit: "127.0.0.1:5353:1" and "localhost:5353" were
// taken for host names and looked up through the system's resolver.
func TestDNSFlagsUsage(t *testing.T) {
	const zone = "../../testdata/dns/test.zone"
	tests := []struct {
		flags []string
		code  int
		want  string // in stderr
	}{
		{[]string{"--dns", "127.0.0.1:5353:1"}, exitUsage, `--dns "127.0.0.1:5353:1": want an IP address, IP:PORT or [IPv6]:PORT`},
		{[]string{"--dns", "localhost:5353"}, exitUsage, `--dns "localhost:5353": want an IP address`},
		{[]string{"--dns", "ns.example"}, exitUsage, `--dns "ns.example": want an IP address`},
		{[]string{"--dns", "127.0.0.1:0"}, exitUsage, "a port from 1 to 65535"},
		{[]string{"--dns-timeout", "0s"}, exitUsage, "--dns-timeout must be positive, not 0s"},
		{[]string{"--dns-timeout", "-1s"}, exitUsage, "--dns-timeout must be positive, not -1s"},
		{[]string{"--dns-timeout", "1s"}, exitOK, ""},
	}
	for _, tt := range tests {
		args := append([]string{"route", "--dns-zone", zone}, tt.flags...)
		code, _, stderr := runCLI(t, "", append(args, "mt.test")...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tt.flags, code, stderr, tt.code, tt.want)
		}
	}
}
