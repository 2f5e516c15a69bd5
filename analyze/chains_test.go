package analyze

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/dns"
)

// chainsNow is after every date in testdata/chains.
func chainsNow() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }

// TestChainsClean: testdata/chains/clean holds chains in real providers'
// formats that once came out suspicious or forged (Yahoo's Hermes lines
// and its HTTP gate, qmail's "(EHLO [literal])", Zoho's hosts under two
// domains, Strato's under two, Salesforce's and Zendesk's internal
// hand-offs, Naver's Message-ID made under nfra.io), and the services of
// the second audit in their current formats (Fastmail, Proton, iCloud,
// Yandex, Mail.ru, QQ and Tencent Exmail, NetEase, GMX, web.de, IONOS,
// Orange, SFR, Comcast, AOL, Postmark, SparkPost, Mailchimp, Mandrill,
// Brevo, Mailjet, WorkMail, Google's smtp-relay, Mimecast in front of
// Microsoft 365), and self-hosted receiving stacks (selfhost-*: Postfix
// with amavis or rspamd, Mailcow, Mail-in-a-Box, iRedMail, Zimbra, Dovecot
// LMTP and Sieve, fetchmail from a mailbox provider). Each must come out
// clean, without a finding of low or worse.
func TestChainsClean(t *testing.T) {
	allClean(t, "clean")
}

// allClean analyses every message of testdata/chains/dir, offline, and
// wants each clean without a finding of low or worse.
func allClean(t *testing.T, dir string) {
	t.Helper()
	requireParser(t)
	files, _ := filepath.Glob(filepath.Join("../testdata/chains", dir, "*.eml"))
	if len(files) == 0 {
		t.Fatalf("no files in testdata/chains/%s", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			assertClean(t, analyzeFile(t, path, Options{Now: chainsNow}))
		})
	}
}

// assertClean wants m clean, without a finding of low or worse.
func assertClean(t *testing.T, m *MessageReport) {
	t.Helper()
	for _, f := range m.Findings {
		if SeverityWeight(f.Severity) > 0 {
			t.Errorf("%s %s: %s", f.Severity, f.Rule, f.Message)
		}
	}
	if m.Verdict != VerdictClean {
		t.Errorf("verdict %s (score %d), want clean; findings: %s", m.Verdict, m.Score, ruleIDs(m))
	}
}

