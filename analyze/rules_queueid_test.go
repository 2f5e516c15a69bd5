package analyze

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseQueueMsgID reads the Message-ID forms Postfix, sendmail and Exim
// make. The expected times were worked out apart from the code (Python's
// datetime, Exim's base 62 by hand).
func TestParseQueueMsgID(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, in        string
		ok              bool
		mta, queue, hst string
		at              string // UTC, time.DateTime
		span            time.Duration
		alt             string // Exim base-36 reading, "" when none
	}{
		// spamassassin-tdata/0017: Postfix, short hex queue id.
		{"postfix short", "<20080414104728.AD6C167DE82@mail.ijs.si>", true, "Postfix", "AD6C167DE82", "mail.ijs.si",
			"2008-04-14 10:47:28", time.Second, ""},
		// Postfix with enable_long_queue_ids: 10 base-52 characters, "z", inode.
		{"postfix long", "<20240305091402.4Tq0Bd1vHrz9sWQ@mx.example.org>", true, "Postfix", "4Tq0Bd1vHrz9sWQ", "mx.example.org",
			"2024-03-05 09:14:02", time.Second, ""},
		{"postfix leap day", "<20240229235959.ABCDEF12@h>", true, "Postfix", "ABCDEF12", "h", "2024-02-29 23:59:59", time.Second, ""},
		// ruby-mail/0004: sendmail 8.14, to the minute.
		{"sendmail 8.14", "<201012150659.oBF6xAuc018214@drg.drgnetwork.com>", true, "sendmail", "oBF6xAuc018214", "drg.drgnetwork.com",
			"2010-12-15 06:59:00", time.Minute, ""},
		// spamassassin-tdata/0098: sendmail before 8.12.
		{"sendmail old", "<200006131152.HAA02994@rs.internic.net>", true, "sendmail", "HAA02994", "rs.internic.net",
			"2000-06-13 11:52:00", time.Minute, ""},
		// spamassassin-tdata/0002: Exim 4.68, 6-6-2.
		{"exim old", "<E1K9UWP-0006d1-TK@durga.webserversystems.com>", true, "Exim", "1K9UWP-0006d1-TK", "durga.webserversystems.com",
			"2008-06-20 00:30:33", time.Second, ""},
		// Exim 4.97 and later: 6-11-4.
		{"exim new", "<E1rhQs6-00000000Ab1-2xYz@mx.example.org>", true, "Exim", "1rhQs6-00000000Ab1-2xYz", "mx.example.org",
			"2024-03-05 09:14:02", time.Second, ""},
		// Only 0-9A-Z: could be a base-36 build; S9VAZE is 2024-03-05 09:14:02 in base 36.
		{"exim base 36", "<ES9VAZE-000ABC-01@cyg.example.org>", true, "Exim", "S9VAZE-000ABC-01", "cyg.example.org",
			"", time.Second, "2024-03-05 09:14:02"},

		{"not angle", "20080414104728.AD6C167DE82@mail.ijs.si", false, "", "", "", "", 0, ""},
		{"comment after", "<20080414104728.AD6C167DE82@mail.ijs.si> (x)", false, "", "", "", "", 0, ""},
		{"no host", "<20080414104728.AD6C167DE82@>", false, "", "", "", "", 0, ""},
		{"odd host", "<20080414104728.AD6C167DE82@[192.0.2.1]>", false, "", "", "", "", 0, ""},
		{"two ats", "<20080414104728.AD6C167DE82@a@b>", false, "", "", "", "", 0, ""},
		{"month 13", "<20081314104728.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"30 february", "<20080230104728.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"29 february 2023", "<20230229104728.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"hour 24", "<20080414244728.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"second 60", "<20080414104760.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"year 1969", "<19691231235959.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"letter in date", "<2008041410472X.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		{"13 digits", "<2008041410472.AD6C167DE82@h>", false, "", "", "", "", 0, ""},
		// mutt: local time and a sequence, not a queue id.
		{"mutt", "<20030407012053.GA20701@green.daf.ddts.net>", false, "", "", "", "", 0, ""},
		// mailpit/0002: 14 digits, but vowels and no "z" at 10: no Postfix id.
		{"postfix long vowels", "<20220727034441.7za34h6ljuzfpmj6@localhost.localhost>", false, "", "", "", "", 0, ""},
		{"postfix short lower hex", "<20080414104728.ad6c167de82@h>", false, "", "", "", "", 0, ""},
		{"postfix short too short", "<20080414104728.AD6C1@h>", false, "", "", "", "", 0, ""},
		// sisimai-bounces/0027 (anonymised): all digits, no sendmail id.
		{"sendmail digits only", "<201004292345.00000000@mx2.example.jp>", false, "", "", "", "", 0, ""},
		{"sendmail no pid", "<201004292345.oBF6xAucABCD@h>", false, "", "", "", "", 0, ""},
		{"exim lower e", "<e1K9UWP-0006d1-TK@h>", false, "", "", "", "", 0, ""},
		{"exim short part", "<E1K9UWP-0006d-TK@h>", false, "", "", "", "", 0, ""},
		{"exim bad char", "<E1K9U_P-0006d1-TK@h>", false, "", "", "", "", 0, ""},
		{"exim no hyphen", "<E1K9UWPx0006d1-TK@h>", false, "", "", "", "", 0, ""},
		{"exim 6-11-2", "<E1rhQs6-00000000Ab1-2x@h>", false, "", "", "", "", 0, ""},
		{"empty", "", false, "", "", "", "", 0, ""},
		{"brackets only", "<>", false, "", "", "", "", 0, ""},
		{"at only", "<@>", false, "", "", "", "", 0, ""},
		{"E only", "<E@h>", false, "", "", "", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ok := parseQueueMsgID(tt.in)
			if ok != tt.ok {
				t.Fatalf("parseQueueMsgID(%q) ok = %v, want %v (%+v)", tt.in, ok, tt.ok, q)
			}
			if !ok {
				return
			}
			if q.mta != tt.mta || q.queue != tt.queue || q.host != tt.hst || q.span != tt.span {
				t.Errorf("got %s %q @%q span %v, want %s %q @%q span %v", q.mta, q.queue, q.host, q.span,
					tt.mta, tt.queue, tt.hst, tt.span)
			}
			if tt.at != "" && !q.at.Equal(utc(tt.at)) {
				t.Errorf("time %v, want %s", q.at, tt.at)
			}
			switch {
			case tt.alt == "" && !q.alt.IsZero() && tt.mta != "Exim":
				t.Errorf("alt %v, want none", q.alt)
			case tt.alt != "" && !q.alt.Equal(utc(tt.alt)):
				t.Errorf("alt %v, want %s", q.alt, tt.alt)
			}
		})
	}
}

