package analyze

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
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

var (
	authKeysOnce sync.Once
	authRSA      *rsa.PrivateKey
	authEd       ed25519.PrivateKey
)

func authKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	authKeysOnce.Do(func() {
		var err error
		if authRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, authEd, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return authRSA, authEd
}

// authZone publishes example.com's key, SPF (its outbound server is
// 192.0.2.10) and DMARC p=reject.
func authZone(t testing.TB) string {
	rk, ek := authKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := base64.StdEncoding.EncodeToString(der)
	return "sel._domainkey.example.com. 300 IN TXT \"v=DKIM1; k=rsa; p=" + p[:200] + "\" \"" + p[200:] + "\"\n" +
		"ed._domainkey.example.com. 300 IN TXT \"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(ek.Public().(ed25519.PublicKey)) + "\"\n" +
		"example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n" +
		"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject\"\n" +
		"soft.example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"\n" +
		"broken.example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.300 -all\"\n" +
		"sel._domainkey.esp.example.net. 300 IN TXT \"v=DKIM1; k=rsa; p=" + p[:200] + "\" \"" + p[200:] + "\"\n" +
		"flaky._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=\"\n"
}

// origin is the message as example.com's server signs it.
const authOrigin = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: invoice 42\r\n" +
	"Date: Mon, 02 Jun 2025 10:00:00 +0000\r\nMessage-ID: <42@example.com>\r\n\r\nPlease pay invoice 42 to the usual account.\r\n"

// delivered adds the trace of a delivery: submission at mail.example.com,
// relay from client (the IP the receiving side saw) to mx-in.example.net,
// then an internal hop to the mailbox store.
func delivered(signed, client string) string {
	return "Return-Path: <alice@example.com>\r\n" +
		"Received: from mx-in.example.net (mx-in.example.net [10.0.0.5]) by store.example.net with LMTP id A1; Mon, 2 Jun 2025 10:00:05 +0000\r\n" +
		"Received: from mail.example.com (mail.example.com [" + client + "]) by mx-in.example.net with ESMTPS id B2 for <bob@example.net>; Mon, 2 Jun 2025 10:00:03 +0000\r\n" +
		"Received: from laptop (unknown [198.51.100.7]) by mail.example.com with ESMTPSA id C3; Mon, 2 Jun 2025 10:00:01 +0000\r\n" +
		signed
}

// viaListServer puts the list server lists.example.org between
// mail.example.com and the receiver of a message made by delivered.
func viaListServer(msg string) string {
	msg = strings.Replace(msg, "Received: from mail.example.com (mail.example.com [", "Received: from lists.example.org (lists.example.org [", 1)
	return strings.Replace(msg, "Received: from laptop ",
		"Received: from mail.example.com (mail.example.com [192.0.2.20]) by lists.example.org with ESMTPS id L1; Mon, 2 Jun 2025 10:00:02 +0000\r\nReceived: from laptop ", 1)
}

// dkimSign signs for example.com with the RSA key, or the Ed25519 key for
// selector "ed".
func dkimSign(t testing.TB, msg, selector string) string {
	t.Helper()
	rk, ek := authKeys(t)
	opts := &dkim.SignOptions{Domain: "example.com", Selector: selector, Signer: rk,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}
	if selector == "ed" {
		opts.Signer = ek
	}
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader(msg), opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func analyzeAuth(t testing.TB, r dns.Resolver, mode, raw string) *MessageReport {
	t.Helper()
	a := New(Options{Resolver: r, DNSMode: mode, HeaderOnly: true,
		Now: func() time.Time { return time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC) }})
	return a.Analyze(context.Background(), Input{File: "t.eml", Raw: []byte(raw)})
}

// authRuleIDs are the rules of rules_auth.go.
var authRuleIDs = map[string]bool{
	"dkim-fail": true, "dkim-key-missing": true, "dkim-temperror": true, "dkim-invalid": true, "dkim-expired": true,
	"dkim-body-length": true, "dkim-misaligned": true, "spf-fail": true, "spf-softfail": true, "spf-error": true,
	"dmarc-fail": true, "arc-broken": true, "authres-disagrees": true,
}

// authFindings lists the authentication findings as "rule:severity".
func authFindings(m *MessageReport) []string {
	var out []string
	for _, f := range m.Findings {
		if authRuleIDs[f.Rule] {
			out = append(out, f.Rule+":"+string(f.Severity))
		}
	}
	return out
}

// withClaims adds the receiving side's Authentication-Results on top, as
// mx-in.example.net writes it.
func withClaims(raw, results string) string {
	return "Authentication-Results: mx-in.example.net;\r\n\t" + results + "\r\n" + raw
}

func TestAuthRules(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader(authZone(t)), "", "auth.zone")
	if err != nil {
		t.Fatal(err)
	}
	signed := dkimSign(t, authOrigin, "sel")
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{"genuine", delivered(signed, "192.0.2.10"), nil},
		{"genuine, two signatures", delivered(dkimSign(t, signed, "ed"), "192.0.2.10"), nil},
		{"spoofed from an outside server, unsigned", delivered(authOrigin, "203.0.113.66"),
			[]string{"spf-fail:medium", "dmarc-fail:medium"}},
		// A comment in the angle-addr holding another address hid the
		// DMARC failure: the From domain is the addr-spec's (RFC 5322 §3.2.2).
		{"spoofed, a comment in the From angle-addr", delivered(strings.Replace(authOrigin, "<alice@example.com>", "<alice@example.com(alerts@mailer.example.net)>", 1), "203.0.113.66"),
			[]string{"spf-fail:medium", "dmarc-fail:medium"}},
		{"body changed after signing", delivered(strings.Replace(signed, "the usual account", "account XX00 1234", 1), "203.0.113.66"),
			[]string{"dkim-fail:high", "spf-fail:medium", "dmarc-fail:medium"}},
		{"body changed by a mailing list", viaListServer(delivered("List-Id: Team <team.lists.example.org>\r\n"+strings.Replace(signed, "the usual account", "the usual account\r\n-- \r\nteam mailing list", 1), "192.0.2.10")),
			[]string{"dkim-fail:medium"}},
		// The same List-Id on a message no server of example.org carried:
		// anyone can add the field to excuse a body he changed.
		{"body changed, List-Id of a list that never carried it", delivered("List-Id: Team <team.lists.example.org>\r\n"+strings.Replace(signed, "the usual account", "the usual account\r\n-- \r\nteam mailing list", 1), "192.0.2.10"),
			[]string{"dkim-fail:high"}},
		{"subject changed after signing, SPF passes", delivered(strings.Replace(signed, "invoice 42\r\n", "invoice 43\r\n", 1), "192.0.2.10"),
			[]string{"dkim-fail:high"}},
		{"key rotated since delivery", delivered(dkimSign(t, authOrigin, "2019"), "192.0.2.10"),
			[]string{"dkim-key-missing:low"}},
		{"key rotated, SPF fails", delivered(dkimSign(t, authOrigin, "2019"), "203.0.113.66"),
			[]string{"dkim-key-missing:low", "spf-fail:medium", "dmarc-fail:info"}},
		{"key lookup fails", delivered(dkimSign(t, authOrigin, "flaky"), "192.0.2.10"),
			[]string{"dkim-temperror:info"}},
		{"rsa-sha1 signature beside a good one", delivered("DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n"+signed, "192.0.2.10"),
			[]string{"dkim-invalid:low"}},
		{"expired signature", delivered(dkimSignExpired(t, authOrigin), "192.0.2.10"),
			[]string{"dkim-expired:info"}},
		{"l= with text appended", delivered(signWithLength(t, authOrigin)+"PS: new IBAN XX00 9999.\r\n", "192.0.2.10"),
			[]string{"dkim-body-length:medium"}},
		{"l= covering the body", delivered(signWithLength(t, authOrigin), "192.0.2.10"),
			[]string{"dkim-body-length:info"}},
		{"signed only by the email service", delivered(dkimSignAs(t, authOrigin, "esp.example.net"), "203.0.113.66"),
			[]string{"dkim-misaligned:low", "spf-fail:medium", "dmarc-fail:medium"}},
		{"softfail", softSender(delivered(signed, "203.0.113.66")),
			[]string{"spf-softfail:info"}},
		{"SPF record broken", brokenSender(delivered(signed, "192.0.2.10")),
			[]string{"spf-error:info"}},
		{"body changed after the receiver verified it", withClaims(delivered(strings.Replace(signed, "the usual account", "account XX00 1234", 1), "192.0.2.10"),
			"dkim=pass header.d=example.com header.s=sel; spf=pass smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com"),
			[]string{"dkim-fail:medium", "authres-disagrees:medium"}},
		{"receiver's SPF pass is for another envelope", withClaims(delivered(signed, "192.0.2.10"),
			"spf=pass smtp.mailfrom=service@paypal.com"),
			[]string{"authres-disagrees:medium"}},
		{"receiver's claims agree", withClaims(delivered(signed, "192.0.2.10"),
			"dkim=pass header.d=example.com header.s=sel; spf=pass smtp.mailfrom=alice@example.com; dmarc=pass header.from=example.com; arc=none"),
			nil},
		{"receiver saw a key since rotated", withClaims(delivered(dkimSign(t, authOrigin, "2019"), "192.0.2.10"),
			"dkim=pass header.d=example.com header.s=2019"),
			[]string{"dkim-key-missing:low", "authres-disagrees:info"}},
		{"receiver's DKIM pass for a signature the message does not carry", withClaims(delivered(authOrigin, "192.0.2.10"),
			"dkim=pass header.d=example.com header.s=sel; spf=pass smtp.mailfrom=alice@example.com"),
			[]string{"authres-disagrees:medium"}},
		{"receiver says DKIM failed, it verifies now", withClaims(delivered(signed, "192.0.2.10"), "dkim=fail header.d=example.com"),
			[]string{"authres-disagrees:low"}},
		{"receiver says SPF failed", withClaims(delivered(signed, "192.0.2.10"), "spf=fail smtp.mailfrom=alice@example.com"),
			[]string{"authres-disagrees:info"}},
		{"ARC set missing its first instance", "ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=list.example.org; s=arc; b=AAAA\r\n" + delivered(signed, "192.0.2.10"),
			[]string{"arc-broken:medium", "arc-broken:medium"}}, // and no hop of list.example.org took it in
	}
	r := flakyKey{z}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := analyzeAuth(t, r, "zone", tt.raw)
			if got := authFindings(m); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("findings %v, want %v", got, tt.want)
				for _, f := range m.Findings {
					t.Logf("  %s %s: %s | %s", f.Rule, f.Severity, f.Message, f.Evidence)
				}
			}
			res, ok := m.Auth.(*auth.Result)
			if !ok || !res.Checked {
				t.Fatalf("Auth = %T %+v", m.Auth, m.Auth)
			}
			// The entry hop's client: the one mx-in.example.net took it from.
			entry, _, _ := strings.Cut(tt.raw, ") by mx-in.example.net with ESMTPS")
			hop := strings.Count(tt.raw, "Received: ") - 1 // below the receiver's LMTP line
			if res.SPF.Hop != hop || res.SPF.IP != entry[strings.LastIndexByte(entry, '[')+1:len(entry)-1] {
				t.Errorf("SPF evaluated for hop %d %s, want the entry hop %d", res.SPF.Hop, res.SPF.IP, hop)
			}
		})
	}
}

