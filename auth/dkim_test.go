package auth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtrace/mailtrace/dns"
)

// TestDKIM covers the per-signature results: each case signs baseMessage
// (or a variant) with a key made in the test, serves the zone and checks
// result, problem and alignment.
func TestDKIM(t *testing.T) {
	rk, rk2, ek := testKeys(t)
	rsaRec := keyRecord(t, rk)
	edRec := keyRecord(t, ek)
	good := txtRR("sel._domainkey.example.com", rsaRec) + txtRR("ed._domainkey.example.com", edRec)
	tests := []struct {
		name    string
		msg     func() string
		zone    string
		result  Status
		problem Problem
		aligned bool
		body    string // want BodyHash
	}{
		{"rsa pass", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
		}, good, StatusPass, ProblemNone, true, "match"},
		{"ed25519 pass (RFC 8463)", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "ed", signer: ek})
		}, good, StatusPass, ProblemNone, true, "match"},
		{"simple/simple pass", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk, canon: dkim.CanonicalizationSimple})
		}, good, StatusPass, ProblemNone, true, "match"},
		{"body modified", func() string {
			s := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
			return strings.Replace(s, "the figures", "the new bank details", 1)
		}, good, StatusFail, ProblemBodyHashMismatch, true, "mismatch"},
		{"header modified", func() string {
			s := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
			return strings.Replace(s, "Subject: quarterly report", "Subject: urgent wire transfer", 1)
		}, good, StatusFail, ProblemSignatureInvalid, true, "match"},
		{"signed by another key", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk2})
		}, good, StatusFail, ProblemSignatureInvalid, true, "match"},
		{"key missing", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "gone", signer: rk})
		}, good, StatusPermError, ProblemKeyNotFound, true, "match"},
		{"key revoked (empty p=)", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "old", signer: rk})
		}, good + txtRR("old._domainkey.example.com", "v=DKIM1; k=rsa; p="), StatusPermError, ProblemKeyRevoked, true, "match"},
		{"key missing and body modified", func() string {
			s := sign(t, baseMessage, signOpts{domain: "example.com", selector: "gone", signer: rk})
			return strings.Replace(s, "Hello Bob", "Hello Eve", 1)
		}, good, StatusPermError, ProblemKeyNotFound, true, "mismatch"},
		{"third-party signer not aligned", func() string {
			return sign(t, baseMessage, signOpts{domain: "esp.example.net", selector: "sel", signer: rk})
		}, txtRR("sel._domainkey.esp.example.net", rsaRec), StatusPass, ProblemNone, false, "match"},
		{"subdomain signer aligned (relaxed)", func() string {
			return sign(t, baseMessage, signOpts{domain: "mail.example.com", selector: "sel", signer: rk})
		}, txtRR("sel._domainkey.mail.example.com", rsaRec), StatusPass, ProblemNone, true, "match"},
		{"key record broken base64", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "b64", signer: rk})
		}, txtRR("b64._domainkey.example.com", "v=DKIM1; p=MIIB!!notbase64"), StatusPermError, ProblemKeyInvalid, true, "match"},
		{"two key records", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "two", signer: rk})
		}, txtRR("two._domainkey.example.com", rsaRec) + txtRR("two._domainkey.example.com", edRec), StatusPermError, ProblemKeyInvalid, true, "match"},
		{"ed25519 key for rsa signature", func() string {
			return sign(t, baseMessage, signOpts{domain: "example.com", selector: "mix", signer: rk})
		}, txtRR("mix._domainkey.example.com", edRec), StatusPermError, ProblemKeyInvalid, true, "match"},
		{"expired but otherwise valid", func() string {
			return signTimed(t, rk, "sel", "t=1500000000; x=1600000000;")
		}, good, StatusPolicy, ProblemExpired, true, "match"},
		{"expired and body modified", func() string {
			s := signTimed(t, rk, "sel", "t=1500000000; x=1600000000;")
			return strings.Replace(s, "Hello Bob", "Hello Eve", 1)
		}, good, StatusFail, ProblemBodyHashMismatch, true, "mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, zone(t, tt.zone), tt.msg(), Input{})
			if len(res.DKIM) != 1 {
				t.Fatalf("got %d DKIM results, want 1", len(res.DKIM))
			}
			d := res.DKIM[0]
			if d.Result != tt.result || d.Problem != tt.problem {
				t.Errorf("result %s/%s (%s), want %s/%s", d.Result, d.Problem, d.Reason, tt.result, tt.problem)
			}
			if d.Aligned != tt.aligned {
				t.Errorf("aligned = %v, want %v", d.Aligned, tt.aligned)
			}
			if d.BodyHash != tt.body {
				t.Errorf("body hash %q, want %q", d.BodyHash, tt.body)
			}
			if d.Result != StatusPass && d.Reason == "" {
				t.Error("no reason for a result other than pass")
			}
			if d.Selector == "" || d.Domain == "" || d.Algorithm == "" || d.Line == 0 {
				t.Errorf("signature not described: %+v", d)
			}
		})
	}
}