// TestChainsForged: forgeries in testdata/chains/forged, each with the
// rule that must catch it and the least verdict it must get.
func TestChainsForged(t *testing.T) {
	requireParser(t)
	for _, tc := range []struct {
		file, rule string
		verdict    Verdict
	}{
		// A Google Cloud VM greeting as Gmail: its rDNS is Google's
		// domain for customers' machines, not Gmail's.
		{"gcp-vm-helo-gmail.eml", "helo-impersonation", VerdictSuspicious},
		// A client greeting as Google's relay from outside Google's
		// ranges, recorded without reverse DNS: the ranges are complete,
		// so the address alone disproves the name.
		{"google-relay-helo-outside-ranges.eml", "helo-impersonation", VerdictSuspicious},
		// Forged Microsoft 365 lines under a hop whose client greeted with
		// a Microsoft name from an address outside Microsoft's ranges,
		// recorded without reverse DNS: the greeting links nothing.
		{"microsoft-helo-outside-ranges.eml", "hop-continuity", VerdictSuspicious},
		// Gmail's MX recording a private address for another
		// organisation's server: no such line is real.
		{"private-client-at-gmail-mx.eml", "private-address", VerdictSuspicious},
		// Authentication-Results planted below the Received lines in the
		// name of a receiver under no public suffix (mx.corp.internal).
		{"authres-internal-receiver.eml", "authres-forged", VerdictForged},
		// A lookalike of the recipient's domain, with an X-Original-To
		// of the lookalike planted among the sender's fields: the
		// recipient is what the receiving side wrote, not that.
		{"lookalike-with-planted-recipient.eml", "lookalike-domain", VerdictForged},
		// A genuine From, with Reply-To and Return-Path at paypa1.com and
		// Sender at rnicrosoft.com: replies and bounces go to lookalikes.
		{"lookalike-reply-to-and-sender.eml", "lookalike-domain", VerdictSuspicious},
		// A client named mail-sor-f41.xn--ggle-55da.com: gооgle.com with
		// Cyrillic о, at an address that is not Google's.
		{"helo-idn-homoglyph.eml", "lookalike-domain", VerdictSuspicious},
		// A line added below web.de's webmail hop, which writes "(via
		// HTTP)": the message was written there, nothing is older.
		{"webde-line-below-webmail.eml", "origin-not-oldest", VerdictSuspicious},
		// Authentication-Results in Microsoft 365's name (authserv-id
		// spf.protection.outlook.com, or none as Microsoft writes it)
		// claiming DocuSign passed, planted just below the line of the
		// hop Exchange Online Protection took from outside: Microsoft
		// writes its results above that line, never below it.
		{"m365-authres-planted-below-entry.eml", "authres-forged", VerdictForged},
		{"m365-authres-noid-planted-below-entry.eml", "authres-forged", VerdictForged},
		// The same field with every result none and the passes hidden in
		// reason strings: no stamp of Microsoft's submission.
		{"m365-authres-none-hiding-pass.eml", "authres-forged", VerdictForged},
		// Microsoft 365 lines ("via Frontend Transport") pasted below a
		// VPS's hop to a Postfix receiver.
		{"m365-frontend-line-pasted.eml", "hop-continuity", VerdictSuspicious},
		// A greeting as Microsoft's outbound side from outside its
		// ranges, at Exchange Online Protection.
		{"m365-outbound-helo-outside-ranges.eml", "helo-impersonation", VerdictSuspicious},
		// Self-hosted receivers (Postfix with amavis and milters, under
		// names of no RFC 2606 sample, which would excuse a break): a Gmail
		// line pasted below a VPS's hop, and Authentication-Results in the
		// receiver's name among the sender's fields, below Gmail's line.
		{"selfhost-gmail-line-pasted-below-vps.eml", "hop-continuity", VerdictSuspicious},
		{"selfhost-authres-below-gmail-line.eml", "authres-forged", VerdictForged},
		// A spoof of paypal.com fetched by fetchmail from the user's
		// Gmail mailbox: Gmail is the receiving side too, so its recorded
		// dmarc=fail counts, and a field in its name among the sender's
		// that says spf=pass beside Gmail's softfail is forged. Gmail's
		// lines were a claim, the message clean offline.
		{"selfhost-fetchmail-gmail-authres-planted.eml", "authres-forged", VerdictForged},
		// A CEO fraud from a VPS with a line pasted below it in the name
		// of the receiver's own webmail submission (Mailcow's SOGo).
		{"selfhost-internal-submission-pasted-below-vps.eml", "hop-continuity", VerdictSuspicious},
		// Sent straight from a VPS to Postfix, beginning with a field in
		// the receiver's name that claims PayPal passed, just below
		// OpenDMARC's dmarc=fail and OpenDKIM's dkim=none for it: where the
		// milters write, so only the contradiction tells it; with a
		// DKIM-Signature of paypal.com added, it came out clean offline.
		{"selfhost-authres-beside-entry-from-vps.eml", "authres-forged", VerdictForged},
		{"selfhost-authres-beside-entry-signed.eml", "authres-forged", VerdictForged},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := analyzeFile(t, filepath.Join("../testdata/chains/forged", tc.file), Options{Now: chainsNow})
			if len(fired(m)[tc.rule]) == 0 {
				t.Errorf("%s did not fire; findings: %s", tc.rule, ruleIDs(m))
			}
			if !Meets(m.Verdict, string(tc.verdict)) {
				t.Errorf("verdict %s (score %d), want at least %s", m.Verdict, m.Score, tc.verdict)
			}
		})
	}
}

