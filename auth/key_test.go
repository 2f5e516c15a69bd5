package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
)

// TestParseKey reads key records (RFC 6376 §3.6.1, RFC 8463 §4).
func TestParseKey(t *testing.T) {
	rk, _, ek := testKeys(t)
	rsaP := strings.TrimPrefix(keyRecord(t, rk), "v=DKIM1; k=rsa; p=")
	edP := strings.TrimPrefix(keyRecord(t, ek), "v=DKIM1; k=ed25519; p=")
	pkcs1 := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&rk.PublicKey))
	// Go no longer makes 512-bit keys; a public modulus of that size is
	// all a key record holds.
	n, err := rand.Prime(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		rec     string
		problem Problem // ProblemNone: usable
		alg     string
	}{
		{"rsa", "v=DKIM1; k=rsa; p=" + rsaP, ProblemNone, "rsa"},
		{"rsa without k= or v=", "p=" + rsaP, ProblemNone, "rsa"},
		{"rsa folded with spaces", "v=DKIM1; p=" + rsaP[:100] + " \t" + rsaP[100:], ProblemNone, "rsa"},
		{"rsa PKCS#1 (erratum 3017)", "v=DKIM1; p=" + pkcs1, ProblemNone, "rsa"},
		{"ed25519", "v=DKIM1; k=ed25519; p=" + edP, ProblemNone, "ed25519"},
		{"service *", "v=DKIM1; s=*; p=" + edP + "; k=ed25519", ProblemNone, "ed25519"},
		{"service email among others", "v=DKIM1; s=email:other; p=" + rsaP, ProblemNone, "rsa"},
		{"revoked", "v=DKIM1; k=rsa; p=", ProblemKeyRevoked, ""},
		{"revoked with spaces", "v=DKIM1; p= ; n=rotated", ProblemKeyRevoked, ""},
		{"no p=", "v=DKIM1; k=rsa", ProblemKeyInvalid, ""},
		{"version 2", "v=DKIM2; p=" + rsaP, ProblemKeyInvalid, ""},
		{"other service", "v=DKIM1; s=other; p=" + rsaP, ProblemKeyInvalid, ""},
		{"unknown algorithm", "v=DKIM1; k=dsa; p=" + rsaP, ProblemUnsupported, ""},
		{"not base64", "v=DKIM1; p=%%%%", ProblemKeyInvalid, ""},
		{"not a key", "v=DKIM1; p=" + base64.StdEncoding.EncodeToString([]byte("hello world")), ProblemKeyInvalid, ""},
		{"RSA 512 too short (RFC 8301)", "v=DKIM1; p=" + base64.StdEncoding.EncodeToString(smallDER), ProblemKeyInvalid, ""},
		{"ed25519 wrong size", "v=DKIM1; k=ed25519; p=" + rsaP, ProblemKeyInvalid, ""},
		{"tag syntax", "v=DKIM1; ;; p", ProblemKeyInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, kerr := parseKey(tt.rec)
			if tt.problem == ProblemNone {
				if kerr != nil {
					t.Fatalf("refused: %v", kerr)
				}
				if k.alg != tt.alg {
					t.Errorf("alg %q, want %q", k.alg, tt.alg)
				}
				return
			}
			if kerr == nil || kerr.problem != tt.problem || kerr.Error() == "" {
				t.Errorf("got %v, want %s", kerr, tt.problem)
			}
		})
	}
	k, _ := parseKey("v=DKIM1; h=sha1; p=" + rsaP)
	if k.allows() {
		t.Error("h=sha1 key accepts sha256")
	}
	// t= flags (RFC 6376 §3.6.1): colon-separated, unknown ones ignored.
	for rec, want := range map[string][2]bool{
		"v=DKIM1; p=" + rsaP:                  {false, false},
		"v=DKIM1; t=y; p=" + rsaP:             {true, false},
		"v=DKIM1; t=s; p=" + rsaP:             {false, true},
		"v=DKIM1; t= y : s ; p=" + rsaP:       {true, true},
		"v=DKIM1; t=S:x:future; p=" + rsaP:    {false, true},
		"v=DKIM1; t=ys; p=" + rsaP:            {false, false},
		"v=DKIM1; t=; k=ed25519; p=" + edP:    {false, false},
		"v=DKIM1; t=x:y; k=ed25519; p=" + edP: {true, false},
	} {
		k, kerr := parseKey(rec)
		if kerr != nil {
			t.Fatalf("%.40s: %v", rec, kerr)
		}
		if got := [2]bool{k.testing, k.strict}; got != want {
			t.Errorf("%.40s: testing, strict = %v, want %v", rec, got, want)
		}
	}
}

// TestHeaderLimit: a header past MaxHeaderFields is not handed to the
// verifier; each signature says why.
func TestHeaderLimit(t *testing.T) {
	rk, _, _ := testKeys(t)
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	msg = strings.Repeat("X-Junk: 1\r\n", 30) + msg
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	res := New(Options{Resolver: z, MaxHeaderFields: 20}).Check(ctxT(t), Input{Message: []byte(msg)})
	if d := res.DKIM[0]; d.Result != StatusPolicy || d.Problem != ProblemLimit || !strings.Contains(d.Reason, "fields") {
		t.Errorf("%s/%s (%s)", d.Result, d.Problem, d.Reason)
	}
	long := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; bh=AAAA; b=AAAA; h=from" + strings.Repeat(":x", 300) + "\r\n" + msg
	res = New(Options{Resolver: z}).Check(ctxT(t), Input{Message: []byte(long)})
	for _, d := range res.DKIM {
		if d.Problem != ProblemLimit {
			t.Errorf("h= of 300 fields: %s/%s (%s)", d.Result, d.Problem, d.Reason)
		}
	}
}