// TestDKIMBodyLength: l= signs only a prefix; content appended after it is
// reported (the classic append attack), and the crypto is still checked.
// An l= that covers the whole body as it is authenticates all of it: a
// pass, as dkimpy and Mail::DKIM give it, and DMARC with them.
func TestDKIMBodyLength(t *testing.T) {
	rk, _, _ := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	// Sign with l= by hand: go-msgauth's signer never writes l=.
	msg := splitMessage([]byte(baseMessage))
	h := newHashForTest()
	n := canonBody(h, msg.body, canonRelaxed, -1)
	sigField := "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\r\n\tl=" +
		itoa(n) + "; h=from:to:subject:date; bh=" + base64.StdEncoding.EncodeToString(h.Sum(nil)) + ";\r\n\tb="
	signed := signField(t, sigField, rk, func(f field) []byte {
		s, serr := parseMsgSig(f, requiredDKIMTags)
		if serr != nil {
			t.Fatal(serr.reason)
		}
		return s.headerDigest(msg.fields)
	}) + baseMessage
	appended := signed + "\r\nPS: please use our new account IBAN XX00 0000.\r\n"
	for _, tt := range []struct {
		name     string
		msg      string
		unsigned bool
	}{{"exact", signed, false}, {"appended", appended, true}} {
		t.Run(tt.name, func(t *testing.T) {
			d := check(t, z, tt.msg, Input{}).DKIM[0]
			if d.BodyLength == nil {
				t.Errorf("l= not reported")
			}
			if !tt.unsigned {
				if d.Result != StatusPass || d.UnsignedBytes != 0 {
					t.Errorf("result %s/%s (%s), %d unsigned bytes, want pass", d.Result, d.Problem, d.Reason, d.UnsignedBytes)
				}
				return
			}
			if d.Result != StatusPolicy || d.Problem != ProblemBodyLength {
				t.Fatalf("result %s/%s (%s), want policy/body-length", d.Result, d.Problem, d.Reason)
			}
			if !strings.Contains(d.Reason, "valid for the first") {
				t.Errorf("reason %q does not say the signature holds for the prefix", d.Reason)
			}
			if (d.UnsignedBytes > 0) != tt.unsigned {
				t.Errorf("unsigned bytes = %d, want >0: %v", d.UnsignedBytes, tt.unsigned)
			}
		})
	}
}

