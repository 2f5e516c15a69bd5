package analyze

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Names as Google writes them (from the corpus: mailauth, rspamd,
// mailpit) and near misses a loose match would take.
func TestGoogleHostNumber(t *testing.T) {
	tests := []struct {
		name string
		kind byte
		n    uint32
		ok   bool
	}{
		{"mail-sor-f41.google.com", 'f', 41, true},
		{"mail-sor-f41.google.com.", 'f', 41, true}, // rDNS as Gmail writes it
		{"MAIL-WR1-F41.GOOGLE.COM", 'f', 41, true},
		{"mail-yw1-f198.google.com", 'f', 198, true},
		{"mail-pf1-f0.google.com", 'f', 0, true},
		{"mail-ej1-x62b.google.com", 'x', 0x62b, true},
		{"mail-io1-xd2e.google.com", 'x', 0xd2e, true},
		{"mail-qk1-X72A.google.com", 'x', 0x72a, true},
		{"mail-lj1-x0022.google.com", 'x', 0x22, true},
		{"mail-sor-f256.google.com", 0, 0, false}, // not an octet
		{"mail-sor-f041.google.com", 0, 0, false}, // leading zero
		{"mail-sor-f4a.google.com", 0, 0, false},  // f takes decimal digits only
		{"mail-sor-f1234.google.com", 0, 0, false},
		{"mail-sor-x12345.google.com", 0, 0, false},
		{"mail-sor-xg1.google.com", 0, 0, false},
		{"mail-sor-f.google.com", 0, 0, false},
		{"mail--f41.google.com", 0, 0, false},
		{"mail-s.r-f41.google.com", 0, 0, false},
		{"mail-sor-y41.google.com", 0, 0, false},
		{"mail-sor-f41.google.com.evil.example", 0, 0, false},
		{"mail-sor-f41.google.com..", 0, 0, false},
		{"mail-sor-f41.notgoogle.com", 0, 0, false},
		{"xmail-sor-f41.google.com", 0, 0, false},
		{"mail-sor-f41-google.com", 0, 0, false},
		{"mx.google.com", 0, 0, false},
		{"mail-f41.google.com", 0, 0, false},
		{"", 0, 0, false},
		{"mail\r-sor-f41.google.com", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, n, ok := googleHostNumber(tt.name)
			if kind != tt.kind || n != tt.n || ok != tt.ok {
				t.Errorf("googleHostNumber(%q) = %q %d %v, want %q %d %v", tt.name, kind, n, ok, tt.kind, tt.n, tt.ok)
			}
		})
	}
}

func TestGoogleNameContradicts(t *testing.T) {
	tests := []struct {
		name, addr string
		want       bool
	}{
		{"mail-sor-f41.google.com.", "209.85.220.41", false},
		{"mail-sor-f41.google.com", "::ffff:209.85.220.41", false}, // v4-mapped
		{"mail-sor-f41.google.com", "185.220.101.34", true},        // audit G01
		{"mail-pf2-f222.google.com", "192.0.2.2", true},            // sisimai-bounces/0025, anonymised
		{"mail-sor-f41.google.com", "2607:f8b0:4864:20::41", true}, // an f name is IPv4
		{"mail-ej1-x62b.google.com", "2a00:1450:4864:20::62b", false},
		{"mail-ej1-x62b.google.com", "2a00:1450:4864:20::62c", true},
		{"mail-ej1-x62b.google.com", "209.85.220.43", true}, // an x name is IPv6
		{"mail-lj1-x0022.google.com", "2a00:1450:4864:20::22", false},
		{"mail.example.org", "203.0.113.25", false}, // not Google's form: nothing to contradict
	}
	for _, tt := range tests {
		if got := googleNameContradicts(facts(tt.name), netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("googleNameContradicts(%q, %s) = %v, want %v", tt.name, tt.addr, got, tt.want)
		}
	}
}

