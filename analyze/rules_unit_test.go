package analyze

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
)

// fakeResolver answers LookupIP from a map; names it does not know fail
// with err (ErrNotFound when nil). Other lookups report offline.
type fakeResolver struct {
	hosts map[string][]netip.Addr
	err   error
	calls atomic.Int64 // lookups run in parallel (gatherDNS)
}

func (f *fakeResolver) LookupIP(_ context.Context, host string) ([]netip.Addr, error) {
	f.calls.Add(1)
	if a, ok := f.hosts[host]; ok {
		return a, nil
	}
	if f.err != nil {
		return nil, f.err
	}
	return nil, dns.ErrNotFound
}
func (f *fakeResolver) LookupPTR(context.Context, netip.Addr) ([]string, error) {
	return nil, dns.ErrOffline
}
func (f *fakeResolver) LookupMX(context.Context, string) ([]dns.MX, error) {
	return nil, dns.ErrOffline
}
func (f *fakeResolver) LookupTXT(context.Context, string) ([]string, error) {
	return nil, dns.ErrOffline
}
func (f *fakeResolver) LookupCNAME(context.Context, string) (string, error) {
	return "", dns.ErrOffline
}

func analyzeRaw(t *testing.T, raw string, opts Options, in Input) *MessageReport {
	t.Helper()
	if opts.Now == nil {
		opts.Now = rulesNow
	}
	in.Raw = []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	return New(opts).Analyze(context.Background(), in)
}

// relayed is a message whose by-host and the next hop's names disagree,
// but whose addresses match through DNS (relay.chervil.org has address
// 185.12.64.9, which greets as gw7.juniper-net.net).
const relayed = `Received: from gw7.juniper-net.net (gw7.juniper-net.net [185.12.64.9])
	by mx1.sorrel.net (Postfix) with ESMTP id 3D9E1C0122
	for <bob@sorrel.net>; Mon, 16 Nov 2026 10:15:03 +0100 (CET)
Received: from mail.tarragon.org (mail.tarragon.org [93.184.215.25])
	by relay.chervil.org (Postfix) with ESMTP id 77A1B0C001
	for <bob@sorrel.net>; Mon, 16 Nov 2026 09:15:02 +0000 (UTC)
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000
Subject: x

body
`

// TestContinuityDNS: DNS can confirm a link the names cannot; a DNS
// failure leaves the name-based verdict as it is, never adds evidence.
func TestContinuityDNS(t *testing.T) {
	requireParser(t)
	confirm := &fakeResolver{hosts: map[string][]netip.Addr{"relay.chervil.org": {netip.MustParseAddr("185.12.64.9")}}}
	cases := []struct {
		name      string
		resolver  dns.Resolver
		wantBreak bool
	}{
		{"offline", nil, true},
		{"dns confirms", confirm, false},
		{"dns fails", &fakeResolver{err: dns.ErrTemporary}, true},
		{"dns says other address", &fakeResolver{hosts: map[string][]netip.Addr{"relay.chervil.org": {netip.MustParseAddr("185.12.64.10")}}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, relayed, Options{Resolver: tc.resolver}, Input{})
			got := len(fired(m)["hop-continuity"]) > 0
			if got != tc.wantBreak {
				t.Errorf("break reported %v, want %v; findings %s", got, tc.wantBreak, ruleIDs(m))
			}
			if m.Verdict == VerdictForged {
				t.Errorf("a continuity break alone made the message forged: %s", ruleIDs(m))
			}
		})
	}
	if confirm.calls.Load() == 0 {
		t.Error("the resolver was never asked")
	}
}

const threeHops = `Received: from mx1.sorrel.net (localhost [127.0.0.1])
	by mail.sorrel.net (Postfix) with ESMTP id 4F1A2C0123; Mon, 16 Nov 2026 10:15:04 +0100
Received: from gw.partner-relay.com (gw.partner-relay.com [185.12.64.9])
	by mx1.sorrel.net (Postfix) with ESMTP id 3D9E1C0122; Mon, 16 Nov 2026 10:15:03 +0100
Received: from smtp.tarragon.org (smtp.tarragon.org [93.184.215.25])
	by gw.partner-relay.com (Postfix) with ESMTP id 77A1B0C001; Mon, 16 Nov 2026 09:15:02 +0000
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000

body
`

// TestTrustBoundary: inferred from the chain, widened by --trusted, and
// narrowed to the newest hop when mailtrace captured the message.
func TestTrustBoundary(t *testing.T) {
	requireParser(t)
	cases := []struct {
		name    string
		trusted []string
		in      Input
		want    []bool // Trusted per hop, oldest first
	}{
		{"inferred: loopback hand-off, then outside", nil, Input{}, []bool{false, true, true}},
		{"--trusted CIDR", []string{"185.12.64.0/24"}, Input{}, []bool{true, true, true}},
		{"--trusted domain", []string{"partner-relay.com"}, Input{}, []bool{true, true, true}},
		{"--trusted host", []string{"gw.partner-relay.com"}, Input{}, []bool{true, true, true}},
		{"--trusted other", []string{"10.0.0.0/8", "elsewhere.org"}, Input{}, []bool{false, true, true}},
		{"captured", nil, Input{Envelope: &Envelope{MailFrom: "a@b.org", Source: "smtp"}}, []bool{false, false, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, threeHops, Options{Trusted: tc.trusted}, tc.in)
			if len(m.Hops) != len(tc.want) {
				t.Fatalf("%d hops, want %d", len(m.Hops), len(tc.want))
			}
			for i, h := range m.Hops {
				if h.Trusted != tc.want[i] {
					t.Errorf("hop %d trusted %v, want %v", h.Index, h.Trusted, tc.want[i])
				}
			}
		})
	}
}

