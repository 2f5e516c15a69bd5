package auth

import (
	"strings"
	"testing"
)

// TestCompare: which receiver claims disagree with results computed now,
// and how the disagreement is qualified.
func TestCompare(t *testing.T) {
	res := &Result{
		DKIM: []DKIM{
			{Signature: Signature{Domain: "example.com", Selector: "a", Result: StatusFail, Problem: ProblemBodyHashMismatch}, Aligned: true},
			{Signature: Signature{Domain: "example.com", Selector: "b", Result: StatusPass}, Aligned: true, b: "AbCdEfGh12"},
			{Signature: Signature{Domain: "old.example", Selector: "s", Result: StatusPermError, Problem: ProblemKeyNotFound}},
			{Signature: Signature{Domain: "esp.example", Selector: "s", Result: StatusNotChecked, Problem: ProblemNotChecked}},
			{Signature: Signature{Domain: "sha1.example", Selector: "s", Result: StatusPermError, Problem: ProblemUnsupported}},
		},
		SPF:   &SPF{Domain: "example.com", Result: StatusFail, IP: "192.0.2.1"},
		DMARC: &DMARC{FromDomain: "example.com", Result: StatusPass},
		ARC:   &ARC{Result: StatusFail, Structure: "ok", Reason: "seal of instance 1: x"},
	}
	tests := []struct {
		claim  Claim
		differ bool
		dated  bool
		crypto bool
	}{
		{Claim{Method: "dkim", Result: "pass", Domain: "example.com", Selector: "a"}, true, false, true},
		{Claim{Method: "dkim", Result: "pass", Domain: "example.com", Selector: "B"}, false, false, false},
		{Claim{Method: "dkim", Result: "pass", Domain: "example.com"}, false, false, false}, // one of them passes
		{Claim{Method: "dkim", Result: "fail", Domain: "example.com", Selector: "b"}, true, false, false},
		{Claim{Method: "dkim", Result: "pass", Domain: "old.example"}, true, true, false},
		{Claim{Method: "dkim", Result: "pass", Domain: "esp.example"}, false, false, false}, // not computed
		{Claim{Method: "dkim", Result: "pass", Domain: "gone.example"}, true, false, false}, // no such signature
		{Claim{Method: "dkim", Result: "none", Domain: "gone.example"}, false, false, false},
		{Claim{Method: "dkim", Result: "pass", Domain: "news.example.com", Selector: "b"}, false, false, false}, // header.i of a subdomain
		{Claim{Method: "dkim", Result: "pass", Domain: "example.com", B: "AbCdEfGh"}, false, false, false},      // header.b names it
		{Claim{Method: "dkim", Result: "pass", Domain: "example.com", B: "XyZ12345"}, true, false, false},       // no signature starts so
		{Claim{Method: "dkim", Result: "pass", Domain: "badexample.com"}, true, false, false},                   // not a subdomain: no such signature
		{Claim{Method: "dkim", Result: "temperror", Domain: "old.example"}, false, false, false},
		{Claim{Method: "spf", Result: "pass", Domain: "bounce@example.com"}, true, true, false},
		{Claim{Method: "spf", Result: "softfail", Domain: "example.com"}, false, false, false},
		{Claim{Method: "spf", Result: "pass", Domain: "other.example"}, false, false, false}, // another identity
		{Claim{Method: "DMARC", Result: "FAIL", Domain: "example.com"}, true, false, false},
		{Claim{Method: "arc", Result: "pass"}, true, false, true},
		{Claim{Method: "dkim", Result: "pass", Domain: "sha1.example"}, true, true, false}, // rsa-sha1 retired since
		{Claim{Method: "iprev", Result: "fail"}, false, false, false},
	}
	for _, tt := range tests {
		name := tt.claim.Method + "=" + tt.claim.Result + " " + tt.claim.Domain + " " + tt.claim.Selector
		t.Run(name, func(t *testing.T) {
			Compare(res, []Claim{tt.claim})
			if got := len(res.Compared) == 1; got != tt.differ {
				t.Fatalf("disagreement %v, want %v: %+v", got, tt.differ, res.Compared)
			}
			if !tt.differ {
				return
			}
			m := res.Compared[0]
			if m.Dated != tt.dated || m.Cryptographic != tt.crypto || !strings.Contains(m.Reason, "the receiver says") {
				t.Errorf("dated %v crypto %v reason %q, want dated %v crypto %v", m.Dated, m.Cryptographic, m.Reason, tt.dated, tt.crypto)
			}
		})
	}
	// No DMARC record today where the receiver found one: dated.
	none := &Result{DMARC: &DMARC{FromDomain: "example.com", Result: StatusNone}}
	Compare(none, []Claim{{Method: "dmarc", Result: "pass", Domain: "example.com"}})
	if len(none.Compared) != 1 || !none.Compared[0].Dated {
		t.Errorf("dmarc none vs pass: %+v", none.Compared)
	}
}

// TestSenseLowerFirst holds sense, which tells lower-case results without
// lowering them, to the reading of the lowered text alone.
func TestSenseLowerFirst(t *testing.T) {
	ref := func(s string) string {
		switch Status(strings.ToLower(s)) {
		case StatusPass:
			return "pass"
		case StatusFail, StatusSoftFail, StatusPolicy:
			return "fail"
		case StatusNotChecked, "":
			return ""
		}
		return "error"
	}
	for _, s := range []Status{StatusPass, StatusFail, StatusSoftFail, StatusNeutral, StatusNone, StatusPolicy,
		StatusTempError, StatusPermError, StatusNotChecked, "", "hardfail", "bestguesspass", "İ", "K"} {
		capital := string(s)
		if capital != "" {
			capital = strings.ToUpper(capital[:1]) + capital[1:]
		}
		for _, v := range []string{string(s), strings.ToUpper(string(s)), capital, " " + string(s)} {
			if got, want := sense(v), ref(v); got != want {
				t.Errorf("sense(%q) = %q, want %q", v, got, want)
			}
		}
	}
}