// TestARCSealerToTrust: an intact ARC chain softens SPF and DMARC failures
// only when its sealer is one to trust. In self-sealed-spoof.eml the
// forger's own relay (fwd.evil-fwd.net, the client the receiver took the
// message from) seals a spoof of a p=reject domain with "spf=pass;
// dmarc=pass" under its own valid key: the failures stay medium, unless
// --trusted names that sealer.
func TestARCSealerToTrust(t *testing.T) {
	requireParser(t)
	z := chainsZone(t, "arc/world.zone")
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	// sealer-saw-failure.eml is the same spoof sealed by the same relay,
	// whose ARC-Authentication-Results records the failures it saw: a
	// chain vouches for what its first sealer saw, so even a trusted
	// sealer softens nothing there. In sealer-passed-own-domain.eml it
	// records passes for its own domain (SPF for its bounce address, its
	// own DKIM signature) and no DMARC: they say nothing of acmebank.com.
	// In presealed-via-provider.eml the forger seals its spoof with
	// "dmarc=pass" under its own key and sends it out through Microsoft
	// 365, whose seal keeps the chain intact and whose own results record
	// the failures: only what a sealer to trust recorded vouches.
	for _, tc := range []struct {
		file    string
		trusted []string
		want    Severity
	}{
		{"self-sealed-spoof.eml", nil, SeverityMedium},
		{"self-sealed-spoof.eml", []string{"evil-fwd.net"}, SeverityLow},
		{"sealer-saw-failure.eml", []string{"evil-fwd.net"}, SeverityMedium},
		{"sealer-passed-own-domain.eml", []string{"evil-fwd.net"}, SeverityMedium},
		{"presealed-via-provider.eml", nil, SeverityMedium},
		{"presealed-via-provider.eml", []string{"evil-fwd.net"}, SeverityLow},
	} {
		m := analyzeFile(t, "../testdata/chains/arc/"+tc.file, Options{Resolver: z, Now: now, Trusted: tc.trusted})
		got := fired(m)
		for _, rule := range []string{"spf-fail", "dmarc-fail"} {
			if len(got[rule]) != 1 || got[rule][0].Severity != tc.want {
				t.Errorf("%s, trusted %v: %s %+v, want one of severity %s; findings %s", tc.file, tc.trusted, rule, got[rule], tc.want, ruleIDs(m))
			}
		}
		if a, ok := m.Auth.(*auth.Result); !ok || a.ARC == nil || a.ARC.Result != auth.StatusPass {
			t.Errorf("%s: the ARC chain does not validate", tc.file)
		}
	}
}

// TestDKIMReplay: resent-signed.eml is a genuine acmebank.com message,
// signed on 28 Nov, sent again three days later from another organisation's
// server to a recipient not in To. Each sign alone is common, so taking
// one away (the recipient in To, the signer's own server as the client,
// a fresh signature) leaves no finding.
func TestDKIMReplay(t *testing.T) {
	requireParser(t)
	z := chainsZone(t, "arc/world.zone")
	raw, err := os.ReadFile("../testdata/chains/replay/resent-signed.eml")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day int) func() time.Time {
		return func() time.Time { return time.Date(2026, 12, day, 12, 0, 0, 0, time.UTC) }
	}
	for _, tc := range []struct {
		name string
		raw  string
		now  func() time.Time
		want bool
	}{
		{"replayed", string(raw), at(2), true},
		{"recipient in To", strings.ReplaceAll(string(raw), "bob@victim.org", "alice@victim.org"), at(2), false},
		{"sent by the signer's own server", strings.ReplaceAll(string(raw), "srv1.evil-vps.net", "out1.acmebank.com"), at(2), false},
		{"signed just before", strings.ReplaceAll(string(raw), "Tue, 1 Dec 2026 11:30:0", "Sat, 28 Nov 2026 09:10:0"), at(2), false},
		// A list that handed the message to the receiver sends old mail on
		// openly (a moderated or digest list).
		{"a list's", strings.ReplaceAll(strings.Replace(string(raw), "MIME-Version: 1.0", "List-Id: <news.lists.openvault.org>\nMIME-Version: 1.0", 1), "srv1.evil-vps.net", "mail.openvault.org"), at(2), false},
		// A List-Id the replayer wrote, naming the recipient's own domain:
		// the receiving side's hops are no list's.
		{"a List-Id of the recipient's domain", strings.Replace(string(raw), "MIME-Version: 1.0", "List-Id: <news.lists.victim.org>\nMIME-Version: 1.0", 1), at(2), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Resolver: z, Now: tc.now}).Analyze(context.Background(), Input{File: "r.eml", Raw: []byte(tc.raw)})
			if got := len(fired(m)["dkim-replay"]) > 0; got != tc.want {
				t.Errorf("dkim-replay %v, want %v; findings %s", got, tc.want, ruleIDs(m))
			}
			// Every case keeps the signature intact: only the sign taken away differs.
			if a, ok := m.Auth.(*auth.Result); !ok || len(a.DKIM) != 1 || a.DKIM[0].Result != auth.StatusPass {
				t.Errorf("the signature does not verify: %+v", m.Auth)
			}
		})
	}
}