func TestIsGoogleStamper(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"mx.google.com", true},
		{"MX.Google.COM.", true},
		{"mail-wr1-f41.google.com", true},
		{"smtp.gmail.com", true},
		{"gmr-mx.googlemail.com", true},
		{"google.com", true},
		{"2002:a05:6a10:8d0e:b0:4d1:f2a3:6b7c", true},
		{"2002:a19:24c6:0:0:0:0:0", true},
		{"2002:ab2:1785:0:b0:19a:50ce:a944", true},
		{"notgoogle.com", false},
		{"mail.google.com.evil.example", false},
		{"vm-1.bc.googleusercontent.com", false}, // customers' machines
		{"10.76.55.35", false},                   // Gmail's and Hotmail's old internal names alike
		{"2002:c000:204::1", false},              // 6to4 of a public address
		{"2002:a:1::1", false},                   // 6to4 of 0.10.0.1
		{"[2002:a05:6a10::1]", false},
		{"2002:a05:zz", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isGoogleStamper(tt.host); got != tt.want {
			t.Errorf("isGoogleStamper(%q) = %v, want %v", tt.host, got, tt.want)
		}
		if got := facts(tt.host).gStamper; got != tt.want {
			t.Errorf("facts(%q).gStamper = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// pacificOffset is written out by hand: around each switch of the US
// rules, and against the zone database when the machine has one.
func TestPacificOffset(t *testing.T) {
	const pst, pdt = -8 * 3600, -7 * 3600
	tests := []struct {
		utc  string
		want int
	}{
		{"2023-03-12T09:59:59Z", pst}, // 2007 rules: second Sunday of March, 2:00 PST
		{"2023-03-12T10:00:00Z", pdt},
		{"2023-11-05T08:59:59Z", pdt}, // first Sunday of November, 2:00 PDT
		{"2023-11-05T09:00:00Z", pst},
		{"2006-04-02T09:59:59Z", pst}, // 1987 rules: first Sunday of April
		{"2006-04-02T10:00:00Z", pdt},
		{"2006-10-29T08:59:59Z", pdt}, // last Sunday of October
		{"2006-10-29T09:00:00Z", pst},
		{"2007-03-11T10:00:00Z", pdt},
		{"2026-11-16T09:15:02Z", pst},
		{"2026-07-14T09:15:02Z", pdt},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339, tt.utc)
		if err != nil {
			t.Fatal(err)
		}
		if got, known := pacificOffset(at.In(time.FixedZone("", 3600))); got != tt.want || !known {
			t.Errorf("pacificOffset(%s) = %d %v, want %d", tt.utc, got, known, tt.want)
		}
	}
	if _, known := pacificOffset(time.Date(1986, 7, 1, 0, 0, 0, 0, time.UTC)); known {
		t.Error("pacificOffset knows 1986, whose rules it does not write out")
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Logf("no zone database to compare with: %v", err)
		return
	}
	for at := time.Date(1987, 1, 1, 0, 30, 0, 0, time.UTC); at.Year() < 2040; at = at.Add(7 * time.Hour) {
		_, want := at.In(la).Zone()
		if got, _ := pacificOffset(at); got != want {
			t.Fatalf("pacificOffset(%s) = %d, zone database %d", at, got, want)
		}
	}
}

// gmailPath is a Gmail to Gmail path whose top line is written in: what
// Gmail's inbound MX (hop 3) hands on to.
const gmailPath = `Received: by 2002:a05:6358:e483:b0:ed:1eae:60a3 with SMTP id by3csp989960rwb;
        Mon, 16 Nov 2026 01:15:04 -0800 (PST)
Received: from mail-wr1-f41.google.com (mail-wr1-f41.google.com. [209.85.221.41])
        by mx.google.com with SMTPS id t3-20020a17090a2f8300b001f25e258dfasor335081pjd.34.2026.11.16.01.15.01
        for <bob@sorrel.net>; Mon, 16 Nov 2026 01:15:02 -0800 (PST)
Received: by mail-wr1-f41.google.com with SMTP id ffacd0b85a97d-3a4e0c2ab1dso1234567f8f.2
        for <bob@sorrel.net>; Mon, 16 Nov 2026 01:15:01 -0800 (PST)
From: Alice <alice.tarragon@gmail.com>
To: Bob <bob@sorrel.net>
Subject: x
Date: Mon, 16 Nov 2026 01:14:58 -0800
Message-ID: <CAF=q7Hk2mPz0xY4@mail.gmail.com>

body
`

// The successor rule's exceptions, each beside the forgery it must not
// let through.
func TestGoogleMXSuccessor(t *testing.T) {
	tests := []struct {
		name, top, extra string
		want             Severity // "" for no finding
	}{
		{"mailbox delivery", "", "", ""},
		{"forger's relay", "Received: from mx.google.com (unknown [185.220.101.34])\n\tby mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122;" +
			" Mon, 16 Nov 2026 10:15:05 +0100\n", "", SeverityMedium},
		// audit RP25: a Google address under a name Google gives no outbound host
		{"Google address, MX name", "Received: from mx.google.com (mx.google.com [209.85.220.41])\n\tby smtp.sorrel.net (Postfix) with ESMTP id 3D9E1C0122;" +
			" Mon, 16 Nov 2026 10:15:05 +0100\n", "", SeverityMedium},
		{"Google outbound host", "Received: from mail-sor-f69.google.com (mail-sor-f69.google.com. [209.85.220.69])\n\tby mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122;" +
			" Mon, 16 Nov 2026 10:15:05 +0100\n", "", ""},
		{"outbound name, foreign address", "Received: from mail-sor-f69.google.com (mail-sor-f69.google.com. [185.220.101.69])\n\tby mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122;" +
			" Mon, 16 Nov 2026 10:15:05 +0100\n", "", SeverityMedium},
		{"fetchmail", "Received: from imap.gmail.com [142.250.102.108]\n\tby laptop.sorrel.net with IMAP (fetchmail-6.4.37)\n\tfor <bob@localhost> (single-drop);" +
			" Mon, 16 Nov 2026 10:20:00 +0100 (CET)\n", "", ""},
		{"resent by the user", "Received: from [192.168.1.5] (dsl-7.pool.sorrel-isp.net [85.234.20.7])\n\tby smtp.sorrel.net (Postfix) with ESMTPSA id 3D9E1C0122;" +
			" Mon, 16 Nov 2026 10:25:00 +0100\n", "Resent-From: bob@sorrel.net\nResent-Date: Mon, 16 Nov 2026 10:24:58 +0100\n", SeverityLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.top + tt.extra + gmailPath
			if tt.top != "" {
				raw = tt.top + tt.extra + gmailPath[strings.Index(gmailPath, "Received: from mail-wr1"):]
			}
			m := analyzeRaw(t, raw, Options{}, Input{})
			got := fired(m)["google-mx-successor"]
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("fired: %+v", got)
			case tt.want != "" && (len(got) != 1 || got[0].Severity != tt.want):
				t.Errorf("findings %+v, want one %s; all: %s", got, tt.want, ruleIDs(m))
			}
		})
	}
}