// flakyKey fails the lookup of one key as a timeout would.
type flakyKey struct{ dns.Resolver }

func (f flakyKey) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if strings.HasPrefix(name, "flaky._domainkey.") {
		return nil, fmt.Errorf("lookup TXT %s: %w", name, dns.ErrTemporary)
	}
	return f.Resolver.LookupTXT(ctx, name)
}

// dkimSignExpired signs msg by hand, signed 1 January 2024 and expired the
// next day (t= < x=, both past: RFC 6376 §3.5); signers at hand write t= as
// now, which would make x= precede it.
func dkimSignExpired(t testing.TB, msg string) string {
	return signByHand(t, msg, "t=1704067200; x=1704153600;")
}

func dkimSignAs(t testing.TB, msg, domain string) string {
	rk, _ := authKeys(t)
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{Domain: domain, Selector: "sel", Signer: rk}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// signWithLength signs msg by hand with l= set to its whole body (no
// signer at hand writes l=): simple body canonicalization of a body
// that ends in one CRLF is the body itself.
func signWithLength(t testing.TB, msg string) string {
	_, body, _ := strings.Cut(msg, "\r\n\r\n")
	return signByHand(t, msg, fmt.Sprintf("l=%d;", len(body)))
}

// signByHand signs From and Subject of msg with simple canonicalization,
// with tags added to the signature.
func signByHand(t testing.TB, msg, tags string) string {
	rk, _ := authKeys(t)
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	bh := sha256.Sum256([]byte(body))
	sig := fmt.Sprintf("DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel; %s h=from:subject; bh=%s; b=",
		tags, base64.StdEncoding.EncodeToString(bh[:]))
	var from, subject string
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(line, "From:") {
			from = line + "\r\n"
		}
		if strings.HasPrefix(line, "Subject:") {
			subject = line + "\r\n"
		}
	}
	digest := sha256.Sum256([]byte(from + subject + sig))
	b, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig + base64.StdEncoding.EncodeToString(b) + "\r\n" + msg
}