// TestDKIMMalformed: signatures a forger or a broken signer wrote give a
// clear per-signature result and never a panic.
func TestDKIMMalformed(t *testing.T) {
	rk, _, _ := testKeys(t)
	good := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	tests := []struct {
		name    string
		field   string
		problem Problem
	}{
		{"no tags", "DKIM-Signature: \r\n", ProblemMalformed},
		{"garbage", "DKIM-Signature: ;;;==;\r\n", ProblemMalformed},
		{"missing bh", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=AAAA\r\n", ProblemMalformed},
		{"broken b base64", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=!!!\r\n", ProblemMalformed},
		{"broken bh base64", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=*; b=AAAA\r\n", ProblemMalformed},
		{"unknown algorithm", "DKIM-Signature: v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n", ProblemUnsupported},
		{"rsa-sha1 refused (RFC 8301)", "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n", ProblemUnsupported},
		{"From not signed", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=subject; bh=AAAA; b=AAAA\r\n", ProblemFromNotSigned},
		{"duplicate tag", "DKIM-Signature: v=1; v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n", ProblemMalformed},
		{"version 2", "DKIM-Signature: v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n", ProblemMalformed},
		{"i= outside d=", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; i=@evil.test; s=sel; h=from; bh=AAAA; b=AAAA\r\n", ProblemMalformed},
		{"binary junk", "DKIM-Signature: \x00\xff\xfe; d=\x01; s=\x02\r\n", ProblemMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, z, tt.field+good, Input{})
			if len(res.DKIM) != 2 {
				t.Fatalf("%d results, want 2", len(res.DKIM))
			}
			bad, ok := res.DKIM[0], res.DKIM[1]
			if bad.Problem != tt.problem || bad.Result == StatusPass {
				t.Errorf("malformed: %s/%s (%s), want problem %s", bad.Result, bad.Problem, bad.Reason, tt.problem)
			}
			if bad.Reason == "" {
				t.Error("no reason")
			}
			if ok.Result != StatusPass {
				t.Errorf("the good signature beside it: %s (%s)", ok.Result, ok.Reason)
			}
		})
	}
}

// TestDKIMHugeKey: a key record with an absurd RSA modulus is refused
// quickly (RFC 8301 sets a floor; mailtrace sets a ceiling for ARC) and a
// 4096-bit key works.
func TestDKIMHugeKey(t *testing.T) {
	rk, _, _ := testKeys(t)
	huge := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 65535), E: 65537}
	huge.N.Add(huge.N, big.NewInt(12345))
	der, err := x509.MarshalPKIXPublicKey(huge)
	if err != nil {
		t.Fatal(err)
	}
	rec := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "huge", signer: rk})
	start := time.Now()
	res := check(t, zone(t, txtRR("huge._domainkey.example.com", rec)), msg, Input{})
	d := res.DKIM[0]
	if d.Result == StatusPass {
		t.Fatalf("a 64 kbit key that did not sign passes")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if _, kerr := parseKey(rec); kerr == nil || kerr.problem != ProblemKeyInvalid {
		t.Errorf("parseKey accepted a 64 kbit key: %v", kerr)
	}
}

// TestDKIMLimits: more signatures than MaxSignatures are reported, not
// verified.
func TestDKIMLimits(t *testing.T) {
	rk, _, _ := testKeys(t)
	msg := baseMessage
	for i := 0; i < 10; i++ {
		msg = sign(t, msg, signOpts{domain: "example.com", selector: "sel", signer: rk, headers: []string{"From", "Subject"}})
	}
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	res := New(Options{Resolver: z, MaxSignatures: 4, Now: fixedNow}).Check(ctxT(t), Input{Message: []byte(msg)})
	if len(res.DKIM) != 10 {
		t.Fatalf("%d results", len(res.DKIM))
	}
	for i, d := range res.DKIM {
		want := StatusPass
		if i >= 4 {
			want = StatusPolicy
		}
		if d.Result != want {
			t.Errorf("signature %d: %s (%s), want %s", i+1, d.Result, d.Reason, want)
		}
	}
}

// TestDKIMListLimits: a result lists the first maxListedSignatures
// signatures and counts the rest; a signature whose h= names more than
// maxSignedFields fields lists that many, and is not verified.
func TestDKIMListLimits(t *testing.T) {
	rk, _, _ := testKeys(t)
	long := strings.Repeat("From:", maxSignedFields+44) + "From"
	msg := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=" + long + "; bh=AAAA; b=BBBB\r\n" + baseMessage
	for range maxListedSignatures + 6 {
		msg = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=BBBB\r\n" + msg
	}
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	for _, r := range []dns.Resolver{nil, z} {
		res := New(Options{Resolver: r, Now: fixedNow}).Check(ctxT(t), Input{Message: []byte(msg)})
		if len(res.DKIM) != maxListedSignatures || res.DKIMOmitted != 7 {
			t.Fatalf("resolver %v: %d results, %d omitted; want %d and 7", r != nil, len(res.DKIM), res.DKIMOmitted, maxListedSignatures)
		}
	}
	msg = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=" + long + "; bh=AAAA; b=BBBB\r\n" + baseMessage
	for _, r := range []dns.Resolver{nil, z} {
		res := New(Options{Resolver: r, Now: fixedNow}).Check(ctxT(t), Input{Message: []byte(msg)})
		// Offline every result is not-checked.
		if d := res.DKIM[0]; len(d.Headers) != maxSignedFields || r != nil && d.Problem != ProblemLimit {
			t.Errorf("resolver %v: %d signed headers listed, problem %q (%s); want %d and %q", r != nil, len(d.Headers), d.Problem, d.Reason, maxSignedFields, ProblemLimit)
		}
	}
}

