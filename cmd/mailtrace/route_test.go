package main

import (
	"strings"
	"testing"
)

// TestRouteCommand runs route against the test zone: what it prints for
// addresses and domains, and which inputs are usage errors (exit 2) rather
// than DNS outcomes.
func TestRouteCommand(t *testing.T) {
	const zone = "../../testdata/dns/test.zone"
	tests := []struct {
		args []string
		code int
		want string // in stdout, or in stderr for an error
	}{
		{[]string{"bob@mt.test"}, 0, "mt.test  (delivered to its MX hosts)"},
		{[]string{"Bob <bob@MailDom.mt.test>"}, 0, "CNAME -> mt.test"},
		{[]string{`"a,b"@mt.test`}, 0, "10 mx1.mt.test => 192.0.2.25"},
		{[]string{"bob@[192.0.2.1]"}, 0, "an address literal"},
		{[]string{"null10.mt.test"}, 0, "MX 10 .  (null MX"},
		{[]string{"-f", "json", "badmx.mt.test"}, 0, `"status": "no-usable-mx"`},
		{[]string{"-f", "json", "bad-input..mt.test"}, 2, "bad label length"},
		{[]string{"a b.mt.test"}, 2, "not one address or domain"},
		{[]string{"bob@mt.test, carol@nomail.mt.test"}, 2, "not one address or domain"},
		{[]string{"bob@x (comment)"}, 2, "not one address or domain"},
		{[]string{"."}, 2, "empty name"},
		{[]string{""}, 2, "no domain"},
		{[]string{"mt.test", "nomail.mt.test"}, 2, "one ADDRESS or DOMAIN"},
	}
	for _, tt := range tests {
		args := append([]string{"route", "--dns-zone", zone}, tt.args...)
		code, stdout, stderr := runCLI(t, "", args...)
		if code != tt.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tt.args, code, tt.code, stderr)
			continue
		}
		if out := stdout + stderr; !strings.Contains(out, tt.want) {
			t.Errorf("%q: output %q lacks %q", tt.args, out, tt.want)
		}
	}
}