// TestTrustAdversarial: a review of the gateway rules as an attacker would
// play them. Anyone can lease an appliance of a gateway service and greet
// with its real name: another customer's appliance delivering to the
// victim's, or one's own delivering straight to the victim's Exchange,
// must not carry the trust walk into lines the attacker wrote; a genuine
// gateway behind a vanity MX name must; an Authentication-Results under a
// name of no organisation appended after the message's fields is anyone's.
func TestTrustAdversarial(t *testing.T) {
	requireParser(t)
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		file, zone string
		verdict    Verdict // the least verdict, or exactly clean
		rule       string  // a rule that must fire, "" for none
		notRule    string  // a rule that must not fire
	}{
		{"other-customers-appliance.eml", "other-customers-appliance.zone", VerdictSuspicious, "spf-fail", ""},
		{"own-appliance-to-exchange.eml", "own-appliance-to-exchange.zone", VerdictSuspicious, "spf-fail", ""},
		{"own-appliance-appended.eml", "", VerdictForged, "received-appended", ""},
		{"vanity-mx-gateway.eml", "vanity-mx-gateway.zone", VerdictClean, "", "spf-fail"},
		{"authres-internal-appended.eml", "", VerdictClean, "authres-untrusted", "authres-trusted"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			opts := Options{Now: now}
			if tc.zone != "" {
				opts.Resolver = chainsZone(t, "trust/"+tc.zone)
			}
			m := analyzeFile(t, filepath.Join("../testdata/chains/trust", tc.file), opts)
			got := fired(m)
			if tc.rule != "" && len(got[tc.rule]) == 0 || tc.notRule != "" && len(got[tc.notRule]) > 0 {
				t.Errorf("findings %s: want %q, not %q", ruleIDs(m), tc.rule, tc.notRule)
			}
			if tc.verdict == VerdictClean && m.Verdict != VerdictClean || tc.verdict != VerdictClean && !Meets(m.Verdict, string(tc.verdict)) {
				t.Errorf("verdict %s (score %d), want %s", m.Verdict, m.Score, tc.verdict)
			}
		})
	}
}

// chainsZone reads a zone file of testdata/chains (name relative to it).
func chainsZone(t *testing.T, name string) *dns.Zone {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("../testdata/chains", name))
	if err != nil {
		t.Fatal(err)
	}
	z, err := dns.ParseZone(bytes.NewReader(text), "", filepath.Base(name))
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// TestARCFirstSealerVouches: what the first sealer recorded vouches for
// the From domain (DMARC, or else an SPF or DKIM pass of its organisation)
// and, for SPF, for the envelope domain that fails now; a pass for another
// domain vouches for nothing.
func TestARCFirstSealerVouches(t *testing.T) {
	for _, tc := range []struct {
		aar       string
		spfDomain string
		want      bool
	}{
		{"spf=pass smtp.mailfrom=acmebank.com; dmarc=pass header.from=acmebank.com", "", true},
		{"dmarc=pass header.from=acmebank.com", "", true},
		{"dmarc=pass", "", true},
		{"spf=pass smtp.mailfrom=a@acmebank.com; dmarc=fail header.from=acmebank.com", "", false},
		{"dkim=pass header.d=acmebank.com; dmarc=pass header.from=evil.example", "", false},
		{"spf=pass smtp.mailfrom=bounce@evil-fwd.net; dkim=pass header.d=evil-fwd.net", "", false},
		{"spf=pass smtp.mailfrom=bounce@mail.acmebank.com", "", true},
		{"dkim=pass header.i=@news.acmebank.com", "", true},
		{"dkim=fail header.d=acmebank.com", "", false},
		{"spf=pass smtp.mailfrom=bounces.esp.example; dmarc=fail header.from=acmebank.com", "bounces.esp.example", true},
		{"spf=pass smtp.mailfrom=bounce@evil-fwd.net", "bounces.esp.example", false},
		{"spf=fail smtp.mailfrom=bounces.esp.example", "bounces.esp.example", false},
	} {
		var ar AuthResults
		ar.parseResults("fwd.example; " + tc.aar)
		if got := aarVouches(ar.Results, "acmebank.com", tc.spfDomain); got != tc.want {
			t.Errorf("%q (SPF domain %q): vouches %v, want %v", tc.aar, tc.spfDomain, got, tc.want)
		}
	}
}