// TestDKIMLineEnds: a message stored with LF line ends and an mbox From
// line verifies as the CRLF original (RFC 5322 stores are often LF).
func TestDKIMLineEnds(t *testing.T) {
	rk, _, ek := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk))+txtRR("ed._domainkey.example.com", keyRecord(t, ek)))
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk, canon: dkim.CanonicalizationSimple})
	msg = sign(t, msg, signOpts{domain: "example.com", selector: "ed", signer: ek})
	lf := "From MAILER-DAEMON Mon Jun  2 10:00:00 2025\n" + strings.ReplaceAll(msg, "\r\n", "\n")
	res := check(t, z, lf, Input{})
	for _, d := range res.DKIM {
		if d.Result != StatusPass {
			t.Errorf("%s: %s (%s)", d.Selector, d.Result, d.Reason)
		}
		if d.Line < 2 {
			t.Errorf("line %d does not count the mbox line", d.Line)
		}
	}
}

// TestMsgSigAgreesWithGoMsgauth cross-checks this package's own verifier
// (used for ARC-Message-Signature and policy rechecks) against signatures
// go-msgauth made, over awkward messages: both canonicalizations, both
// algorithms, folded and spaced headers, trailing blank lines, LF ends.
func TestMsgSigAgreesWithGoMsgauth(t *testing.T) {
	rk, _, ek := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk))+txtRR("ed._domainkey.example.com", keyRecord(t, ek)))
	bodies := map[string]string{
		"plain":          baseMessage,
		"spaces":         "From:   Alice  <alice@example.com>  \r\nSubject:\tmany \t  spaces \r\n folded\r\n\tagain\r\nTo: b@example.net\r\n\r\n  lead  and trail  \t\r\nx\t\ty\r\n\r\n\r\n\r\n",
		"empty body":     "From: a@example.com\r\nSubject: x\r\n\r\n",
		"no final CRLF":  "From: a@example.com\r\nSubject: x\r\n\r\nlast line",
		"LF ends":        "From: a@example.com\nSubject: x\n folded\n\nbody\n\n",
		"repeated field": "From: a@example.com\r\nX-A: 1\r\nX-A: 2\r\nSubject: s\r\n\r\nb\r\n",
	}
	for name, msg := range bodies {
		for _, canon := range []dkim.Canonicalization{dkim.CanonicalizationSimple, dkim.CanonicalizationRelaxed} {
			for _, k := range []struct {
				sel    string
				signer crypto.Signer
			}{{"sel", rk}, {"ed", ek}} {
				t.Run(name+"/"+string(canon)+"/"+k.sel, func(t *testing.T) {
					o := signOpts{domain: "example.com", selector: k.sel, signer: k.signer, canon: canon, headers: []string{"From", "Subject", "X-A", "X-A", "X-A", "To"}}
					signed := sign(t, msg, o)
					m := splitMessage([]byte(signed))
					s, serr := parseMsgSig(m.fields[0], requiredDKIMTags)
					if serr != nil {
						t.Fatal(serr.reason)
					}
					l := &lookups{ctx: ctxT(t), r: z}
					if r := l.verifyMsgSig(s, m); r.status != StatusPass {
						t.Fatalf("own verifier: %s/%s (%s)", r.status, r.problem, r.reason)
					}
					tampered := splitMessage([]byte(signed + "tampered\r\n"))
					if r := l.verifyMsgSig(s, tampered); r.problem != ProblemBodyHashMismatch {
						t.Errorf("body change: %s/%s", r.status, r.problem)
					}
					hdr := splitMessage([]byte(strings.Replace(signed, "From: a@", "From: b@", 1)))
					if strings.Contains(signed, "From: a@") {
						if r := l.verifyMsgSig(s, hdr); r.problem != ProblemSignatureInvalid {
							t.Errorf("header change: %s/%s", r.status, r.problem)
						}
					}
				})
			}
		}
	}
}

