package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/auth"
)

func TestAuthText(t *testing.T) {
	checked := &auth.Result{
		Checked: true, CheckedAt: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), From: "example.com",
		DKIM: []auth.DKIM{
			{Signature: auth.Signature{Domain: "example.com", Selector: "sel", Algorithm: "rsa-sha256", Result: auth.StatusPass, KeyBits: 2048}, Aligned: true, Alignment: "strict"},
			{Signature: auth.Signature{Domain: "evil\x1b[31m.test", Selector: "s", Algorithm: "rsa-sha256", Result: auth.StatusFail,
				Problem: auth.ProblemBodyHashMismatch, Reason: "body hash did not verify"}, Alignment: "none"},
		},
		SPF:   &auth.SPF{Scope: "mailfrom", Domain: "example.com", IP: "192.0.2.10", Hop: 2, Result: auth.StatusPass, Reason: "matched ip"},
		DMARC: &auth.DMARC{FromDomain: "example.com", Result: auth.StatusPass, Policy: "reject", PolicyTag: "p", Percent: 100, DKIMAligned: true, DKIMDomain: "example.com"},
		ARC: &auth.ARC{Result: auth.StatusFail, Instances: 2, Structure: "ok", BrokenAt: 2, Reason: "seal of instance 2: seal did not verify",
			Sets: []auth.ARCSet{{Instance: 1, Seal: &auth.Signature{Domain: "list.example.org"}}, {Instance: 2, Seal: &auth.Signature{Domain: "relay.example.net"}}}},
		Compared: []auth.Mismatch{{Reason: "the receiver says dkim=pass for example.com; mailtrace finds fail now"}},
	}
	offline := &auth.Result{DKIM: []auth.DKIM{{Signature: auth.Signature{Domain: "example.com", Selector: "sel", Result: auth.StatusNotChecked, Reason: "not checked: DNS is offline"}}},
		ARC: &auth.ARC{Result: auth.StatusNotChecked, Instances: 1, Structure: "instance 1 is missing"}}
	tests := []struct {
		name  string
		res   *auth.Result
		want  []string
		avoid []string
	}{
		{"checked", checked, []string{
			"Authentication (checked 2025-06-02 12:00 UTC against DNS as it is now",
			"DKIM   pass        example.com s=sel rsa-sha256 2048-bit, aligned (strict)",
			"DKIM   fail        evil\\x1b[31m.test s=s rsa-sha256, not aligned with From: body hash did not verify",
			"SPF    pass        example.com (mailfrom) for 192.0.2.10 (hop 2): matched ip",
			"DMARC  pass        example.com p=reject: aligned DKIM of example.com",
			"ARC    fail        2 set(s): i=1 list.example.org, i=2 relay.example.net; broken at instance 2",
			"CLAIM  differs     the receiver says dkim=pass",
		}, []string{"\x1b"}},
		{"offline", offline, []string{
			"Authentication: not checked (DNS is offline)",
			"DKIM   not-checked example.com s=sel",
			"structure: instance 1 is missing",
		}, []string{"SPF", "DMARC", "not checked: DNS is offline"}},
		{"no signature", &auth.Result{Checked: true}, []string{"DKIM   none        no DKIM-Signature"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := AuthText(&b, tt.res); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(out, a) {
					t.Errorf("unexpected %q in:\n%s", a, out)
				}
			}
		})
	}
	var b bytes.Buffer
	if err := AuthTextOf(&b, &analyze.MessageReport{}); err != nil || b.Len() != 0 {
		t.Errorf("no auth: %q %v", b.String(), err)
	}
}
