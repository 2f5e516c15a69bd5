package auth

import (
	"regexp"
	"strings"
	"testing"
)

// arcZone serves the sealers' keys: list.example.org (RSA) forwards first,
// relay.example.net (Ed25519) second.
func arcZone(t testing.TB) string {
	rk, rk2, ek := testKeys(t)
	return txtRR("arc._domainkey.list.example.org", keyRecord(t, rk2)) +
		txtRR("arc._domainkey.relay.example.net", keyRecord(t, ek)) +
		txtRR("sel._domainkey.example.com", keyRecord(t, rk))
}

// twoHops is baseMessage signed by example.com, sealed by the list
// (i=1), changed by nothing, sealed by the relay (i=2).
func twoHops(t *testing.T) (one, two string) {
	rk, rk2, ek := testKeys(t)
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	one = arcSeal(t, msg, 1, "none", "list.example.org", "arc", rk2, "dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com")
	two = arcSeal(t, one, 2, "pass", "relay.example.net", "arc", ek, "arc=pass; dkim=pass header.d=example.com")
	return one, two
}

func TestARC(t *testing.T) {
	rk, rk2, ek := testKeys(t)
	one, two := twoHops(t)
	// A list that adds a footer, then seals: the chain is intact, but the
	// originator's DKIM and the first AMS no longer verify.
	footer := arcSeal(t, strings.Replace(one, "attached.\r\n", "attached.\r\n-- \r\nlist footer\r\n", 1),
		2, "pass", "relay.example.net", "arc", ek, "arc=pass")
	tests := []struct {
		name       string
		msg        string
		result     Status
		brokenAt   int
		oldestPass int
		structure  string // part of Structure
		reason     string // part of Reason
	}{
		{"one set intact", one, StatusPass, 0, 1, "ok", ""},
		{"two sets intact", two, StatusPass, 0, 1, "ok", ""},
		{"footer added before the second seal", footer, StatusPass, 0, 2, "ok", ""},
		{"body changed after the last seal", strings.Replace(two, "Hello Bob", "Hello Eve", 1),
			StatusFail, 2, 0, "ok", "message signature of instance 2"},
		{"subject changed after the last seal", strings.Replace(two, "Subject: quarterly", "Subject: urgent", 1),
			StatusFail, 2, 0, "ok", "message signature of instance 2"},
		{"first AAR rewritten", strings.Replace(two, "spf=pass smtp.mailfrom=example.com", "spf=pass smtp.mailfrom=evil.test", 1),
			StatusFail, 1, 1, "ok", "seal of instance 1"},
		{"second AAR rewritten", strings.Replace(two, "arc=pass; dkim=pass header.d=example.com", "arc=pass; dkim=pass header.d=evil.test", 1),
			StatusFail, 2, 1, "ok", "seal of instance 2"},
		{"first set removed", removeInstance(two, 1),
			StatusFail, 1, 2, "instance 1 is missing", ""},
		{"cv=pass at instance 1", arcSeal(t, baseMessage, 1, "pass", "list.example.org", "arc", rk2, "dkim=none"),
			StatusFail, 1, 1, "instance 1 has cv=pass", ""},
		{"cv=none at instance 2", arcSeal(t, one, 2, "none", "relay.example.net", "arc", ek, "arc=pass"),
			StatusFail, 2, 1, "instance 2 has cv=none", ""},
		{"sealer recorded cv=fail", arcSeal(t, one, 2, "fail", "relay.example.net", "arc", ek, "arc=fail"),
			StatusFail, 2, 1, "recorded cv=fail", ""},
		{"duplicate seal", "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.test; s=s; b=AAAA\r\n" + one,
			StatusFail, 1, 1, "exactly one of each", ""},
		{"instance out of range", "ARC-Seal: i=51; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n" + one,
			StatusFail, 0, 1, "is not 1 to 50", ""},
		{"seal key missing today", arcSeal(t, baseMessage, 1, "none", "gone.example.org", "arc", rk, "dkim=none"),
			StatusPermError, 1, 0, "ok", "no key record"},
		{"h= in a seal", strings.Replace(one, "ARC-Seal: i=1;", "ARC-Seal: i=1; h=from;", 1),
			StatusFail, 1, 1, "ok", "h= is not allowed"},
	}
	z := zone(t, arcZone(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := check(t, z, tt.msg, Input{}).ARC
			if a.Result != tt.result || a.BrokenAt != tt.brokenAt || a.OldestPass != tt.oldestPass {
				t.Errorf("result %s broken at %d oldest pass %d (%s), want %s %d %d",
					a.Result, a.BrokenAt, a.OldestPass, a.Reason, tt.result, tt.brokenAt, tt.oldestPass)
			}
			if !strings.Contains(a.Structure, tt.structure) {
				t.Errorf("structure %q, want %q", a.Structure, tt.structure)
			}
			if !strings.Contains(a.Reason, tt.reason) {
				t.Errorf("reason %q, want %q", a.Reason, tt.reason)
			}
		})
	}
}