// TestEximBase36Only pins when an Exim id is also read in base 36: only when
// every character is in 0-9A-Z.
func TestEximBase36Only(t *testing.T) {
	if q, ok := parseQueueMsgID("<E1K9UWP-0006d1-TK@h>"); !ok || !q.alt.IsZero() {
		t.Errorf("id with a lower-case letter read in base 36: %+v", q)
	}
	if q, ok := parseQueueMsgID("<E1K9UWP-0006D1-TK@h>"); !ok || q.alt.IsZero() {
		t.Errorf("id of 0-9A-Z not read in base 36: %+v", q)
	}
}

// queueMessage builds a message whose Received fields are hops, oldest
// last as in a file, and whose Message-ID is mid ("" for none).
func queueMessage(mid string, hops ...string) []byte {
	var b strings.Builder
	for i := len(hops) - 1; i >= 0; i-- {
		b.WriteString("Received: " + hops[i] + "\n")
	}
	b.WriteString("From: Alice <alice@tarragon.org>\nTo: bob@sorrel.net\nSubject: x\n")
	if mid != "" {
		b.WriteString("Message-ID: " + mid + "\n")
	}
	b.WriteString("\nbody\n")
	return []byte(b.String())
}

// Hops the rule cases share: a Postfix submission at smtp.tarragon.org
// (id 9B2F4A0040) handing on to the recipient's MX.
const (
	subAt   = "from [192.168.1.20] (host-81-2-69-142.fennel-isp.net [81.2.69.142]) by smtp.tarragon.org (Postfix) with ESMTPSA id 9B2F4A0040 for <bob@sorrel.net>; "
	mxHop   = "from smtp.tarragon.org (smtp.tarragon.org [93.184.215.25]) by mx1.sorrel.net (Postfix) with ESMTPS id 3D9E1C0122 for <bob@sorrel.net>; Mon, 16 Nov 2026 10:15:03 +0100"
	pfMsgID = "<20261116091501.9B2F4A0040@smtp.tarragon.org>"
)

