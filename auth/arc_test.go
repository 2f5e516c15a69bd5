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

// TestARCOffline: without DNS the structure is still judged (RFC 8617
// §5.2 steps 2-3 need no key): a broken one fails with its reason and the
// instance where it breaks, an intact chain is not checked, and the
// signatures are "not-checked" either way. The broken cases were
// "not-checked" on the old code.
func TestARCOffline(t *testing.T) {
	one, two := twoHops(t)
	tests := []struct {
		name      string
		msg       string
		result    Status
		brokenAt  int
		structure string // a part of Structure, and of Reason when broken
	}{
		{"intact, one set", one, StatusNotChecked, 0, "ok"},
		{"intact, two sets", two, StatusNotChecked, 0, "ok"},
		{"instance 1 missing", removeInstance(two, 1), StatusFail, 1, "instance 1 is missing"},
		{"instance 2 sealed cv=fail", strings.Replace(two, "cv=pass", "cv=fail", 1), StatusFail, 2, "recorded cv=fail"},
		{"instance 1 sealed cv=pass", strings.Replace(one, "cv=none", "cv=pass", 1), StatusFail, 1, "instance 1 has cv=pass"},
		{"instance 2 sealed cv=none", strings.Replace(two, "cv=pass", "cv=none", 1), StatusFail, 2, "instance 2 has cv=none"},
		{"instance 1 without its message signature", removeField(one, "ARC-Message-Signature: i=1"), StatusFail, 1, "does not have exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, headerOnly := range []bool{false, true} {
				a := checkOffline(t, tt.msg, headerOnly).ARC
				if a.Result != tt.result || a.BrokenAt != tt.brokenAt || !strings.Contains(a.Structure, tt.structure) {
					t.Errorf("header-only %v: result %s broken at %d structure %q (%s), want %s at %d %q",
						headerOnly, a.Result, a.BrokenAt, a.Structure, a.Reason, tt.result, tt.brokenAt, tt.structure)
				}
				if tt.result == StatusFail && !strings.Contains(a.Reason, tt.structure) {
					t.Errorf("header-only %v: reason %q does not say %q", headerOnly, a.Reason, tt.structure)
				}
				for _, s := range a.Sets {
					if s.Seal != nil && s.Seal.Result != StatusNotChecked {
						t.Errorf("header-only %v: seal %d result %s", headerOnly, s.Instance, s.Seal.Result)
					}
				}
			}
		})
	}
}

// checkOffline checks msg without DNS, whole or (headerOnly) as a
// header-only analysis hands it over, split already (Input.Header).
func checkOffline(t *testing.T, msg string, headerOnly bool) *Result {
	t.Helper()
	if !headerOnly {
		return check(t, nil, msg, Input{})
	}
	hdr, body := refHeader([]byte(msg))
	return New(Options{HeaderOnly: true, Now: fixedNow}).Check(ctxT(t), Input{Message: []byte(msg), Header: hdr, Body: body})
}

// removeField drops the field that starts with prefix, with its
// continuation lines.
func removeField(msg, prefix string) string {
	i := strings.Index(msg, prefix)
	if i < 0 {
		panic("no field " + prefix)
	}
	end := i + strings.Index(msg[i:], "\r\n") + 2
	for end < len(msg) && (msg[end] == ' ' || msg[end] == '\t') {
		end += strings.Index(msg[end:], "\r\n") + 2
	}
	return msg[:i] + msg[end:]
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