func TestValidTrusted(t *testing.T) {
	for _, s := range []string{"192.0.2.0/24", "2001:db8::/32", "192.0.2.1", "mx.example.net", "example.net."} {
		if err := ValidTrusted(s); err != nil {
			t.Errorf("ValidTrusted(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "192.0.2.0/33", "not a host!", "a/b"} {
		if err := ValidTrusted(s); err == nil {
			t.Errorf("ValidTrusted(%q) accepted", s)
		}
	}
}

func TestParseAuthResults(t *testing.T) {
	cases := []struct {
		in, id string
		want   map[string]string // method -> result
		prop   [3]string         // method, property, value
	}{
		{"mx.google.com;\r\n dkim=pass header.i=@example.org header.s=s1;\r\n spf=pass (google.com: domain of a@example.org designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.org;\r\n dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org",
			"mx.google.com", map[string]string{"dkim": "pass", "spf": "pass", "dmarc": "pass"}, [3]string{"dkim", "header.i", "@example.org"}},
		{"spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.org; dkim=pass (signature was verified) header.d=example.org;dmarc=pass action=none header.from=example.org;compauth=pass reason=100",
			"", map[string]string{"spf": "pass", "dkim": "pass", "dmarc": "pass", "compauth": "pass"}, [3]string{"dmarc", "header.from", "example.org"}},
		{"mail.example.net 1; none", "mail.example.net", map[string]string{}, [3]string{}},
		{"example.net; dkim/1=fail reason=\"bad; sig\" header.d=x.org", "example.net", map[string]string{"dkim": "fail"}, [3]string{"dkim", "header.d", "x.org"}},
		{"", "", map[string]string{}, [3]string{}},
		{"((((", "", map[string]string{}, [3]string{}},
	}
	for _, tc := range cases {
		a := ParseAuthResults(tc.in)
		if a.AuthServID != tc.id {
			t.Errorf("%q: authserv-id %q, want %q", tc.in, a.AuthServID, tc.id)
		}
		for m, r := range tc.want {
			if got := a.Get(m); got != r {
				t.Errorf("%q: %s=%q, want %q", tc.in, m, got, r)
			}
		}
		if len(a.Results) != len(tc.want) {
			t.Errorf("%q: %d results, want %d: %+v", tc.in, len(a.Results), len(tc.want), a.Results)
		}
		if tc.prop[0] != "" {
			for _, r := range a.Results {
				if r.Method == tc.prop[0] && r.Props.Get(tc.prop[1]) != tc.prop[2] {
					t.Errorf("%q: %s %s=%q, want %q", tc.in, r.Method, tc.prop[1], r.Props.Get(tc.prop[1]), tc.prop[2])
				}
			}
		}
	}
}

// TestAuthResultsOf: the exported view other packages read.
func TestAuthResultsOf(t *testing.T) {
	requireParser(t)
	for _, tc := range []struct {
		file    string
		trusted []bool
	}{
		{"authres-forged-pos", []bool{false}},
		{"authres-trusted-pos", []bool{true}},
		{"authres-untrusted-pos", []bool{true, false}},
	} {
		m := analyzeFile(t, "../testdata/rules/"+tc.file+".eml", Options{})
		got := AuthResultsOf(m, nil)
		if len(got) != len(tc.trusted) {
			t.Fatalf("%s: %d results, want %d", tc.file, len(got), len(tc.trusted))
		}
		for i, a := range got {
			if a.Trusted != tc.trusted[i] {
				t.Errorf("%s: field %d (%s) trusted %v, want %v: %s", tc.file, i, a.AuthServID, a.Trusted, tc.trusted[i], a.Why)
			}
		}
	}
}

func TestVerdict(t *testing.T) {
	f := func(rule string, s Severity) Finding { return Finding{Rule: rule, Severity: s} }
	cases := []struct {
		name  string
		in    []Finding
		want  Verdict
		score int
	}{
		{"nothing", nil, VerdictClean, 0},
		{"info only", []Finding{f("a", SeverityInfo), f("b", SeverityInfo)}, VerdictClean, 0},
		{"two lows", []Finding{f("a", SeverityLow), f("b", SeverityLow)}, VerdictClean, 2},
		{"one medium", []Finding{f("a", SeverityMedium)}, VerdictSuspicious, 3},
		{"one rule many mediums is capped", []Finding{f("a", SeverityMedium), f("a", SeverityMedium), f("a", SeverityMedium)}, VerdictSuspicious, 6},
		{"three rules medium", []Finding{f("a", SeverityMedium), f("b", SeverityMedium), f("c", SeverityMedium)}, VerdictForged, 9},
		{"one high", []Finding{f("a", SeverityHigh)}, VerdictForged, 8},
		{"many lows of one rule", []Finding{f("a", SeverityLow), f("a", SeverityLow), f("a", SeverityLow), f("a", SeverityLow)}, VerdictClean, 2},
	}
	for _, tc := range cases {
		v, s := verdictOf(tc.in)
		if v != tc.want || s != tc.score {
			t.Errorf("%s: %s/%d, want %s/%d", tc.name, v, s, tc.want, tc.score)
		}
	}
	for _, tc := range []struct {
		v     Verdict
		level string
		want  bool
	}{
		{VerdictForged, "forged", true}, {VerdictSuspicious, "forged", false}, {VerdictSuspicious, "suspicious", true},
		{VerdictForged, "suspicious", true}, {VerdictClean, "suspicious", false}, {VerdictForged, "never", false},
		{VerdictError, "suspicious", false},
	} {
		if got := Meets(tc.v, tc.level); got != tc.want {
			t.Errorf("Meets(%s, %s) = %v", tc.v, tc.level, got)
		}
	}
}

// TestNoForgedFromParseOrDNSAlone: unparseable lines and failing DNS are
// observations; they never make a message forged.
func TestNoForgedFromParseOrDNSAlone(t *testing.T) {
	raw := "Received: hello world\nReceived: ((((\nReceived: from\nReceived: by\nFrom: a@tarragon.org\nTo: b@sorrel.net\nDate: Mon, 16 Nov 2026 09:14:58 +0000\n\nx\n"
	for _, r := range []dns.Resolver{nil, &fakeResolver{err: dns.ErrTemporary}, &fakeResolver{err: errors.New("boom")}} {
		m := analyzeRaw(t, raw, Options{Resolver: r}, Input{})
		if m.Verdict != VerdictClean {
			t.Errorf("resolver %T: verdict %s, findings %s", r, m.Verdict, ruleIDs(m))
		}
	}
}

func TestLookalike(t *testing.T) {
	own := []target{newTarget("bieberdorf.edu")}
	cases := []struct {
		domain string
		want   Severity // "" = no finding
	}{
		{"paypal.com", ""},
		{"paypal.de", ""},
		{"xn--pypal-4ve.com", SeverityHigh}, // Cyrillic а
		{"paypa1.com", SeverityHigh},
		{"micros0ft.com", SeverityHigh},
		{"rnicrosoft.com", SeverityHigh},
		{"bieberdorff.edu", SeverityMedium},
		{"linkedln.com", SeverityHigh},
		{"amazom.com", SeverityMedium},
		{"company2.com", ""},
		{"tarragon.org", ""},
		{"xn--80ak6aa92e.com", SeverityHigh}, // аррӏе.com, all Cyrillic
		{"xn--e1afmkfd.com", ""},             // пример.com: Cyrillic, no target
	}
	for _, tc := range cases {
		f, ok := lookalike("From domain", tc.domain, wellKnownIndex, own)
		got := Severity("")
		if ok {
			got = f.Severity
		}
		if got != tc.want {
			t.Errorf("%s: %q (%s), want %q", tc.domain, got, f.Message, tc.want)
		}
	}
}

func TestClockError(t *testing.T) {
	skew := 5 * time.Minute
	cases := []struct {
		d    time.Duration
		want Severity
	}{
		{-time.Hour, SeverityInfo},
		{9*time.Hour + 2*time.Minute, SeverityInfo},
		{-11 * time.Minute, SeverityLow},
		{-(2*time.Hour + 17*time.Minute), SeverityMedium},
		{-20 * time.Hour, SeverityMedium},
	}
	for _, tc := range cases {
		if got, _ := clockError(tc.d, skew); got != tc.want {
			t.Errorf("clockError(%s) = %s, want %s", tc.d, got, tc.want)
		}
	}
	// A wide tolerance for order is not a wide tolerance for whole hours.
	if got, _ := clockError(-(2*time.Hour + 17*time.Minute + 38*time.Second), 30*time.Minute); got != SeverityMedium {
		t.Errorf("clockError(-2h17m38s, skew 30m) = %s, want medium", got)
	}
	if got, _ := clockError(-(2*time.Hour + 3*time.Minute), 30*time.Minute); got != SeverityInfo {
		t.Errorf("clockError(-2h3m, skew 30m) = %s, want info", got)
	}
	if got := formatDelay(-(4*time.Minute + 5*time.Second)); got != "-4m5s" {
		t.Errorf("formatDelay kept no sign: %s", got)
	}
	if got := formatDelay(30 * 24 * time.Hour); got != "+30d0h" {
		t.Errorf("formatDelay(30d) = %s", got)
	}
	if got := formatDelay(-(12*24*time.Hour + 3*time.Hour + 59*time.Minute)); got != "-12d3h" {
		t.Errorf("formatDelay(-12d3h59m) = %s", got)
	}
}

func TestNames(t *testing.T) {
	cases := []struct{ a, b string }{
		{"BN9P220CA0018.outlook.office365.com", "DM6PR12MB4252.namprd12.prod.outlook.com"},
		{"mx0a-00123.pphosted.com", "mx0b-00123.ppops.net"},
		{"mail-wr1-f41.google.com", "2002:a05:6000:1a8d:b0:3a4:e0c2:ab1"},
		{"smtp-out.amazonses.com", "e22-22.smtp-out.amazonses.com"},
		{"mta1.mail.yahoo.co.uk", "mta7.am0.yahoodns.net"},
	}
	for _, tc := range cases {
		if family(tc.a) != family(tc.b) {
			t.Errorf("family(%s)=%s, family(%s)=%s", tc.a, family(tc.a), tc.b, family(tc.b))
		}
	}
	for ip, want := range map[string]bool{"10.1.2.3": true, "100.64.0.1": true, "fd00::1": true, "fe80::1": true, "8.8.8.8": false, "2a00:1450::1": false} {
		if isInternalIP(ip) != want {
			t.Errorf("isInternalIP(%s) != %v", ip, want)
		}
	}
	for ip, want := range map[string]string{"198.18.0.1": "benchmarking (RFC 2544)", "2001:db8::1": "documentation (RFC 3849)", "93.184.215.25": ""} {
		if got := reservedWhy(ip); got != want {
			t.Errorf("reservedWhy(%s) = %q, want %q", ip, got, want)
		}
	}
}

// TestTrustProviders: a receiving organisation's filtering gateway and a
// provider's internal hops stay on the receiving side.
func TestTrustProviders(t *testing.T) {
	requireParser(t)
	cases := []struct {
		name, raw string
		want      []bool
	}{
		{"proofpoint gateway feeding Exchange", `Received: from mx0b-001b2d01.pphosted.com (148.163.158.5) by
 EXFE01.corp.sorrel.net (10.1.2.10) with Microsoft SMTP Server id 15.1.2507.6; Wed, 8 Mar 2017 11:46:29 -0500
Received: from pps.filterd (m0098419.ppops.net [127.0.0.1])
	by mx0b-001b2d01.pphosted.com (8.16.0.20/8.16.0.20) with SMTP id v28GdUiK046963; Wed, 8 Mar 2017 11:46:28 -0500
Received: from mail.tarragon.org (mail.tarragon.org [93.184.215.25])
	by mx0b-001b2d01.pphosted.com with ESMTP id 292hw54kbu-1; Wed, 8 Mar 2017 11:46:27 -0500
Received: from [10.1.1.5] (unknown [81.2.69.142]) (Authenticated sender: liam)
	by mail.tarragon.org (Postfix) with ESMTPSA id 9C8B7A6F5E; Wed,  8 Mar 2017 16:46:21 +0000
From: a@tarragon.org

x
`, []bool{false, true, true, true}},
		{"Microsoft 365 internal hops", `Received: from BN9P220CA0018.NAMP220.PROD.OUTLOOK.COM (2603:10b6:408:13e::23)
 by DM6PR12MB4252.namprd12.prod.outlook.com (2603:10b6:5:1b0::20) with Microsoft SMTP Server id 15.20.6745.18; Mon, 16 Nov 2026 09:15:08 +0000
Received: from BN7NAM10FT021.eop-nam10.prod.protection.outlook.com (2603:10b6:408:13e:cafe::8c) by
 BN9P220CA0018.outlook.office365.com (2603:10b6:408:13e::23) with Microsoft SMTP Server id 15.20.6745.21; Mon, 16 Nov 2026 09:15:08 +0000
Received: from smtp.tarragon.org (93.184.215.25) by BN7NAM10FT021.mail.protection.outlook.com (10.13.157.29)
 with Microsoft SMTP Server id 15.20.6745.21; Mon, 16 Nov 2026 09:15:07 +0000
From: a@tarragon.org

x
`, []bool{true, true, true}},
		{"Cisco Secure Email (IronPort) cloud gateway feeding Postfix", `Received: from esa3.sorrel.iphmx.com (esa3.sorrel.iphmx.com [68.232.139.130])
	by mail.sorrel.net (Postfix) with ESMTPS id 4VsKx20Qz1z9sVc; Wed, 29 May 2024 14:02:12 +0200 (CEST)
Received: from mail.tarragon.org ([93.184.215.25])
  by esa3.sorrel.iphmx.com with ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384; 29 May 2024 08:02:11 -0400
From: a@tarragon.org

x
`, []bool{true, true}},
		{"a private address of another organisation at Gmail's MX extends no trust", `Received: from mail.tarragon.org (mail.tarragon.org. [172.16.5.5])
        by mx.google.com with ESMTPS id t3-20020a17090a2f8300b001f25e258dfasor335081pjd.34.2024.05.29.05.02.10; Wed, 29 May 2024 05:02:10 -0700 (PDT)
Received: from ws-17.tarragon.local (ws-17.tarragon.local [192.168.1.17]) (Authenticated sender: a@tarragon.org)
	by mail.tarragon.org (Postfix) with ESMTPSA id 9B2F4A0040; Wed, 29 May 2024 12:02:09 +0000 (UTC)
From: a@tarragon.org

x
`, []bool{false, true}},
		{"a HELO borrowing the receiver's name is not trusted", `Received: from mx2.sorrel.net (dsl-185-12-64-7.juniper-net.net [185.12.64.7])
	by mx1.sorrel.net (Postfix) with ESMTP id 3D9E1C0122; Mon, 16 Nov 2026 10:15:03 +0100
Received: from lovage.com by mx2.sorrel.net (8.14.7/8.14.7) id wAG9EI0a012345; Mon, 16 Nov 2026 09:14:30 +0000
From: a@tarragon.org

x
`, []bool{false, true}},
		// Fastmail's store: Cyrus writes LMTPA because the LMTP proxy
		// authenticated to it. That is delivery inside the site, not a
		// sender's submission: the walk goes on down to the MX hop.
		{"Cyrus LMTPA delivery is no submission", `Received: from compute4.internal (compute4.phl.internal [10.202.2.44])
	 by sloti45n12 (Cyrus 3.11.0-alpha0-1108-g3a29173c6-fm-20240606.001-g3a29173c) with LMTPA;
	 Thu, 15 Aug 2024 06:27:35 -0400
Received: from mx6 ([10.202.2.205])
  by compute4.internal (LMTPProxy); Thu, 15 Aug 2024 06:27:35 -0400
Received: from mail.tarragon.org (mail.tarragon.org [93.184.215.25])
	by mx6.messagingengine.com (Postfix) with ESMTPS
	for <bob@fastmail.com>; Thu, 15 Aug 2024 06:27:34 -0400 (EDT)
From: a@tarragon.org

x
`, []bool{true, true, true}},
		// chasquid writes "[address] (EHLO)": the name is the client's own
		// claim, not a reverse name the receiver looked up, so greeting
		// with another host of the receiver extends no trust.
		{"a chasquid client greeting with the receiver's name is not trusted", `Received: from [185.12.64.7] (mx2.sorrel.net)
	by mail.sorrel.net (chasquid) with ESMTP
	(over SMTP, plain text!, envelope from "security@tarragon.org")
	; Mon, 16 Nov 2026 10:15:03 +0100
Received: from smtp.tarragon.org (smtp.tarragon.org [93.184.215.25])
	by mx2.sorrel.net (Postfix) with ESMTPS id 4VqGPq6Rs7z9sW2; Mon, 16 Nov 2026 10:15:02 +0100
From: a@tarragon.org

x
`, []bool{false, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, tc.raw, Options{}, Input{})
			if len(m.Hops) != len(tc.want) {
				t.Fatalf("%d hops, want %d", len(m.Hops), len(tc.want))
			}
			for i, h := range m.Hops {
				if h.Trusted != tc.want[i] {
					t.Errorf("hop %d trusted %v, want %v (%s)", h.Index, h.Trusted, tc.want[i], describeFrom(h.From))
				}
			}
		})
	}
}

func TestDefectLine(t *testing.T) {
	for _, tc := range []struct {
		d    string
		line int
	}{
		{"line 12: continuation line before any field", 12},
		{"line x: y", 0},
		{"no blank line after the header", 0},
		{"line 0: z", 0},
	} {
		if got, _ := defectLine(tc.d); got != tc.line {
			t.Errorf("defectLine(%q) = %d, want %d", tc.d, got, tc.line)
		}
	}
	m := &Message{Fields: []Field{{Name: "From", Line: 2}}, Defects: []string{"line 3: not a header field, header ends here without a blank line", "other"}}
	shiftLines(m, 10)
	if m.Fields[0].Line != 12 || m.Defects[0] != "line 13: not a header field, header ends here without a blank line" || m.Defects[1] != "other" {
		t.Errorf("shiftLines: %+v", m)
	}
}

// TestAuthResBeforeOrigin: the receiver's authserv-id in a field below every
// Received line but above the message's own fields is a planted claim (the
// example of docs/rules.md), unless the Received line just above it is that
// receiver's own (a Postfix milter writes its results there).
func TestAuthResBeforeOrigin(t *testing.T) {
	const origin = "From: PayPal <service@paypal.com>\nTo: bob@gmail.com\nSubject: verify\nDate: Mon, 16 Nov 2026 10:15:00 +0000\n\nhi\n"
	for _, tc := range []struct {
		name, header string
		forged       bool
	}{
		{"planted", "Received: from evil.example ([198.51.100.66]) by mx.google.com with ESMTP id a1; Mon, 16 Nov 2026 10:15:03 +0000\n" +
			"Received: from x by evil.example with SMTP; Mon, 16 Nov 2026 10:15:02 +0000\n" +
			"Authentication-Results: mx.google.com; dkim=pass header.d=paypal.com\n", true},
		{"beside its own Received", "Received: from smtp.example.jp (unknown [198.51.100.25]) by eb.example.jp with ESMTPS id a1; Mon, 16 Nov 2026 10:15:03 +0000\n" +
			"Received: from relay.example.net (relay.example.net [203.0.113.9]) by smtp.example.jp with ESMTP id b2; Mon, 16 Nov 2026 10:15:02 +0000\n" +
			"Authentication-Results: smtp.example.jp; dkim=pass header.d=paypal.com\n", false},
		{"appended after the message's fields", "Received: from evil.example ([198.51.100.66]) by mx.google.com with ESMTP id a1; Mon, 16 Nov 2026 10:15:03 +0000\n" +
			"Received: from x by evil.example with SMTP; Mon, 16 Nov 2026 10:15:02 +0000\n", false},
		{"among the message's fields", "Received: from evil.example ([198.51.100.66]) by mx.google.com with ESMTP id a1; Mon, 16 Nov 2026 10:15:03 +0000\n" +
			"Received: from x by evil.example with SMTP; Mon, 16 Nov 2026 10:15:02 +0000\n", true},
	} {
		raw := tc.header + origin
		switch tc.name {
		case "appended after the message's fields":
			raw = tc.header + strings.Replace(origin, "\n\nhi", "\nAuthentication-Results: mx.google.com; dkim=pass header.d=paypal.com\n\nhi", 1)
		case "among the message's fields":
			raw = tc.header + strings.Replace(origin, "Subject:", "Authentication-Results: mx.google.com; dkim=pass header.d=paypal.com\nSubject:", 1)
		}
		msg, err := Split([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		hops := chainOf(msg)
		tr := inferTrust(context.Background(), hops, &Options{}, false)
		var idx []int
		for i, f := range msg.Fields {
			if f.Name == "Authentication-Results" {
				idx = append(idx, i)
			}
		}
		ars := classifyAuthResults(msg.Fields, nil, idx, hops, tr, false)
		if len(ars) != 1 || forgedClaim(ars[0]) != tc.forged {
			t.Errorf("%s: %+v, want forged %v", tc.name, ars, tc.forged)
		}
	}
}

// TestPlaceholderOnlyInSamples: placeholder names excuse a continuity
// break in an anonymised sample, not under a real receiver, where a forged
// line could use them to switch the check off.
func TestPlaceholderOnlyInSamples(t *testing.T) {
	const forged = "Received: from mx.google.com (mx.google.com [209.85.220.41]) by smtp.example.de with ESMTPS id a1; Tue, 5 Mar 2024 09:14:04 +0000\n"
	const tail = "From: a@fennelworks.org\nTo: b@bieberdorf.net\nSubject: s\nDate: Tue, 5 Mar 2024 09:14:00 +0000\nMessage-ID: <1@fennelworks.org>\n\nx\n"
	for _, tc := range []struct {
		name, receiver string
		broken         bool
	}{
		{"real receiver", "Received: from mail.fennelworks.org (mail.fennelworks.org [94.130.10.25]) by mx.bieberdorf.net with ESMTPS id b2; Tue, 5 Mar 2024 09:14:07 +0000\n", true},
		{"anonymised sample", "Received: from mail.sender.example (mail.sender.example [198.51.100.25]) by mx.example.net with ESMTPS id b2; Tue, 5 Mar 2024 09:14:07 +0000\n", false},
	} {
		rep := New(Options{Now: func() time.Time { return time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC) }}).
			Analyze(context.Background(), Input{Raw: []byte(tc.receiver + forged + tail)})
		broken := false
		for _, f := range rep.Findings {
			broken = broken || f.Rule == "hop-continuity"
		}
		if broken != tc.broken {
			t.Errorf("%s: continuity break %v, want %v (%+v)", tc.name, broken, tc.broken, rep.Findings)
		}
	}
}

// TestInternalGap: two hops of one organisation a day apart are an edited
// date; hops of two organisations may be (a queue at the sender).
func TestInternalGap(t *testing.T) {
	const tail = "From: a@fennelworks.org\nTo: b@bieberdorf.net\nSubject: s\nDate: Tue, 5 Mar 2024 09:14:00 +0000\nMessage-ID: <1@fennelworks.org>\n\nx\n"
	for _, tc := range []struct {
		name, hops string
		want       bool
	}{
		{"one organisation", "Received: from relay1.fennelworks.org (relay1.fennelworks.org [94.130.10.26]) by relay2.fennelworks.org with ESMTP id b2; Thu, 7 Mar 2024 09:14:07 +0000\n" +
			"Received: from laptop (laptop [10.0.0.2]) by relay1.fennelworks.org with ESMTPSA id a1; Tue, 5 Mar 2024 09:14:04 +0000\n", true},
		{"one organisation, minutes apart", "Received: from relay1.fennelworks.org (relay1.fennelworks.org [94.130.10.26]) by relay2.fennelworks.org with ESMTP id b2; Tue, 5 Mar 2024 09:20:07 +0000\n" +
			"Received: from laptop (laptop [10.0.0.2]) by relay1.fennelworks.org with ESMTPSA id a1; Tue, 5 Mar 2024 09:14:04 +0000\n", false},
		{"two organisations", "Received: from relay1.fennelworks.org (relay1.fennelworks.org [94.130.10.26]) by mx.bieberdorf.net with ESMTP id b2; Thu, 7 Mar 2024 09:14:07 +0000\n" +
			"Received: from laptop (laptop [10.0.0.2]) by relay1.fennelworks.org with ESMTPSA id a1; Tue, 5 Mar 2024 09:14:04 +0000\n", false},
	} {
		rep := New(Options{Now: func() time.Time { return time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC) }}).
			Analyze(context.Background(), Input{Raw: []byte(tc.hops + tail)})
		got := false
		for _, f := range rep.Findings {
			got = got || f.Rule == "transit-time" && f.Severity == SeverityMedium
		}
		if got != tc.want {
			t.Errorf("%s: internal gap %v, want %v (%+v)", tc.name, got, tc.want, rep.Findings)
		}
	}
}

// mayHoldDomain must hold wherever domainInName matches: it only spares
// the regexp names that cannot match.
func TestMayHoldDomainCoversRegexp(t *testing.T) {
	for _, s := range []string{"John Q. Public", "Amazon.com", "PayPal.COM Security", "a.bc", "x.y", "1.de",
		"-.de", "foo .com", "foo. com", "bank.\u212Ar", "ex\u017F.de", "a.b.c", "support@paypal.com via list",
		"Mr. X", "v.1.2", "a-.de", "", ".", "..", "a..de"} {
		checkMayHoldDomain(t, s)
	}
}

func FuzzMayHoldDomain(f *testing.F) {
	for _, s := range []string{"John Q. Public", "Amazon.com", "bank.\u212Ar", "a.b9"} {
		f.Add(s)
	}
	f.Fuzz(checkMayHoldDomain)
}

func checkMayHoldDomain(t *testing.T, s string) {
	if domainInName.MatchString(s) && !mayHoldDomain(s) {
		t.Errorf("%q: domainInName matches %q, mayHoldDomain says it cannot", s, domainInName.FindString(s))
	}
}

// Props read and encode as the map they replaced: the last value of a
// repeated key wins, and JSON is one object with sorted keys.
func TestPropsLikeMap(t *testing.T) {
	r := ParseAuthResults("mx.example; dkim=pass header.d=a.example header.S=sel header.d=b.example").Results[0]
	if got := r.Props.Get("header.d"); got != "b.example" {
		t.Errorf("header.d = %q, want the last value b.example", got)
	}
	if got := r.Props.Get("header.s"); got != "sel" {
		t.Errorf("header.s = %q, want sel (keys are lower-cased)", got)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"method":"dkim","result":"pass","props":{"header.d":"b.example","header.s":"sel"}}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

// familyFailResolver answers A questions and fails every AAAA question as
// a temporary error, as a server that drops AAAA queries does. Its merged
// LookupIP returns the A answer alone, without the AAAA error.
type familyFailResolver struct {
	ptr map[netip.Addr][]string
	a   map[string][]netip.Addr
}

func (f *familyFailResolver) LookupIPFamily(_ context.Context, host string, v6 bool) ([]netip.Addr, error) {
	if v6 {
		return nil, dns.ErrTemporary
	}
	if a, ok := f.a[host]; ok {
		return a, nil
	}
	return nil, dns.ErrNotFound
}
func (f *familyFailResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	return f.LookupIPFamily(ctx, host, false)
}
func (f *familyFailResolver) LookupPTR(_ context.Context, ip netip.Addr) ([]string, error) {
	if n, ok := f.ptr[ip]; ok {
		return n, nil
	}
	return nil, dns.ErrNotFound
}
func (f *familyFailResolver) LookupMX(context.Context, string) ([]dns.MX, error) {
	return nil, dns.ErrNotFound
}
func (f *familyFailResolver) LookupTXT(context.Context, string) ([]string, error) {
	return nil, dns.ErrNotFound
}
func (f *familyFailResolver) LookupCNAME(context.Context, string) (string, error) {
	return "", dns.ErrNotFound
}

// TestFailedFamilyIsNoEvidence: a host with an IPv4 address whose AAAA
// question failed is not evidence against an IPv6 client: the checks ask
// the client's family, through the wrapper that counts lookups too.
func TestFailedFamilyIsNoEvidence(t *testing.T) {
	requireParser(t)
	v6 := netip.MustParseAddr("2a00:1450:4864:20::42d")
	r := &familyFailResolver{ptr: map[netip.Addr][]string{v6: {"mail.tarragon.org."}},
		a: map[string][]netip.Addr{"mail.tarragon.org": {netip.MustParseAddr("93.184.215.61")}}}
	raw := `Received: from mail.tarragon.org (mail.tarragon.org [IPv6:2a00:1450:4864:20::42d])
	by mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122; Mon, 16 Nov 2026 10:15:03 +0100
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000

body
`
	m := analyzeRaw(t, raw, Options{Resolver: r}, Input{})
	for _, f := range m.Findings {
		if SeverityWeight(f.Severity) > 0 {
			t.Errorf("%s %s: %s", f.Severity, f.Rule, f.Message)
		}
	}
}

// TestGatewayByHELOAndDNS: Exchange records a gateway by its greeting and
// address only. The gateway is the receiving side's when DNS says the
// greeting's name has that address and the recipient domain's MX is at
// that service: anyone can lease an appliance of the same service and
// greet with its real name. Without DNS, a recipient or such an MX,
// nothing confirms it.
func TestGatewayByHELOAndDNS(t *testing.T) {
	requireParser(t)
	raw := `Delivered-To: bob@sorrel.net
Received: from esa3.hc3370-68.iphmx.com (216.71.145.155) by EXCH01.sorrel.net (10.1.1.5)
 with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.6; Mon, 16 Nov 2026 09:15:05 +0000
Received: from mail.tarragon.org ([93.184.215.25])
  by esa3.hc3370-68.iphmx.com with ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384; 16 Nov 2026 04:15:04 -0500
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000

body
`
	esa := map[string][]netip.Addr{"esa3.hc3370-68.iphmx.com": {netip.MustParseAddr("216.71.145.155")}}
	atCisco := map[string][]dns.MX{"sorrel.net": {{Host: "mx1.hc3370-68.iphmx.com", Preference: 10}}}
	for _, tc := range []struct {
		name     string
		raw      string
		resolver dns.Resolver
		want     bool // hop 1 trusted
	}{
		{"dns confirms, MX at the service", raw, &mxResolver{fakeResolver{hosts: esa}, atCisco}, true},
		{"offline", raw, nil, false},
		{"dns names another address", raw, &mxResolver{fakeResolver{hosts: map[string][]netip.Addr{"esa3.hc3370-68.iphmx.com": {netip.MustParseAddr("216.71.145.156")}}}, atCisco}, false},
		{"MX elsewhere", raw, &mxResolver{fakeResolver{hosts: esa}, map[string][]dns.MX{"sorrel.net": {{Host: "mx1.sorrel.net", Preference: 10}}}}, false},
		{"no recipient", strings.Replace(raw, "Delivered-To: bob@sorrel.net\n", "", 1), &mxResolver{fakeResolver{hosts: esa}, atCisco}, false},
	} {
		// The organisation's Exchange may have an internal name only.
		for _, exch := range []string{"EXCH01.sorrel.net", "EXCH01.corp.sorrel.local"} {
			t.Run(tc.name+" "+exch, func(t *testing.T) {
				m := analyzeRaw(t, strings.Replace(tc.raw, "EXCH01.sorrel.net", exch, 1), Options{Resolver: tc.resolver}, Input{})
				if len(m.Hops) != 2 || m.Hops[0].Trusted != tc.want {
					t.Errorf("hops %d, hop 1 trusted %v, want %v", len(m.Hops), len(m.Hops) > 0 && m.Hops[0].Trusted, tc.want)
				}
			})
		}
	}
}

// mxResolver is fakeResolver with MX records.
type mxResolver struct {
	fakeResolver
	mx map[string][]dns.MX
}

func (m *mxResolver) LookupMX(_ context.Context, domain string) ([]dns.MX, error) {
	if mx, ok := m.mx[domain]; ok {
		return mx, nil
	}
	return nil, dns.ErrNotFound
}

// TestSendersGateway: a filtering gateway's hand-off into the recipient's
// MX is the recipient's own only when the recipient domain's mail goes to
// that service; a sender's outbound Mimecast delivering straight to the
// recipient's Postfix is where the message came from outside.
func TestSendersGateway(t *testing.T) {
	requireParser(t)
	raw := `Received: from eu-smtp-delivery-151.mimecast.com (eu-smtp-delivery-151.mimecast.com [185.58.85.151])
	by mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122
	for <bob@sorrel.net>; Mon, 16 Nov 2026 10:15:03 +0100 (CET)
Received: from mail.tarragon.org (mail.tarragon.org [93.184.215.25]) by relay.mimecast.com with ESMTP id uk-mta-12-AbCdEf; Mon, 16 Nov 2026 09:15:02 +0000
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000

body
`
	for _, tc := range []struct {
		name     string
		resolver dns.Resolver
		want     bool // hop 1, written by Mimecast, trusted
	}{
		{"offline: taken for the recipient's", nil, true},
		{"recipient's MX is Mimecast", &mxResolver{mx: map[string][]dns.MX{"sorrel.net": {{Host: "eu-smtp-inbound-1.mimecast.com", Preference: 10}}}}, true},
		{"recipient's MX is its own", &mxResolver{mx: map[string][]dns.MX{"sorrel.net": {{Host: "mx1.sorrel.net", Preference: 10}}}}, false},
		{"no MX known", &mxResolver{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, raw, Options{Resolver: tc.resolver}, Input{})
			if len(m.Hops) != 2 || m.Hops[0].Trusted != tc.want {
				t.Errorf("hops %d, hop 1 trusted %v, want %v", len(m.Hops), len(m.Hops) > 0 && m.Hops[0].Trusted, tc.want)
			}
		})
	}
}

// TestRecipientsMXService: the service the recipient domain's MX points at
// (Exchange Online Protection in front of an Exchange on the premises)
// hands mail on to the organisation: the hop it took from outside is the
// boundary. The recipient comes from Delivered-To here, as Exchange
// writes no "for"; without DNS, or with the MX elsewhere, nothing changes.
func TestRecipientsMXService(t *testing.T) {
	requireParser(t)
	raw := `Delivered-To: bob@sorrel.net
Received: from EUR05-DB8-obe.outbound.protection.outlook.com (104.47.17.111) by
 EXCH01.corp.sorrel.local (10.20.1.15) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1544.11 via Frontend
 Transport; Mon, 16 Nov 2026 10:15:04 +0100
Received: from mail.tarragon.org (93.184.215.25) by
 AM3PEPF0000A78E.mail.protection.outlook.com (10.167.16.117) with Microsoft
 SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7633.15 via Frontend Transport; Mon, 16 Nov 2026 09:15:03 +0000
From: Alice <alice@tarragon.org>
To: bob@sorrel.net
Date: Mon, 16 Nov 2026 09:14:58 +0000

body
`
	m365 := &mxResolver{mx: map[string][]dns.MX{"sorrel.net": {{Host: "sorrel-net.mail.protection.outlook.com", Preference: 0}}}}
	// The same recipient field planted among the sender's own fields says
	// nothing of where the message was delivered.
	planted := strings.Replace(strings.Replace(raw, "Delivered-To: bob@sorrel.net\n", "", 1),
		"To: bob@sorrel.net\n", "To: bob@sorrel.net\nDelivered-To: bob@sorrel.net\n", 1)
	m := analyzeRaw(t, planted, Options{Resolver: m365}, Input{})
	if len(m.Hops) != 2 || m.Hops[0].Trusted {
		t.Errorf("planted recipient: hop 1 trusted")
	}
	for _, tc := range []struct {
		name     string
		resolver dns.Resolver
		want     bool // hop 1, written by Microsoft, trusted
	}{
		{"offline", nil, false},
		{"MX at Microsoft 365", &mxResolver{mx: map[string][]dns.MX{"sorrel.net": {{Host: "sorrel-net.mail.protection.outlook.com", Preference: 0}}}}, true},
		{"MX on the premises", &mxResolver{mx: map[string][]dns.MX{"sorrel.net": {{Host: "mx1.sorrel.net", Preference: 10}}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, raw, Options{Resolver: tc.resolver}, Input{})
			if len(m.Hops) != 2 || m.Hops[0].Trusted != tc.want {
				t.Errorf("hops %d, hop 1 trusted %v, want %v", len(m.Hops), len(m.Hops) > 0 && m.Hops[0].Trusted, tc.want)
			}
		})
	}
}

// TestSameClock: two stamps by one host share its clock, so the allowance
// for clocks that disagree does not cover a step back between them; a
// second's rounding does, and a provider's name (a fleet) is no one host.
func TestSameClock(t *testing.T) {
	requireParser(t)
	chain := func(by1, t1, by2, t2 string) string {
		return "Received: from relay.tarragon.org (relay.tarragon.org [93.184.215.26])\n\tby " + by2 +
			" (Postfix) with ESMTP id 2B; Mon, 16 Nov 2026 " + t2 + " +0000\n" +
			"Received: from mail.tarragon.org (mail.tarragon.org [93.184.215.25])\n\tby " + by1 +
			" (Postfix) with ESMTP id 1A; Mon, 16 Nov 2026 " + t1 + " +0000\n" +
			"From: Alice <alice@tarragon.org>\nTo: bob@sorrel.net\nDate: Mon, 16 Nov 2026 09:00:00 +0000\n\nbody\n"
	}
	for _, tc := range []struct {
		name string
		raw  string
		want bool
	}{
		{"one host, four minutes back", chain("relay.tarragon.org", "09:12:02", "relay.tarragon.org", "09:08:03"), true},
		{"one host, a second back", chain("relay.tarragon.org", "09:12:02", "relay.tarragon.org", "09:12:01"), false},
		{"two hosts, four minutes back", chain("relay.tarragon.org", "09:12:02", "mx.sorrel.net", "09:08:03"), false},
		{"a provider's fleet name", chain("mx.google.com", "09:12:02", "mx.google.com", "09:08:03"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyzeRaw(t, tc.raw, Options{}, Input{})
			if got := len(fired(m)["time-travel"]) > 0; got != tc.want {
				t.Errorf("time-travel %v, want %v; findings %s", got, tc.want, ruleIDs(m))
			}
		})
	}
}

// TestHELOImpersonationByAddress: recorded without reverse DNS, a greeting
// as Google or Microsoft from outside their ranges (published in full) is
// medium on a hop into another organisation; between two of the
// provider's own hosts, which may use addresses it does not publish, and
// for a provider whose ranges mailtrace knows in part, it is low.
func TestHELOImpersonationByAddress(t *testing.T) {
	tail := "From: a@example.com\nTo: b@example.net\nDate: Mon, 16 Nov 2026 09:00:00 +0000\nMessage-ID: <1@example.com>\n\nx\n"
	for _, tc := range []struct {
		name, line string
		want       Severity
	}{
		{"google into another organisation", "from mail-wm1-f98.google.com (unknown [45.83.122.17]) by mx.example.net (Postfix) with ESMTPS id 1", SeverityMedium},
		{"microsoft into another organisation", "from mail-db3lp0079.outbound.protection.outlook.com (unknown [45.83.122.17]) by mx.example.net (Postfix) with ESMTPS id 1", SeverityMedium},
		{"google into gmail's mx", "from mail-wr1-f41.google.com (unknown [45.83.122.17]) by mx.google.com with ESMTPS id t3-20020a17090a2f8300b001f25e258dfasi335081pjd.34", SeverityMedium},
		{"microsoft into exchange online protection", "from mail-db3lp0079.outbound.protection.outlook.com (45.83.122.17) by AM4PEPF00027A5F.mail.protection.outlook.com (10.167.16.74) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7587.21 via Frontend Transport", SeverityMedium},
		{"between microsoft's own hosts", "from DB3PR05MB172.eurprd05.prod.outlook.com (45.83.122.17) by DB3PR05MB329.eurprd05.prod.outlook.com (10.1.2.3) with Microsoft SMTP Server (TLS) id 15.0.898.11", SeverityLow},
		{"yahoo, known in part", "from sonic313-21.consmr.mail.ne1.yahoo.com (unknown [45.83.122.17]) by mx.example.net (Postfix) with ESMTPS id 1", SeverityLow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "Received: " + tc.line + "; Mon, 16 Nov 2026 09:00:05 +0000\n" + tail
			got := fired(analyzeRaw(t, raw, Options{}, Input{}))["helo-impersonation"]
			if len(got) != 1 || got[0].Severity != tc.want {
				t.Errorf("helo-impersonation %+v, want one of severity %s", got, tc.want)
			}
		})
	}
}