// A name on a documentation address is an anonymised sample (info); a
// HELO alone is the client's word (low, on Google's addresses only); the
// receiver's rDNS is medium.
func TestGoogleNameAddressSeverity(t *testing.T) {
	tests := []struct {
		from string
		want Severity
	}{
		{"mail-wr1-f41.google.com (mail-wr1-f41.google.com. [185.220.101.34])", SeverityMedium},
		{"mail-wr1-f41.google.com (dsl-34.pool.example-isp.net [185.220.101.34])", ""}, // helo-impersonation's
		{"mail-wr1-f41.google.com ([185.220.101.34])", ""},
		{"mail-wr1-f41.google.com ([209.85.221.44])", SeverityLow},
		{"mail-wr1-f41.google.com (mail-wr1-f44.google.com. [209.85.221.44])", SeverityLow},
		{"mail-wr1-f41.google.com (mail-wr1-f44.google.com. [209.85.221.41])", SeverityMedium},
		{"mail-wr1-f41.google.com (mail-wr1-f41.google.com. [192.0.2.2])", SeverityInfo},
		{"mail-wr1-f41.google.com (mail-wr1-f41.google.com. [209.85.221.41])", ""},
		{"mail-wr1-f41.google.com", ""}, // no address: nothing to hold the name against
	}
	for _, tt := range tests {
		raw := "Received: from " + tt.from + "\n\tby mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122; Mon, 16 Nov 2026 10:15:05 +0100\n" +
			gmailPath[strings.Index(gmailPath, "Received: by mail-wr1"):]
		got := fired(analyzeRaw(t, raw, Options{}, Input{}))["google-name-address"]
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: fired %+v", tt.from, got)
		case tt.want != "" && (len(got) != 1 || got[0].Severity != tt.want):
			t.Errorf("%s: findings %+v, want one %s", tt.from, got, tt.want)
		}
	}
}

