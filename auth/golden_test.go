package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/internal/golden"
)

// The golden corpus: testdata/golden/NN-name.eml, signed once with the
// test-only keys in testdata/golden/keys.pem, checked against
// testdata/golden/world.zone with the SMTP facts of NN-name.in.json, and
// compared with NN-name.want.json. -update rewrites the .want.json files;
// -regen signs the messages anew (new t= values, new RSA signatures) and
// rewrites everything.
var regen = flag.Bool("regen", false, "re-sign the golden messages and rewrite the corpus")

const goldenDir = "testdata/golden"

// goldenInput is NN-name.in.json: what the receiver saw of the session.
type goldenInput struct {
	IP       string `json:"ip"`
	HELO     string `json:"helo"`
	MailFrom string `json:"mail_from"`
	Note     string `json:"note"` // what the case shows
}

func TestGolden(t *testing.T) {
	if *regen {
		regenerateGolden(t)
	}
	z, err := dns.LoadZones(filepath.Join(goldenDir, "world.zone"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.eml"))
	if len(files) == 0 {
		t.Fatal("no golden messages")
	}
	for _, path := range files {
		base := strings.TrimSuffix(path, ".eml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var gi goldenInput
			if b, err := os.ReadFile(base + ".in.json"); err == nil {
				if err := json.Unmarshal(b, &gi); err != nil {
					t.Fatal(err)
				}
			}
			in := Input{Message: raw, HELO: gi.HELO, MailFrom: gi.MailFrom}
			if gi.IP != "" {
				in.IP = netip.MustParseAddr(gi.IP)
			}
			res := New(Options{Resolver: z, Now: fixedNow}).Check(ctxT(t), in)
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if *regen {
				golden.Write(t, base+".want.json", got)
				return
			}
			golden.Check(t, base+".want.json", got)
		})
	}
}

// goldenKeys reads the test-only keys: an RSA 2048 and an Ed25519 key.
func goldenKeys(t *testing.T) (*rsa.PrivateKey, ed25519.PrivateKey) {
	b, err := os.ReadFile(filepath.Join(goldenDir, "keys.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var rk *rsa.PrivateKey
	var ek ed25519.PrivateKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			rk = k
		case ed25519.PrivateKey:
			ek = k
		}
	}
	if rk == nil || ek == nil {
		t.Fatal("keys.pem needs an RSA and an Ed25519 key")
	}
	return rk, ek
}

// regenerateGolden signs the golden messages and writes the zone.
func regenerateGolden(t *testing.T) {
	rk, ek := goldenKeys(t)
	zoneText := "; Test world of the golden corpus; keys from keys.pem (test only).\n$TTL 300\n" +
		txtRR("sel._domainkey.example.com", keyRecord(t, rk)) +
		txtRR("ed._domainkey.example.com", keyRecord(t, ek)) +
		txtRR("old._domainkey.example.com", "v=DKIM1; k=rsa; p=") +
		txtRR("sel._domainkey.esp.example.net", keyRecord(t, rk)) +
		txtRR("arc._domainkey.list.example.org", keyRecord(t, rk)) +
		txtRR("arc._domainkey.relay.example.net", keyRecord(t, ek)) +
		txtRR("example.com", "v=spf1 ip4:192.0.2.0/24 -all") +
		txtRR("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com") +
		txtRR("list.example.org", "v=spf1 ip4:198.51.100.0/24 ~all")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(goldenDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("world.zone", zoneText)
	signed := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	both := sign(t, signed, signOpts{domain: "example.com", selector: "ed", signer: ek})
	sealed := arcSeal(t, both, 1, "none", "list.example.org", "arc", rk, "dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com")
	sealed = arcSeal(t, strings.Replace(sealed, "attached.\r\n", "attached.\r\n--\r\nlist footer\r\n", 1),
		2, "pass", "relay.example.net", "arc", ek, "arc=pass; dkim=fail header.d=example.com")
	sub := sign(t, strings.Replace(baseMessage, "alice@example.com", "alice@news.example.com", 1),
		signOpts{domain: "esp.example.net", selector: "sel", signer: rk})
	direct := goldenInput{IP: "192.0.2.10", HELO: "mail.example.com", MailFrom: "bounce@example.com"}
	outside := goldenInput{IP: "203.0.113.66", HELO: "bulk.example.net", MailFrom: "alice@example.com"}
	list := goldenInput{IP: "198.51.100.20", HELO: "mx.relay.example.net", MailFrom: "list-bounces@list.example.org"}
	cases := []struct {
		name string
		msg  string
		in   goldenInput
		note string
	}{
		{"01-genuine", signed, direct, "RSA signature, SPF and DMARC pass"},
		{"02-two-signatures", both, direct, "RSA and Ed25519 signatures (RFC 8463) both pass"},
		{"03-body-modified", strings.Replace(both, "the figures", "the new bank details", 1), direct, "body changed after signing: both body hashes fail, DMARC still passes on SPF"},
		{"04-header-modified", strings.Replace(signed, "quarterly report", "urgent payment", 1), outside, "Subject changed: signature mismatch; SPF fail; DMARC reject"},
		{"05-key-revoked", sign(t, baseMessage, signOpts{domain: "example.com", selector: "old", signer: rk}), outside, "key revoked today (p=): permerror, DMARC fail marked DNS-dependent"},
		{"06-spoofed-unsigned", baseMessage, outside, "no signature, SPF fail: DMARC fail under p=reject"},
		{"07-subdomain-sp", sub, goldenInput{IP: "203.0.113.66", HELO: "bulk.example.net", MailFrom: "b@esp.example.net"}, "From news.example.com, signed only by the ESP: DMARC fails under sp=quarantine"},
		{"08-arc-forwarded", sealed, list, "a list added a footer and sealed, a relay sealed again: originator DKIM fails, the ARC chain is intact from instance 2"},
		{"09-arc-tampered", strings.Replace(sealed, "spf=pass smtp.mailfrom=example.com", "spf=pass smtp.mailfrom=evil.test", 1), list, "the first intermediary's results rewritten: the chain breaks at instance 1"},
		{"10-lf-mbox", "From MAILER-DAEMON Mon Jun  2 10:00:00 2025\n" + strings.ReplaceAll(both, "\r\n", "\n"), direct, "stored with LF line ends after an mbox From line: still verifies"},
		{"11-malformed", "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n" +
			"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=!!; b=AAAA\r\n" +
			"DKIM-Signature: garbage\r\n" + signed, direct, "three unusable signatures beside a good one"},
		{"12-null-sender", signed, goldenInput{IP: "192.0.2.10", HELO: "example.com"}, "null reverse-path: SPF checks the HELO identity (RFC 7208 §2.4)"},
		{"13-from-comment", strings.Replace(baseMessage, "<alice@example.com>", "<alice@example.com(alerts@evil.test)>", 1),
			goldenInput{IP: "203.0.113.66", HELO: "bulk.example.net", MailFrom: "bounce@evil.test"},
			"a comment in the From angle-addr holds another address: the From domain is example.com (RFC 5322 §3.2.2), DMARC fails under p=reject"},
	}
	for _, c := range cases {
		write(c.name+".eml", c.msg)
		c.in.Note = c.note
		b, _ := json.MarshalIndent(c.in, "", "  ")
		write(c.name+".in.json", string(b)+"\n")
	}
}

var _ crypto.Signer = (*rsa.PrivateKey)(nil)