// TestRecordedDMARCFail: the policy a receiver wrote beside its dmarc=fail,
// in each receiver's manner; and authres-trusted is medium for reject or
// quarantine only while mailtrace cannot check DMARC itself.
func TestRecordedDMARCFail(t *testing.T) {
	for _, tc := range []struct {
		raw, want  string
		overridden bool
	}{
		{"mx.google.com; dkim=fail header.i=@acmebank.com; spf=fail smtp.mailfrom=acmebank.com; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acmebank.com", "reject", false},
		{"mx.google.com; dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=acmebank.com", "quarantine", false},
		{"mx.google.com; dmarc=fail (p=NONE sp=REJECT dis=NONE) header.from=acmebank.com", "none", true},
		{"mx.google.com; arc=pass (i=1 spf=pass spfdomain=zone.ee dmarc=pass fromdomain=zone.ee); dmarc=fail (p=REJECT sp=REJECT dis=NONE arc=pass) header.from=zone.ee", "reject", true},
		{"spf=fail smtp.mailfrom=contoso.com; dkim=none; dmarc=fail action=oreject header.from=contoso.com; compauth=fail reason=000", "reject", true},
		{"spf=fail smtp.mailfrom=contoso.com; dkim=none; dmarc=fail action=quarantine header.from=contoso.com; compauth=fail reason=000", "quarantine", false},
		{"mx.example.net; dmarc=fail reason=\"SPF not aligned\" header.from=outlook.com (policy=none)", "none", false},
		{"mx.example.net; dmarc=fail header.from=tessellate.io (policy=reject)", "reject", false},
		{"mx.example.net; dmarc=fail header.from=hmail.example header.policy=quarantine", "quarantine", false},
		{"mx.example.net; dmarc=pass (p=REJECT) header.from=acmebank.com", "", false},
		{"mx.example.net; dmarc=fail header.from=acmebank.com; spf=fail (p=reject)", "", false},
		{"spf=fail smtp.mailfrom=contoso.com; dmarc=fail action=o.reject header.from=contoso.com", "reject", true},
		// An ARC chain the forger sealed himself verifies (arc=pass), but
		// Gmail did not trust the sealer: it applied the policy.
		{"mx.google.com; arc=pass (i=1 spf=pass spfdomain=evil-vps.net dkim=pass dkdomain=evil-vps.net dmarc=fail fromdomain=acmebank.com); dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acmebank.com", "reject", false},
		// The sender's MAIL FROM, quoted in the receiver's SPF comment and
		// value, is his words, not the receiver's.
		{`mx.google.com; spf=pass (google.com: domain of "x dmarc=fail p=none dis=none"@evil-vps.net designates 45.61.137.10 as permitted sender) smtp.mailfrom="x dmarc=fail p=none dis=none"@evil-vps.net; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acmebank.com`, "reject", false},
	} {
		var a AuthResults
		a.parseResults(tc.raw)
		a.Raw = tc.raw
		if got, over := recordedDMARCFail(a); got != tc.want || over != tc.overridden {
			t.Errorf("%q: %q, overridden %v; want %q, %v", tc.raw, got, over, tc.want, tc.overridden)
		}
	}
	msg := "Authentication-Results: mx.google.com; spf=fail smtp.mailfrom=acmebank.com; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acmebank.com\n" +
		"Received: from srv1.evil-vps.net (srv1.evil-vps.net. [45.61.137.10]) by mx.google.com with ESMTPS id x1si123; Mon, 16 Nov 2026 09:00:05 -0800 (PST)\n" +
		"From: alerts@acmebank.com\nTo: bob@gmail.com\nDate: Mon, 16 Nov 2026 09:00:00 -0800\nMessage-ID: <1@acmebank.com>\n\nx\n"
	got := fired(analyzeRaw(t, msg, Options{DNSMode: "offline"}, Input{}))["authres-trusted"]
	if len(got) != 1 || got[0].Severity != SeverityMedium {
		t.Errorf("offline: authres-trusted %+v, want one medium", got)
	}
	override := strings.Replace(msg, "dis=QUARANTINE", "dis=NONE", 1)
	if got := fired(analyzeRaw(t, override, Options{DNSMode: "offline"}, Input{}))["authres-trusted"]; len(got) != 1 || got[0].Severity != SeverityLow {
		t.Errorf("offline, policy not applied: authres-trusted %+v, want one low", got)
	}
	none := strings.Replace(msg, "p=REJECT sp=REJECT dis=QUARANTINE", "p=NONE sp=NONE dis=NONE", 1)
	if got := fired(analyzeRaw(t, none, Options{DNSMode: "offline"}, Input{}))["authres-trusted"]; len(got) != 1 || got[0].Severity != SeverityInfo {
		t.Errorf("offline, p=none: authres-trusted %+v, want one info", got)
	}
}