func TestGoogleFromText(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"from mail-sor-f41.google.com (mail-sor-f41.google.com. [185.220.101.34])\r\n        by mx.google.com with SMTPS id x;\r\n Fri, 27 Jan 2023 00:11:24 -0800\r\n",
			"from mail-sor-f41.google.com (mail-sor-f41.google.com. [185.220.101.34])"},
		{"From\tx.example ([192.0.2.1])by mx.example; Fri, 27 Jan 2023 00:11:24 -0800", "From\tx.example ([192.0.2.1])"},
		{"from bypass.example ([192.0.2.1])", "from bypass.example ([192.0.2.1])"},
	}
	for _, tt := range tests {
		if got := googleFromText(&received.Hop{Raw: tt.raw}); got != tt.want {
			t.Errorf("googleFromText(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestGoogleRulesCorpus holds what the research found on real mail: the
// Google rules stay silent (above info) on every corpus message that was
// not anonymised, while they have Gmail chains to judge there.
func TestGoogleRulesCorpus(t *testing.T) {
	srcs := loadRulesCorpus(t)
	a := New(Options{HeaderOnly: true, Now: corpusNow, DNSMode: "offline"})
	mxHops := 0
	for _, s := range srcs {
		m := a.Analyze(context.Background(), Input{File: s.File, Index: s.Index, Raw: s.Raw})
		for _, h := range m.Hops {
			if isGmailMX(h.By.Host) {
				mxHops++
			}
		}
		rel := strings.TrimPrefix(s.File, corpusDir+"/")
		if strings.HasPrefix(rel, "sisimai") || strings.HasPrefix(rel, "eml_analyzer") {
			continue // anonymised: addresses and dates replaced
		}
		for _, f := range m.Findings {
			if strings.HasPrefix(f.Rule, "google-") && f.Severity != SeverityInfo {
				t.Errorf("%s: %s %s: %s", rel, f.Rule, f.Severity, f.Message)
			}
		}
	}
	if mxHops < 40 {
		t.Errorf("only %d hops by mx.google.com in the corpus; the research counted 46", mxHops)
	}
}

// BenchmarkGoogleRules is the Google rules alone over the corpus (or
// testdata), trust inferred before the timer: most messages have no
// Google hop, and that path must not allocate.
func BenchmarkGoogleRules(b *testing.B) {
	var ctxs []*Context
	opts := &Options{Now: corpusNow, ClockSkew: 5 * time.Minute, HeaderOnly: true, DNSMode: "offline"}
	for _, r := range rulesBenchMessages(b) {
		if p, ok := headerPath(r); ok {
			c := &Context{Ctx: context.Background(), Msg: p.msg, Report: p.rep, Opts: opts}
			c.Trust = inferTrust(c.Ctx, p.rep.Hops, opts, false)
			ctxs = append(ctxs, c)
		}
	}
	checks := []func(*Context) []Finding{checkGoogleMXSuccessor, checkGoogleNameAddress, checkGoogleZone, checkGoogleGap}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		c := ctxs[i%len(ctxs)]
		for _, check := range checks {
			n += len(check(c))
		}
	}
	if n < 0 {
		b.Fatal(n)
	}
}

// refPacificOffset is pacificOffset as it was, with time.Date and
// AddDate: the reference for the arithmetic.
func refPacificOffset(t time.Time) (offset int, known bool) {
	const pst, pdt = -8 * 3600, -7 * 3600
	nthSunday := func(year int, month time.Month, n int) time.Time {
		first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
		d := (7 - int(first.Weekday())) % 7
		return first.AddDate(0, 0, d+7*(n-1))
	}
	u := t.UTC()
	y := u.Year()
	var start, end time.Time
	switch {
	case y >= 2007:
		start = nthSunday(y, time.March, 2).Add(10 * time.Hour)
		end = nthSunday(y, time.November, 1).Add(9 * time.Hour)
	case y >= 1987:
		start = nthSunday(y, time.April, 1).Add(10 * time.Hour)
		end = nthSunday(y, time.November, 1).AddDate(0, 0, -7).Add(9 * time.Hour)
	default:
		return 0, false
	}
	if !u.Before(start) && u.Before(end) {
		return pdt, true
	}
	return pst, true
}

// TestPacificOffsetMatchesReference holds the arithmetic to the dates:
// every day from 1900 to 2400 at a few hours, each second around every
// switch, with and without a fraction of a second and in other zones,
// and random instants from year 1 to 9999.
func TestPacificOffsetMatchesReference(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", -7*3600), time.FixedZone("", 13*3600+45*60)}
	check := func(at time.Time) {
		t.Helper()
		for _, z := range zones {
			got, gk := pacificOffset(at.In(z))
			want, wk := refPacificOffset(at.In(z))
			if got != want || gk != wk {
				t.Fatalf("pacificOffset(%s) = %d %v, reference %d %v", at.In(z), got, gk, want, wk)
			}
		}
	}
	for at := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2400; at = at.Add(24 * time.Hour) {
		for _, h := range []time.Duration{0, 7*time.Hour + 999*time.Millisecond, 9 * time.Hour, 10 * time.Hour, 23*time.Hour + 59*time.Minute} {
			check(at.Add(h))
		}
	}
	for y := 1985; y < 2200; y++ {
		for _, m := range []time.Month{time.March, time.April, time.October, time.November} {
			for d := 1; d <= 31; d++ {
				if base := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); base.Weekday() == time.Sunday {
					for _, s := range []int{9 * 3600, 10 * 3600} { // 2:00 PDT, 2:00 PST in UTC
						for ds := -2; ds <= 2; ds++ {
							for _, ns := range []int{0, 1, 999_999_999} {
								check(base.Add(time.Duration(s+ds)*time.Second + time.Duration(ns)))
							}
						}
					}
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for range 200_000 {
		check(time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)))
	}
}