// TestARCDescribe: the sets are described in instance order with their
// sealers, results and the intermediaries' own claims.
func TestARCDescribe(t *testing.T) {
	_, two := twoHops(t)
	res := check(t, zone(t, arcZone(t)), two, Input{})
	a := res.ARC
	if a.Instances != 2 || len(a.Sets) != 2 {
		t.Fatalf("%d instances, %d sets", a.Instances, len(a.Sets))
	}
	s1, s2 := a.Sets[0], a.Sets[1]
	if s1.Instance != 1 || s1.CV != "none" || s1.Seal.Domain != "list.example.org" || s1.Seal.Algorithm != "rsa-sha256" || s1.Seal.KeyBits != 2048 {
		t.Errorf("set 1: %+v seal %+v", s1, s1.Seal)
	}
	if s2.CV != "pass" || s2.Seal.Algorithm != "ed25519-sha256" || s2.Message.Result != StatusPass {
		t.Errorf("set 2: %+v", s2)
	}
	if s1.AuthServID != "mx.list.example.org" || !strings.HasPrefix(s1.AuthResults, "dkim=pass header.d=example.com") {
		t.Errorf("AAR 1: %q %q", s1.AuthServID, s1.AuthResults)
	}
	if res.DKIM[0].Result != StatusPass {
		t.Errorf("the originator's DKIM under two seals: %s", res.DKIM[0].Result)
	}
}

// TestARCOffline: without DNS the structure is still read, signatures are
// "not-checked" and the chain is not judged.
func TestARCOffline(t *testing.T) {
	_, two := twoHops(t)
	res := check(t, nil, removeInstance(two, 1), Input{})
	a := res.ARC
	if a.Result != StatusNotChecked || !strings.Contains(a.Structure, "missing") {
		t.Errorf("result %s structure %q", a.Result, a.Structure)
	}
	if a.Sets[0].Seal.Result != StatusNotChecked {
		t.Errorf("seal result %s", a.Sets[0].Seal.Result)
	}
}

func TestARCNone(t *testing.T) {
	a := check(t, zone(t, ""), baseMessage, Input{}).ARC
	if a.Result != StatusNone || a.Instances != 0 || a.Sets == nil {
		t.Errorf("%+v", a)
	}
}

// removeInstance drops the three ARC fields of instance n.
func removeInstance(msg string, n int) string {
	m := splitMessage([]byte(msg))
	var b strings.Builder
	re := regexp.MustCompile(`^\s*i\s*=\s*` + itoa(int64(n)) + `\s*;`)
	for _, f := range m.fields {
		if strings.HasPrefix(strings.ToLower(f.Name), "arc-") && re.MatchString(f.value()) {
			continue
		}
		b.WriteString(f.Raw)
	}
	b.WriteString("\r\n")
	b.Write(m.body)
	return b.String()
}
