package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"hash"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtrace/mailtrace/dns"
)

// Keys are generated once per test binary: RSA 2048 costs a moment.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, rsaKey2, edKey
}

// keyRecord is the DKIM key record of a signer's public key
// (RFC 6376 §3.6.1; RFC 8463 §4 for Ed25519's raw 32 bytes).
func keyRecord(t testing.TB, signer crypto.Signer) string {
	t.Helper()
	switch pub := signer.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	t.Fatalf("unsupported key %T", signer.Public())
	return ""
}

// txtRR renders a TXT record, cut into the 255-byte character-strings
// RFC 1035 §3.3 limits them to.
func txtRR(name, value string) string {
	var parts []string
	for len(value) > 200 {
		parts = append(parts, value[:200])
		value = value[200:]
	}
	parts = append(parts, value)
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
	}
	return fmt.Sprintf("%s. 300 IN TXT %s\n", name, strings.Join(parts, " "))
}

// zone builds a Zone resolver from master-file text.
func zone(t testing.TB, text string) dns.Resolver {
	t.Helper()
	z, err := dns.ParseZone(strings.NewReader(text), "", "test.zone")
	if err != nil {
		t.Fatalf("zone: %v\n%s", err, text)
	}
	return z
}

// baseMessage is a plain message with CRLF line ends.
const baseMessage = "From: Alice <alice@example.com>\r\n" +
	"To: bob@example.net\r\n" +
	"Subject: quarterly report\r\n" +
	"Date: Mon, 02 Jun 2025 10:00:00 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n" +
	"\r\n" +
	"the figures are attached.\r\n"

// signOpts are the DKIM signing options of the tests.
type signOpts struct {
	domain, selector string
	signer           crypto.Signer
	canon            dkim.Canonicalization
	headers          []string
	identity         string // i=, none when empty
}

// sign adds a DKIM-Signature made by go-msgauth.
func sign(t testing.TB, msg string, o signOpts) string {
	t.Helper()
	if o.canon == "" {
		o.canon = dkim.CanonicalizationRelaxed
	}
	var b bytes.Buffer
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{
		Domain: o.domain, Selector: o.selector, Signer: o.signer,
		HeaderCanonicalization: o.canon, BodyCanonicalization: o.canon,
		HeaderKeys: o.headers, Identifier: o.identity,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// signTimed adds a relaxed/relaxed rsa-sha256 DKIM-Signature of
// example.com to baseMessage with the given t= and x= tags (times, such
// as "t=1500000000; x=1600000000;"): go-msgauth's signer always writes t=
// as now, which cannot make an expired signature with x= after t=
// (RFC 6376 §3.5).
func signTimed(t testing.TB, signer crypto.Signer, selector, times string) string {
	t.Helper()
	msg := splitMessage([]byte(baseMessage))
	h := newHashForTest()
	canonBody(h, msg.body, canonRelaxed, -1)
	raw := "DKIM-Signature: v=1; a=" + algName(signer) + "; c=relaxed/relaxed; d=example.com; s=" + selector + ";\r\n\t" +
		times + " h=from:to:subject:date; bh=" + base64.StdEncoding.EncodeToString(h.Sum(nil)) + ";\r\n\tb="
	return signField(t, raw, signer, func(f field) []byte {
		s, serr := parseMsgSig(f, requiredDKIMTags)
		if serr != nil {
			t.Fatal(serr.reason)
		}
		return s.headerDigest(msg.fields)
	}) + baseMessage
}

// arcSeal adds one ARC set (RFC 8617 §5.1) on top of msg: an
// ARC-Authentication-Results with results, an ARC-Message-Signature over
// the usual fields and the body, and an ARC-Seal over every set.
func arcSeal(t testing.TB, msg string, inst int, cv, domain, selector string, signer crypto.Signer, results string) string {
	t.Helper()
	alg := algName(signer)
	aar := fmt.Sprintf("ARC-Authentication-Results: i=%d; mx.%s;\r\n\t%s\r\n", inst, domain, results)
	m := splitMessage([]byte(msg))
	bh := sha256.New()
	canonBody(bh, m.body, canonRelaxed, -1)
	ams := fmt.Sprintf("ARC-Message-Signature: i=%d; a=%s; c=relaxed/relaxed; d=%s;\r\n\ts=%s; t=1748858400;\r\n\th=from:to:subject:date:message-id:dkim-signature;\r\n\tbh=%s;\r\n\tb=",
		inst, alg, domain, selector, base64.StdEncoding.EncodeToString(bh.Sum(nil)))
	ams = signField(t, ams, signer, func(f field) []byte {
		s, serr := parseMsgSig(f, requiredAMSTags)
		if serr != nil {
			t.Fatalf("test AMS: %v", serr.reason)
		}
		return s.headerDigest(m.fields)
	})
	seal := fmt.Sprintf("ARC-Seal: i=%d; a=%s; cv=%s; d=%s; s=%s;\r\n\tt=1748858400; b=", inst, alg, cv, domain, selector)
	withSet := seal + "\r\n" + ams + aar + msg
	seal = signField(t, seal, signer, func(f field) []byte {
		sm := splitMessage([]byte(withSet))
		sets, _ := collectARC(sm)
		for _, s := range sets {
			describeSet(&ARCSet{}, sm, s, &Signature{}, &Signature{})
		}
		ss := &msgSig{field: f, tags: sets[inst-1].sealTags}
		if err := ss.parseSeal(); err != nil {
			t.Fatalf("test seal: %v", err.reason)
		}
		d, ok := sealDigest(sm, sets, inst-1, ss)
		if !ok {
			t.Fatal("test seal: incomplete sets")
		}
		return d
	})
	return seal + ams + aar + msg
}

// signField completes a field ending in "b=" with the signature of the
// digest computed over it, folded over several lines.
func signField(t testing.TB, raw string, signer crypto.Signer, digest func(field) []byte) string {
	t.Helper()
	name, _, _ := strings.Cut(raw, ":")
	d := digest(field{Name: name, Raw: raw + "\r\n"})
	var sig []byte
	var err error
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d)
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, d)
	}
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	var folded strings.Builder
	for len(b64) > 60 {
		folded.WriteString(b64[:60] + "\r\n\t")
		b64 = b64[60:]
	}
	folded.WriteString(b64)
	return raw + folded.String() + "\r\n"
}

func algName(signer crypto.Signer) string {
	if _, ok := signer.(ed25519.PrivateKey); ok {
		return "ed25519-sha256"
	}
	return "rsa-sha256"
}

// fixedNow is the clock of the tests.
func fixedNow() time.Time { return time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC) }

// check runs a Verifier over msg with the given resolver.
func check(t testing.TB, r dns.Resolver, msg string, in Input) *Result {
	t.Helper()
	in.Message = []byte(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return New(Options{Resolver: r, Now: fixedNow}).Check(ctx, in)
}

var testIP = netip.MustParseAddr("192.0.2.10")

func newHashForTest() hash.Hash { return sha256.New() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ctxT is a context that ends with the test.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