// softSender and brokenSender move the envelope sender to a domain whose
// SPF record ends in ~all, or is broken.
func softSender(raw string) string {
	return strings.Replace(raw, "Return-Path: <alice@example.com>", "Return-Path: <b@soft.example.com>", 1)
}

func brokenSender(raw string) string {
	return strings.Replace(raw, "Return-Path: <alice@example.com>", "Return-Path: <b@broken.example.com>", 1)
}

// TestAuthJSON: the report's JSON carries an "auth" object in snake_case.
func TestAuthJSON(t *testing.T) {
	z, _ := dns.ParseZone(strings.NewReader(authZone(t)), "", "auth.zone")
	m := analyzeAuth(t, z, "zone", delivered(dkimSign(t, authOrigin, "sel"), "192.0.2.10"))
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Auth map[string]json.RawMessage `json:"auth"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"checked", "dkim", "spf", "dmarc", "arc", "from_domain", "dns_lookups"} {
		if _, ok := doc.Auth[k]; !ok {
			t.Errorf("auth has no %q: %s", k, b)
		}
	}
	if !strings.Contains(string(doc.Auth["dkim"]), `"signed_headers"`) || !strings.Contains(string(doc.Auth["dmarc"]), `"policy":"reject"`) {
		t.Errorf("auth: %s", b)
	}
}

// TestAuthOfflineAndDNSFailure: offline nothing is checked and nothing
// found; with DNS silent nothing weighs more than info.
func TestAuthOfflineAndDNSFailure(t *testing.T) {
	raw := delivered(strings.Replace(dkimSign(t, authOrigin, "sel"), "Subject: invoice 42", "Subject: invoice 43", 1), "203.0.113.66")
	m := analyzeAuth(t, nil, "offline", raw)
	if got := authFindings(m); len(got) > 0 {
		t.Errorf("offline findings: %v", got)
	}
	if res, ok := m.Auth.(*auth.Result); !ok || res.Checked || res.DKIM[0].Result != auth.StatusNotChecked {
		t.Errorf("offline Auth = %+v", m.Auth)
	}
	// A receiver's pass for a signature the message does not carry needs
	// no DNS; its pass for one it does carry cannot be compared offline.
	m = analyzeAuth(t, nil, "offline", withClaims(delivered(authOrigin, "192.0.2.10"), "dkim=pass header.d=example.com"))
	if got := authFindings(m); strings.Join(got, " ") != "authres-disagrees:medium" {
		t.Errorf("offline, pass claimed for a missing signature: %v", got)
	}
	m = analyzeAuth(t, nil, "offline", withClaims(raw, "dkim=pass header.d=example.com"))
	if got := authFindings(m); len(got) > 0 {
		t.Errorf("offline, pass claimed for a signature it carries: %v", got)
	}
	// An ARC set that vouches for a signature the message does not carry
	// was planted; on list mail the list may have stripped it.
	arcSet := "ARC-Seal: i=1; a=rsa-sha256; t=1700000000; cv=none; d=relay.example.net; s=arc; b=AAAA\r\n" +
		"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=relay.example.net; s=arc; h=from:subject; bh=AAAA; b=AAAA\r\n" +
		"ARC-Authentication-Results: i=1; relay.example.net; dkim=pass header.d=example.com header.s=sel; spf=pass smtp.mailfrom=example.com\r\n"
	for _, tt := range []struct {
		name, raw string
		want      string
	}{
		{"ARC pass for a missing signature", arcSet + delivered(authOrigin, "192.0.2.10"), "arc-broken:medium"},
		{"ARC pass for a missing signature, list mail", arcSet + "List-Id: Team <team.lists.example.org>\r\n" + viaListServer(delivered(authOrigin, "192.0.2.10")), ""},
		{"ARC pass for a missing signature, List-Id of a list that never carried it", arcSet + "List-Id: Team <team.lists.example.org>\r\n" + delivered(authOrigin, "192.0.2.10"), "arc-broken:medium"},
		{"ARC pass for a signature it carries", arcSet + raw, ""},
		{"ARC set of an organisation that never took the message in", strings.ReplaceAll(arcSet, "relay.example.net", "relay.example.info") + raw, "arc-broken:medium"},
		// A chain whose sets are wrong fails without DNS (RFC 8617 §5.2
		// steps 2-3); it was not-checked, and no finding, on the old code.
		{"ARC set 1 sealed cv=pass", strings.Replace(arcSet, "cv=none", "cv=pass", 1) + raw, "arc-broken:medium"},
		{"ARC instance 1 missing", strings.ReplaceAll(arcSet, "i=1;", "i=2;") + raw, "arc-broken:medium"},
		{"ARC set 1 sealed twice", arcSet[:strings.Index(arcSet, "ARC-Message")] + arcSet + raw, "arc-broken:medium"},
		{"ARC set 1 without its message signature", strings.Replace(arcSet, "ARC-Message-Signature", "X-Old-Message-Signature", 1) + raw, "arc-broken:medium"},
	} {
		m = analyzeAuth(t, nil, "offline", tt.raw)
		if got := strings.Join(authFindings(m), " "); got != tt.want {
			t.Errorf("offline, %s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// header.b (RFC 6008) names the signature by the start of its b=.
	b := regexp.MustCompile(`\bb=([A-Za-z0-9+/]{8})`).FindStringSubmatch(raw)[1]
	m = analyzeAuth(t, nil, "offline", withClaims(raw, "dkim=pass header.d=example.com header.b="+b))
	if got := authFindings(m); len(got) > 0 {
		t.Errorf("offline, pass claimed for the signature starting b=%s: %v", b, got)
	}
	m = analyzeAuth(t, nil, "offline", withClaims(raw, "dkim=pass header.d=example.com header.b=Zz"+b[2:]))
	if got := authFindings(m); strings.Join(got, " ") != "authres-disagrees:medium" {
		t.Errorf("offline, pass claimed for a signature the message does not carry (header.b): %v", got)
	}

	srv := dnstest.NewServer(t, dnstest.WithNoAnswer())
	r, err := dns.New(dns.Config{Servers: []string{srv.Addr()}, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m = analyzeAuth(t, r, "network", delivered(dkimSign(t, authOrigin, "sel"), "203.0.113.66"))
	for _, f := range m.Findings {
		if f.Rule == "dkim-signed-after" {
			continue // it rests on the message's own dates (signed now, delivered in 2025 here), not on DNS
		}
		if strings.HasPrefix(f.Rule, "dkim-") || strings.HasPrefix(f.Rule, "spf-") || strings.HasPrefix(f.Rule, "dmarc-") {
			if f.Severity != SeverityInfo {
				t.Errorf("DNS silent: %s is %s (%s)", f.Rule, f.Severity, f.Message)
			}
		}
	}
	if m.Verdict == VerdictForged {
		t.Errorf("forged on DNS failure alone: %s", ruleIDs(m))
	}
}

// TestAuthEntryHop: without a trust boundary the newest hop with a public
// client is used; an authenticated submission is not SPF-checked.
func TestAuthEntryHop(t *testing.T) {
	z, _ := dns.ParseZone(strings.NewReader(authZone(t)), "", "auth.zone")
	one := "Return-Path: <alice@example.com>\r\n" +
		"Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.example.net with ESMTP id X; Mon, 2 Jun 2025 10:00:03 +0000\r\n" + authOrigin
	res := analyzeAuth(t, z, "zone", one).Auth.(*auth.Result)
	if res.SPF.IP != "192.0.2.10" || res.SPF.Result != auth.StatusPass {
		t.Errorf("single hop: SPF %s for %q", res.SPF.Result, res.SPF.IP)
	}
	sub := "Received: from laptop (unknown [198.51.100.7]) by smtp.example.net with ESMTPSA id C3; Mon, 2 Jun 2025 10:00:01 +0000\r\n" + authOrigin
	res = analyzeAuth(t, z, "zone", sub).Auth.(*auth.Result)
	if res.SPF.Result != auth.StatusNone || !strings.Contains(res.SPF.Reason, "authenticated") {
		t.Errorf("submission: SPF %s (%s)", res.SPF.Result, res.SPF.Reason)
	}
}