func TestCheckMsgIDQueue(t *testing.T) {
	requireParser(t)
	type want struct {
		hops  []int
		inMsg string // a piece of the message
	}
	tests := []struct {
		name string
		mid  string
		hops []string // oldest first
		want []want
	}{
		{"same second", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		// The stamp is local time; the Message-ID is UTC.
		{"other zone, same instant", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 04:15:01 -0500", mxHop}, nil},
		{"within tolerance", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:10:01 +0000", mxHop}, nil},
		{"backdated 3h", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 06:15:01 +0000", mxHop},
			[]want{{[]int{1}, "+3h0m0s apart"}}},
		{"post-dated 10m", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:25:01 +0000", mxHop},
			[]want{{[]int{1}, "-10m0s apart"}}},
		{"just outside", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:09:59 +0000", mxHop},
			[]want{{[]int{1}, "+5m2s apart"}}},
		// A whole number of hours is no excuse: one host's clock wrote both.
		{"zone changed", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:15:01 -0600", mxHop},
			[]want{{[]int{1}, "-6h0m0s apart"}}},
		{"host changed", "<20261116091501.9B2F4A0040@bulk.example.com>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop},
			[]want{{[]int{1}, "names host bulk.example.com"}}},
		{"time and host", "<20261116061501.9B2F4A0040@bulk.example.com>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop},
			[]want{{[]int{1}, "-3h0m0s apart"}, {[]int{1}, "is by smtp.tarragon.org"}}},
		// An address as the by-host says nothing about the host's name.
		{"by-host an address", pfMsgID, []string{strings.Replace(subAt, "by smtp.tarragon.org", "by 93.184.215.25", 1) +
			"Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		{"unqualified host", "<20261116091501.9B2F4A0040@smtp>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		{"host case and dot", "<20261116091501.9B2F4A0040@SMTP.Tarragon.ORG.>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		// The id is case-sensitive and must be the whole id: no link.
		{"no linked hop", "<20261116061501.9B2F4A0041@bulk.example.com>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		{"id case differs", "<20261116061501.9B2F4A004A@bulk.example.com>",
			[]string{strings.Replace(subAt, "9B2F4A0040", "9b2f4a004a", 1) + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop}, nil},
		{"no Message-ID", "", []string{subAt + "Mon, 16 Nov 2026 06:15:01 +0000", mxHop}, nil},
		// A hop without a date is compared by host only.
		{"undated hop, host ok", pfMsgID, []string{strings.TrimSuffix(subAt, "; "), mxHop}, nil},
		{"undated hop, host off", "<20261116061501.9B2F4A0040@bulk.example.com>", []string{strings.TrimSuffix(subAt, "; "), mxHop},
			[]want{{[]int{1}, "names host bulk.example.com"}}},
		// The oldest hop with the id is the one that assigned it.
		{"id twice, oldest agrees", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000", mxHop,
			"from mx1.sorrel.net by smtp.tarragon.org (Postfix) with ESMTP id 9B2F4A0040; Mon, 16 Nov 2026 12:15:09 +0000"}, nil},
		{"id twice, oldest off", pfMsgID, []string{subAt + "Mon, 16 Nov 2026 06:15:01 +0000", mxHop,
			"from mx1.sorrel.net by smtp.tarragon.org (Postfix) with ESMTP id 9B2F4A0040; Mon, 16 Nov 2026 09:15:09 +0000"},
			[]want{{[]int{1}, "+3h0m0s apart"}}},
		// The link need not be the oldest hop: here hop 2.
		{"linked hop 2", "<20261116091503.3D9E1C0122@mx1.sorrel.net>", []string{subAt + "Mon, 16 Nov 2026 09:15:01 +0000",
			strings.Replace(mxHop, "10:15:03 +0100", "10:45:03 +0100", 1)},
			[]want{{[]int{2}, "-30m0s apart"}}},
		// sendmail writes the minute only: 12:34 covers 12:34:00-12:34:59.
		{"sendmail end of minute", "<202611161234.oBF6xAuc018214@smtp.tarragon.org>",
			[]string{"from [192.168.1.20] by smtp.tarragon.org (8.15.2/8.15.2) with ESMTP id oBF6xAuc018214; Mon, 16 Nov 2026 12:39:59 +0000"}, nil},
		{"sendmail past tolerance", "<202611161234.oBF6xAuc018214@smtp.tarragon.org>",
			[]string{"from [192.168.1.20] by smtp.tarragon.org (8.15.2/8.15.2) with ESMTP id oBF6xAuc018214; Mon, 16 Nov 2026 12:40:00 +0000"},
			[]want{{[]int{1}, "-6m0s apart"}}},
		{"postfix same gap flagged", "<20261116123400.9B2F4A0040@smtp.tarragon.org>",
			[]string{subAt + "Mon, 16 Nov 2026 12:39:59 +0000"}, []want{{[]int{1}, "-5m59s apart"}}},
		// spamassassin-tdata/0002: Exim 4.68 local submission.
		{"exim genuine", "<E1K9UWP-0006d1-TK@durga.webserversystems.com>",
			[]string{"from e450 by durga.webserversystems.com with local (Exim 4.68) (envelope-from <e450@durga.webserversystems.com>) id 1K9UWP-0006d1-TK for jm@example.org; Thu, 19 Jun 2008 19:30:33 -0500"}, nil},
		{"exim backdated", "<E1K9UWP-0006d1-TK@durga.webserversystems.com>",
			[]string{"from e450 by durga.webserversystems.com with local (Exim 4.68) id 1K9UWP-0006d1-TK for jm@example.org; Wed, 18 Jun 2008 19:30:33 -0500"},
			[]want{{[]int{1}, "+24h0m0s apart"}}},
		{"exim new id", "<E1rhQs6-00000000Ab1-2xYz@mx.example.org>",
			[]string{"from alice by mx.example.org with local (Exim 4.97) id 1rhQs6-00000000Ab1-2xYz; Tue, 05 Mar 2024 09:14:03 +0000"}, nil},
		{"exim base 36", "<ES9VAZE-000ABC-01@cyg.example.org>",
			[]string{"from alice by cyg.example.org with local (Exim 4.96) id S9VAZE-000ABC-01; Tue, 05 Mar 2024 09:14:03 +0000"}, nil},
	}
	a := New(Options{Now: rulesNow, DNSMode: "offline"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := a.Analyze(context.Background(), Input{File: tt.name, Raw: queueMessage(tt.mid, tt.hops...)})
			if len(rep.Hops) != len(tt.hops) {
				t.Fatalf("%d hops parsed, want %d", len(rep.Hops), len(tt.hops))
			}
			got := fired(rep)["msgid-queue"]
			if len(got) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				f := got[i]
				if !slices.Equal(f.Hops, w.hops) || !strings.Contains(f.Message, w.inMsg) || f.Severity != SeverityMedium {
					t.Errorf("finding %d: %s %v %q, want medium %v containing %q", i, f.Severity, f.Hops, f.Message, w.hops, w.inMsg)
				}
				if f.Line != 1+len(tt.hops)+3 {
					t.Errorf("finding %d: line %d, want the Message-ID's %d", i, f.Line, 1+len(tt.hops)+3)
				}
				if !strings.Contains(f.Evidence, "Message-ID: "+tt.mid) || !strings.Contains(f.Evidence, " id ") {
					t.Errorf("finding %d: evidence %q lacks the Message-ID or the hop's id", i, f.Evidence)
				}
			}
		})
	}
}

// TestMsgIDQueueNoAlloc keeps the rule free on the common path: a
// Message-ID of no MTA's form, and one that is but agrees with its hop.
func TestMsgIDQueueNoAlloc(t *testing.T) {
	requireParser(t)
	for _, mid := range []string{"<CAF=abc123@mail.gmail.com>", pfMsgID} {
		raw := queueMessage(mid, subAt+"Mon, 16 Nov 2026 09:15:01 +0000", mxHop)
		rep := New(Options{Now: rulesNow, DNSMode: "offline"}).Analyze(context.Background(), Input{Raw: raw})
		c := &Context{Report: rep}
		if n := testing.AllocsPerRun(100, func() { checkMsgIDQueue(c) }); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", mid, n)
		}
	}
}

// FuzzParseQueueMsgID: no panic, and what it returns is read from the input.
func FuzzParseQueueMsgID(f *testing.F) {
	for _, s := range []string{pfMsgID, "<201012150659.oBF6xAuc018214@drg.drgnetwork.com>",
		"<E1K9UWP-0006d1-TK@h>", "<E1rhQs6-00000000Ab1-2xYz@h>", "<20240305091402.4Tq0Bd1vHrz9sWQ@h>", "<E@>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, ok := parseQueueMsgID(s)
		if !ok {
			return
		}
		if !strings.Contains(s, q.queue+"@"+q.host+">") || q.queue == "" || q.host == "" {
			t.Errorf("%q: queue %q host %q not read from it", s, q.queue, q.host)
		}
		if q.span != time.Second && q.span != time.Minute || q.at.Location() != time.UTC {
			t.Errorf("%q: span %v, time %v", s, q.span, q.at)
		}
	})
}

// BenchmarkMsgIDQueue is the rule alone over the benchmark messages (the
// corpus, or testdata without it), on the header-only path's reports.
func BenchmarkMsgIDQueue(b *testing.B) {
	var cs []*Context
	for _, raw := range rulesBenchMessages(b) {
		if p, ok := headerPath(raw); ok {
			cs = append(cs, &Context{Msg: p.msg, Report: p.rep})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		checkMsgIDQueue(cs[i%len(cs)])
	}
}