func TestDKIMNone(t *testing.T) {
	res := check(t, zone(t, ""), baseMessage, Input{})
	if len(res.DKIM) != 0 || res.DKIM == nil {
		t.Errorf("DKIM = %#v, want an empty list", res.DKIM)
	}
}

var _ = rand.Reader

// TestDKIMTimes: x= must be greater than t= (RFC 6376 §3.5). A signature
// that breaks the rule is invalid (permerror), not "expired, otherwise
// valid" and not a pass, whatever the clock says; a cryptographic failure
// stays one. The signatures are made by hand: go-msgauth's signer always
// writes t= as now.
func TestDKIMTimes(t *testing.T) {
	rk, _, _ := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	signed := func(selector, times string) string { return signTimed(t, rk, selector, times) }
	const past, later, future, farFuture = "1500000000", "1600000000", "4000000000", "4100000000"
	tests := []struct {
		name    string
		msg     string
		result  Status
		problem Problem
		defect  bool // the reason names the x=/t= defect
	}{
		{"x after t, both past: expired", signed("sel", "t="+past+"; x="+later+";"), StatusPolicy, ProblemExpired, false},
		{"x after t, x in the future: pass", signed("sel", "t="+past+"; x="+future+";"), StatusPass, ProblemNone, false},
		{"x before t, both past", signed("sel", "t="+later+"; x="+past+";"), StatusPermError, ProblemMalformed, true},
		{"x before t, both future", signed("sel", "t="+farFuture+"; x="+future+";"), StatusPermError, ProblemMalformed, true},
		{"x equal to t, future", signed("sel", "t="+future+"; x="+future+";"), StatusPermError, ProblemMalformed, true},
		{"x equal to t, past", signed("sel", "t="+past+"; x="+past+";"), StatusPermError, ProblemMalformed, true},
		{"x before t, key missing", signed("gone", "t="+later+"; x="+past+";"), StatusPermError, ProblemMalformed, true},
		{"x before t, body modified", strings.Replace(signed("sel", "t="+farFuture+"; x="+future+";"), "Hello Bob", "Hello Eve", 1), StatusFail, ProblemBodyHashMismatch, true},
		{"x without t", signed("sel", "x="+future+";"), StatusPass, ProblemNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := check(t, z, tt.msg, Input{}).DKIM[0]
			if d.Result != tt.result || d.Problem != tt.problem {
				t.Errorf("result %s/%s (%s), want %s/%s", d.Result, d.Problem, d.Reason, tt.result, tt.problem)
			}
			if got := strings.Contains(d.Reason, "is not after t="); got != tt.defect {
				t.Errorf("reason %q names the x=/t= defect: %v, want %v", d.Reason, got, tt.defect)
			}
			if tt.defect && strings.Contains(d.Reason, "otherwise valid") {
				t.Errorf("reason %q calls an invalid signature otherwise valid", d.Reason)
			}
		})
	}
}

// TestDKIMExpiryAsOfNow: x= is judged at the analysis time (Options.Now,
// which --now sets), not by go-msgauth's clock: a signature that expired
// before today but not before the analysis time passes, and one whose x=
// is after today but before the analysis time is expired, otherwise valid.
// A cryptographic failure stays one either way.
func TestDKIMExpiryAsOfNow(t *testing.T) {
	rk, _, _ := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	signed := func(selector, times string) string { return signTimed(t, rk, selector, times) }
	const x2020, x2096 = "t=1500000000; x=1600000000;", "t=1500000000; x=4000000000;"
	in2019 := time.Unix(1550000000, 0) // before x=1600000000, which today is past
	in2097 := time.Unix(4050000000, 0) // after x=4000000000, which today is ahead
	tests := []struct {
		name    string
		msg     string
		now     time.Time
		result  Status
		problem Problem
		reason  string // a part of the reason
	}{
		{"expired today, not as of the analysis", signed("sel", x2020), in2019, StatusPass, ProblemNone, ""},
		{"expired today and as of the analysis", signed("sel", x2020), fixedNow(), StatusPolicy, ProblemExpired, "expired at 2020-09-13T12:26:40Z; it is otherwise valid"},
		{"valid today, expired as of the analysis", signed("sel", x2096), in2097, StatusPolicy, ProblemExpired, "expired at 2096-10-02T07:06:40Z; it is otherwise valid"},
		{"expired today, not as of the analysis, body modified", strings.Replace(signed("sel", x2020), "Hello Bob", "Hello Eve", 1), in2019, StatusFail, ProblemBodyHashMismatch, reasonBodyHash},
		{"expired today, not as of the analysis, key missing", signed("gone", x2020), in2019, StatusPermError, ProblemKeyNotFound, ""},
		{"valid today, expired as of the analysis, body modified", strings.Replace(signed("sel", x2096), "Hello Bob", "Hello Eve", 1), in2097, StatusFail, ProblemBodyHashMismatch, reasonBodyHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			res := New(Options{Resolver: z, Now: func() time.Time { return now }}).Check(ctxT(t), Input{Message: []byte(tt.msg)})
			d := res.DKIM[0]
			if d.Result != tt.result || d.Problem != tt.problem {
				t.Errorf("result %s/%s (%s), want %s/%s", d.Result, d.Problem, d.Reason, tt.result, tt.problem)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", d.Reason, tt.reason)
			}
			if got, want := strings.Contains(d.Reason, "expired"), tt.problem == ProblemExpired; got != want {
				t.Errorf("reason %q speaks of expiry: %v, want %v", d.Reason, got, want)
			}
			if d.KeyBits == 0 && tt.problem != ProblemKeyNotFound {
				t.Errorf("key size not recorded: %+v", d)
			}
		})
	}
}