// TestListsCarried: testdata/chains/lists holds list mail as Mailman 3
// (From rewritten to the list under DMARC mitigation, subject tag and
// footer) and Google Groups ("'Priya Raman' via Tessera Users", footer,
// ARC by google.com) send it: the author's signature is broken by the
// list's changes and the list's own signature passes. Both are clean,
// with and without DNS. fake-list-id-broken-dkim.eml is the forgery:
// a signed message with its body edited, sent from the forger's relay
// with a List-Id and List-Post of the victim's domain added, which no hop
// and no signature of the chain belongs to; its broken signature stays
// high.
func TestListsCarried(t *testing.T) {
	requireParser(t)
	z := chainsZone(t, "lists/world.zone")
	for _, tc := range []struct {
		file    string
		verdict Verdict // exactly clean, or the least verdict
		rule    string  // a rule that must fire at severity sev
		sev     Severity
	}{
		{"mailman3-dmarc-munge.eml", VerdictClean, "", ""},
		{"google-groups-via.eml", VerdictClean, "", ""},
		{"fake-list-id-broken-dkim.eml", VerdictForged, "dkim-fail", SeverityHigh},
		// The same with a Received line of the list's pasted below the
		// chain: only what the receiving side wrote shows a list at work.
		{"fake-list-id-pasted-list-hop.eml", VerdictForged, "dkim-fail", SeverityHigh},
		// The same with a List-Id of the recipient's own domain: the
		// receiving side's hops are its own, no list's.
		{"fake-list-id-receivers-domain.eml", VerdictForged, "dkim-fail", SeverityHigh},
	} {
		for _, opts := range []Options{{Now: chainsNow, Resolver: z}, {Now: chainsNow}} {
			t.Run(fmt.Sprintf("%s/dns=%v", tc.file, opts.Resolver != nil), func(t *testing.T) {
				m := analyzeFile(t, filepath.Join("../testdata/chains/lists", tc.file), opts)
				if tc.verdict == VerdictClean {
					assertClean(t, m)
					return
				}
				if opts.Resolver == nil {
					return // the forgery rests on DKIM, which needs DNS
				}
				if got := fired(m)[tc.rule]; len(got) != 1 || got[0].Severity != tc.sev {
					t.Errorf("%s: %+v, want one of severity %s; findings %s", tc.rule, got, tc.sev, ruleIDs(m))
				}
				if !Meets(m.Verdict, string(tc.verdict)) {
					t.Errorf("verdict %s (score %d), want at least %s", m.Verdict, m.Score, tc.verdict)
				}
			})
		}
	}
}