// TestHELOImpersonationRetrieval: fetchmail's line names the mailbox
// server it polled and the address it connected to, not a greeting; the
// IMAP and POP servers of Google are outside its outbound ranges (the
// self-hosted audit: mail fetched from Gmail into a home Postfix was
// medium and suspicious). The same name and address over SMTP still are.
func TestHELOImpersonationRetrieval(t *testing.T) {
	tail := "From: a@example.com\nTo: b@example.net\nDate: Mon, 16 Nov 2026 09:00:00 +0000\nMessage-ID: <1@example.com>\n\nx\n"
	for _, tc := range []struct {
		name, line string
		want       int
	}{
		{"fetchmail over IMAP", "from imap.gmail.com [142.250.110.109]\n\tby localhost with IMAP (fetchmail-6.4.37)\n\tfor <bob@localhost> (single-drop)", 0},
		{"fetchmail over POP3", "from pop.gmail.com [142.250.110.109]\n\tby localhost with POP3 (fetchmail-6.4.37)\n\tfor <bob@localhost> (single-drop)", 0},
		{"the same over SMTP", "from imap.gmail.com (unknown [142.250.110.109]) by mx.example.net (Postfix) with ESMTPS id 1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "Received: " + tc.line + "; Mon, 16 Nov 2026 09:00:05 +0000\n" + tail
			if got := fired(analyzeRaw(t, raw, Options{}, Input{}))["helo-impersonation"]; len(got) != tc.want {
				t.Errorf("helo-impersonation %+v, want %d", got, tc.want)
			}
		})
	}
}