// TestDKIMKeyFlags: the key record's t= flags (RFC 6376 §3.6.1). With t=s
// a signature whose i= is below d= is a permerror, however good its
// crypto (the audit's s-ts.eml passed); t=y keeps the result and says the
// signer is testing.
func TestDKIMKeyFlags(t *testing.T) {
	rk, _, _ := testKeys(t)
	rec := strings.TrimPrefix(keyRecord(t, rk), "v=DKIM1; ")
	z := zone(t, txtRR("strict._domainkey.example.com", "v=DKIM1; t=s; "+rec)+
		txtRR("test._domainkey.example.com", "v=DKIM1; t=y; "+rec)+
		txtRR("both._domainkey.example.com", "v=DKIM1; t=y:s:z; "+rec))
	signed := func(selector, identity string) string {
		return sign(t, baseMessage, signOpts{domain: "example.com", selector: selector, signer: rk, identity: identity})
	}
	runDKIMCases(t, z, []dkimCase{
		{"t=s, i= in a subdomain", signed("strict", "alice@mail.example.com"), StatusPermError, ProblemKeyInvalid, "has t=s, but i= is in mail.example.com"},
		{"t=s, i= in d=", signed("strict", "alice@example.com"), StatusPass, ProblemNone, ""},
		{"t=s, i= in d= in upper case", signed("strict", "@EXAMPLE.COM"), StatusPass, ProblemNone, ""},
		{"t=s, no i=", signed("strict", ""), StatusPass, ProblemNone, ""},
		{"t=s, i= in a subdomain, body modified", strings.Replace(signed("strict", "@mail.example.com"), "Hello Bob", "Hello Eve", 1), StatusFail, ProblemBodyHashMismatch, reasonBodyHash},
		{"t=y pass", signed("test", ""), StatusPass, ProblemNone, "testing mode (t=y)"},
		{"t=y, body modified", strings.Replace(signed("test", ""), "Hello Bob", "Hello Eve", 1), StatusFail, ProblemBodyHashMismatch, "testing mode (t=y)"},
		{"t=y:s, i= in a subdomain", signed("both", "@a.example.com"), StatusPermError, ProblemKeyInvalid, "has t=s, but i= is in a.example.com, a subdomain of d=example.com (RFC 6376 §3.6.1); the signature is otherwise valid; the key is in testing mode"},
	}, 2048)
}

// dkimCase is a message whose first signature must come out with result
// and problem, its reason holding reason ("" for none).
type dkimCase struct {
	name    string
	msg     string
	result  Status
	problem Problem
	reason  string // a part of the reason
}