// TestForwardingCarried holds forwarded mail over testdata/chains/forwarding
// (keys in its world.zone): genuine forwarding by Gmail (+caf_= envelope, ARC
// by google.com), Microsoft 365 (bounces+SRS=, ARC by microsoft.com),
// Postfix with postsrsd, a university alias without SRS through two of its
// hosts, a Sieve redirect and a .forward through procmail comes out clean;
// forgeries dressed as forwarding are caught by the rule named, with DNS and,
// when offline is set, without it too.
func TestForwardingCarried(t *testing.T) {
	requireParser(t)
	z := chainsZone(t, "forwarding/world.zone")
	for _, tc := range []struct {
		file    string
		verdict Verdict // exactly clean, or the least verdict
		rule    string  // a rule that must fire at severity sev
		sev     Severity
		offline bool // the rule fires without DNS too
	}{
		{"gmail-autoforward.eml", VerdictClean, "", "", false},
		{"m365-forward.eml", VerdictClean, "", "", false},
		{"postsrsd.eml", VerdictClean, "", "", false},
		{"alumni-alias-no-srs.eml", VerdictClean, "", "", false},
		{"sieve-redirect.eml", VerdictClean, "", "", false},
		{"dotforward-procmail.eml", VerdictClean, "", "", false},
		// A spoof of a p=reject domain from the forger's server with a
		// Gmail forwarding envelope; then with Gmail's outbound origin line
		// pasted below his relay, which no Google host handed over.
		{"caf-spoof-reject-domain.eml", VerdictSuspicious, "dmarc-fail", SeverityMedium, false},
		{"caf-spoof-pasted-gmail-line.eml", VerdictSuspicious, "hop-continuity", SeverityMedium, true},
		// Gmail's ARC set copied from a genuine forward onto a new body.
		{"arc-google-replayed.eml", VerdictSuspicious, "arc-broken", SeverityMedium, true},
		// SRS0 at a forwarder that never handled the message, with and
		// without the forwarder's Received line pasted below the chain.
		{"srs-forwarder-never-handled.eml", VerdictSuspicious, "spf-fail", SeverityMedium, false},
		{"srs-pasted-forwarder-hop.eml", VerdictForged, "hop-continuity", SeverityMedium, true},
		// A signed tessellate.io message resent five days later from the
		// forger's server with an SRS envelope of his own, keeping the
		// signer's submission line: the signature's age counts from the
		// first hop past the signer's.
		{"replay-kept-signer-lines.eml", VerdictSuspicious, "dkim-replay", SeverityMedium, false},
	} {
		for _, opts := range []Options{{Now: chainsNow, Resolver: z}, {Now: chainsNow}} {
			t.Run(fmt.Sprintf("%s/dns=%v", tc.file, opts.Resolver != nil), func(t *testing.T) {
				m := analyzeFile(t, filepath.Join("../testdata/chains/forwarding", tc.file), opts)
				if tc.verdict == VerdictClean {
					for _, f := range m.Findings {
						if SeverityWeight(f.Severity) > 1 {
							t.Errorf("%s %s: %s", f.Severity, f.Rule, f.Message)
						}
					}
					if m.Verdict != VerdictClean {
						t.Errorf("verdict %s (score %d), want clean", m.Verdict, m.Score)
					}
					return
				}
				if opts.Resolver == nil && !tc.offline {
					return // the forgery rests on SPF, DKIM or DMARC, which need DNS
				}
				if got := fired(m)[tc.rule]; len(got) == 0 || got[0].Severity != tc.sev {
					t.Errorf("%s: %+v, want severity %s; findings %s", tc.rule, got, tc.sev, ruleIDs(m))
				}
				want := tc.verdict
				if opts.Resolver == nil {
					want = VerdictSuspicious
				}
				if !Meets(m.Verdict, string(want)) {
					t.Errorf("verdict %s (score %d), want at least %s", m.Verdict, m.Score, want)
				}
			})
		}
	}
}

// TestChainsExchange: testdata/chains/exchange holds mail through Exchange
// and Microsoft 365 in their current formats: Exchange Online inbound from
// Gmail, a Postfix sender and through Proofpoint, tenant to tenant, inside
// one tenant, through the sender's own Mimecast (with the sender tenant's
// "dkim=none; dmarc=none" results among its fields), outbound to Postfix, send-as and on-behalf-of from Outlook on
// the web, a delegate's meeting invitation, a Teams notification; Exchange
// on the premises inside one site (mapi, Mailbox Transport, link-local
// IPv6), in and out through an Edge server, an anonymous relay for a
// scanner and an application, hybrid in both directions, and a journal
// report. Each must come out clean without a finding of low or worse
// (offline: their signatures are stand-ins).
func TestChainsExchange(t *testing.T) {
	allClean(t, "exchange")
}
