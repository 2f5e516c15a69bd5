package received

import "testing"

func TestWordIP(t *testing.T) {
	cases := []struct {
		in        string
		bare      bool
		ip, user  string
		port      int
		ok, noted bool
	}{
		{"[192.0.2.1]", false, "192.0.2.1", "", 0, true, false},
		{"[IPv6:2001:db8::1]", false, "2001:db8::1", "", 0, true, false},
		{"[IPv6:2001:DB8:0:0:0:0:0:1]", false, "2001:db8::1", "", 0, true, false},
		{"[192.0.2.1]:2525", false, "192.0.2.1", "", 2525, true, false},
		{"[192.0.2.1:41560]", false, "192.0.2.1", "", 41560, true, false},
		{"[[10.18.0.3]]", false, "10.18.0.3", "", 0, true, false},
		{"root@[192.0.2.9]", false, "192.0.2.9", "root", 0, true, false},
		{"root@192.0.2.9", false, "192.0.2.9", "root", 0, true, false},
		{"a@b.example@192.0.2.3", false, "192.0.2.3", "a@b.example", 0, true, false},
		{"[fe80::1%11]", false, "fe80::1", "", 0, true, true},
		{"[::ffff:192.0.2.7]", false, "192.0.2.7", "", 0, true, true},
		{"[IPv6:::ffff:192.0.2.7]", false, "192.0.2.7", "", 0, true, true},
		{"192.0.2.1", true, "192.0.2.1", "", 0, true, false},
		{"2603:10b6:5:114::36", true, "2603:10b6:5:114::36", "", 0, true, false},
		{"192.0.2.1:25", true, "192.0.2.1", "", 25, true, false},
		{"206.63.131.30::mail", true, "206.63.131.30", "", 0, true, false},
		// Bare forms need a position that holds an address.
		{"192.0.2.1", false, "", "", 0, false, false},
		// Not addresses.
		{"8.16.0.20/8.16.0.20", true, "", "", 0, false, false},
		{"127.0.01", true, "", "", 0, false, false},
		{"[129.354.10.212]", false, "", "", 0, false, false},
		{"[unix socket]", false, "", "", 0, false, false},
		{"[local]", false, "", "", 0, false, false},
		{"localhost", true, "", "", 0, false, false},
		{"[", false, "", "", 0, false, false},
		{"@", false, "", "", 0, false, false},
	}
	for _, tc := range cases {
		got, ok := wordIP(tc.in, tc.bare)
		if ok != tc.ok || got.ip != tc.ip || got.user != tc.user || got.port != tc.port || (got.note != "") != tc.noted {
			t.Errorf("wordIP(%q, %v) = %+v, %v", tc.in, tc.bare, got, ok)
		}
	}
}

func TestLooksIP(t *testing.T) {
	for in, want := range map[string]string{
		"10.36.5.10":                 "10.36.5.10",
		"2002:a05:6a10:8d0e:0:0:0:0": "2002:a05:6a10:8d0e::",
		"[203.0.113.4]":              "203.0.113.4",
		"mx.google.com":              "",
		"deadbeef":                   "",
		"":                           "",
		"add.example":                "",
	} {
		got, _ := looksIP(in)
		if got.ip != want {
			t.Errorf("looksIP(%q) = %q, want %q", in, got.ip, want)
		}
	}
}