// runDKIMCases checks each case against the keys of z; keyBits, when not
// 0, is the size the key must be reported with.
func runDKIMCases(t *testing.T, z dns.Resolver, tests []dkimCase, keyBits int) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := check(t, z, tt.msg, Input{}).DKIM[0]
			if d.Result != tt.result || d.Problem != tt.problem {
				t.Errorf("result %s/%s (%s), want %s/%s", d.Result, d.Problem, d.Reason, tt.result, tt.problem)
			}
			if !strings.Contains(d.Reason, tt.reason) || tt.reason == "" && d.Reason != "" {
				t.Errorf("reason %q, want %q in it", d.Reason, tt.reason)
			}
			if keyBits != 0 && d.KeyBits != keyBits {
				t.Errorf("key bits %d, want %d", d.KeyBits, keyBits)
			}
		})
	}
}

// TestDKIMIdentityCase: the domain of i= is compared with d= without
// regard to case (RFC 6376 §3.5, RFC 4343). go-msgauth calls
// "d=example.com; i=@EXAMPLE.COM" a domain mismatch and verifies nothing
// (the audit's s-icase.eml was a permerror); the signature is verified
// here instead, with the checks go-msgauth makes after that point.
func TestDKIMIdentityCase(t *testing.T) {
	rk, rk2, _ := testKeys(t)
	z := zone(t, txtRR("sel._domainkey.example.com", keyRecord(t, rk)))
	signed := func(identity string) string {
		return sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk, identity: identity})
	}
	runDKIMCases(t, z, []dkimCase{
		{"i= upper case", signed("@EXAMPLE.COM"), StatusPass, ProblemNone, ""},
		{"i= mixed case with a local part", signed("Alice@Example.Com"), StatusPass, ProblemNone, ""},
		{"i= subdomain in upper case", signed("alice@MAIL.Example.COM"), StatusPass, ProblemNone, ""},
		{"i= upper case, body modified", strings.Replace(signed("@EXAMPLE.COM"), "Hello Bob", "Hello Eve", 1), StatusFail, ProblemBodyHashMismatch, reasonBodyHash},
		{"i= upper case, header modified", strings.Replace(signed("@EXAMPLE.COM"), "quarterly report", "urgent payment", 1), StatusFail, ProblemSignatureInvalid, reasonSignature},
		{"i= upper case, another key", sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk2, identity: "@EXAMPLE.COM"}), StatusFail, ProblemSignatureInvalid, reasonSignature},
		{"i= upper case, key missing", sign(t, baseMessage, signOpts{domain: "example.com", selector: "gone", signer: rk, identity: "@EXAMPLE.COM"}), StatusPermError, ProblemKeyNotFound, "no key record"},
		{"i= upper case, expired", signTimed(t, rk, "sel", "i=@EXAMPLE.COM; t=1500000000; x=1600000000;"), StatusPolicy, ProblemExpired, "otherwise valid"},
		{"i= upper case, x= not after t=", signTimed(t, rk, "sel", "i=@EXAMPLE.COM; t=1600000000; x=1500000000;"), StatusPermError, ProblemMalformed, "is not after t="},
		{"i= of another domain in upper case", signed("@EVIL.TEST"), StatusPermError, ProblemMalformed, "domain mismatch"},
		{"i= a suffix but no subdomain", signed("@XEXAMPLE.COM"), StatusPermError, ProblemMalformed, "domain mismatch"},
	}, 0)
	// From not signed: go-msgauth's signer always signs From, so the
	// field is made by hand; it is refused before any key is asked for.
	f := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; i=@EXAMPLE.COM; s=sel; h=subject; bh=AAAA; b=AAAA\r\n"
	if d := check(t, z, f+baseMessage, Input{}).DKIM[0]; d.Problem != ProblemFromNotSigned || d.Result != StatusPermError {
		t.Errorf("From not signed: %s/%s (%s)", d.Result, d.Problem, d.Reason)
	}
}

func TestIdentityWithin(t *testing.T) {
	for _, c := range []struct {
		i, d string
		want bool
	}{
		{"@example.com", "example.com", true},
		{"@EXAMPLE.COM", "example.com", true},
		{"a@Mail.Example.Com.", "example.com", true},
		{"a@b@example.com", "example.com", true},
		{"@xexample.com", "example.com", false},
		{"@example.com.evil", "example.com", false},
		{"example.com", "example.com", false},
		{"@", "example.com", false},
		{"@com", "example.com", false},
	} {
		if got := identityWithin(c.i, c.d); got != c.want {
			t.Errorf("identityWithin(%q, %q) = %v, want %v", c.i, c.d, got, c.want)
		}
	}
}