// TestAuthResSelfContradiction: a field of the receiver's name that claims
// a pass another of its fields at the same hop denies came with the
// message (the self-hosted audit: sent straight from a VPS to Postfix,
// below OpenDMARC's and OpenDKIM's fields). Fields that agree, and a
// denial at another hop (a re-injection's milters), leave it alone.
func TestAuthResSelfContradiction(t *testing.T) {
	const entry = "Received: from mail-wr1-f44.google.com (mail-wr1-f44.google.com [209.85.221.44])\n\tby mail.example.org (Postfix) with ESMTPS id 4Y2Q5Z6xQ9z9sWl; Mon, 16 Nov 2026 09:00:05 +0000\n"
	const reinjection = "Received: from localhost (localhost [127.0.0.1])\n\tby mail.example.org (Postfix) with ESMTP id 4Y2Q5c1TxKz9sWm; Mon, 16 Nov 2026 09:00:06 +0000\n"
	const tail = "DKIM-Signature: v=1; a=rsa-sha256; d=gmail.com; s=20230601; h=from; bh=x; b=Kx3mP0aQ\n" +
		"From: a@gmail.com\nTo: b@example.org\nDate: Mon, 16 Nov 2026 09:00:00 +0000\nMessage-ID: <1@gmail.com>\n\nx\n"
	const pass = "Authentication-Results: mail.example.org; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com\n"
	for _, tc := range []struct {
		name, raw string
		want      int
	}{
		{"dmarc fail beside", entry + "Authentication-Results: mail.example.org; dmarc=fail (p=none dis=none) header.from=gmail.com\n" + pass + tail, 1},
		{"dkim none beside", entry + "Authentication-Results: mail.example.org; dkim=none\n" + pass + tail, 1},
		{"agreeing milters", entry + "Authentication-Results: mail.example.org; dmarc=pass (p=none dis=none) header.from=gmail.com\n" + pass + tail, 0},
		{"another signature of the domain failed", entry + "Authentication-Results: mail.example.org; dkim=fail header.d=gmail.com header.b=Zq1w2e3r\n" +
			"Authentication-Results: mail.example.org; dkim=pass header.d=gmail.com header.b=Kx3mP0aQ\n" + tail, 0},
		{"the same signature failed", entry + "Authentication-Results: mail.example.org; dkim=fail header.d=gmail.com header.b=Kx3mP0aQ\n" +
			"Authentication-Results: mail.example.org; dkim=pass header.d=gmail.com header.b=Kx3mP0aQ\n" + tail, 1},
		{"another domain's failure", entry + "Authentication-Results: mail.example.org; dmarc=fail header.from=gmail.co\n" + pass + tail, 0},
		{"denial at a re-injection", reinjection + "Authentication-Results: mail.example.org; dkim=none\n" + entry + pass + tail, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fired(analyzeRaw(t, tc.raw, Options{}, Input{}))["authres-forged"]; len(got) != tc.want {
				t.Errorf("authres-forged %+v, want %d", got, tc.want)
			}
		})
	}
}
