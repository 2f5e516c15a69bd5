package analyze

import (
	"context"
	"slices"
	"testing"
)

func TestSessionAnomaliesBecomeFindingsOnTheSinkHop(t *testing.T) {
	raw := "Received: from bot.example (unknown [203.0.113.9]) by sink.test (mailtrace) with ESMTP id Q1; Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
		"Received: from a.example (a.example [198.51.100.1]) by bot.example with SMTP id X; Fri, 27 Nov 2026 09:59:00 +0000\r\n" +
		"From: a@bank.example\r\nDate: Fri, 27 Nov 2026 09:58:00 +0000\r\n\r\nx\r\n"
	in := Input{File: "t", Raw: []byte(raw), Envelope: &Envelope{MailFrom: "a@bank.example", Source: "smtp"},
		Anomalies: []SessionAnomaly{
			{Code: "pregreet", Where: "session", Offset: 0, Line: 1, Detail: "EHLO before 220"},
			{Code: "data.smuggling", Where: "message", Offset: 120, Line: 7},
			{Code: "data.smuggling", Where: "message", Offset: 300, Line: 12},
			{Code: "not-a-known-code", Where: "session"},
		}}
	rep := New(Options{HeaderOnly: true}).Analyze(context.Background(), in)
	got := map[string]Finding{}
	for _, f := range rep.Findings {
		got[f.Rule] = f
	}
	pre, ok := got["session-pregreet"]
	if !ok || pre.Severity != SeverityMedium || !slices.Equal(pre.Hops, []int{2}) {
		t.Errorf("pregreet finding = %+v (ok %v)", pre, ok)
	}
	sm, ok := got["session-smuggling"]
	if !ok || sm.Severity != SeverityHigh || sm.Message != "SMTP session: data.smuggling (2 times)" {
		t.Errorf("smuggling finding = %+v (ok %v)", sm, ok)
	}
	if rep.Verdict != VerdictForged {
		t.Errorf("a smuggling attempt plus a pre-greeting bot: verdict %s, want forged", rep.Verdict)
	}
	// Without a session nothing of the kind is reported.
	plain := New(Options{HeaderOnly: true}).Analyze(context.Background(), Input{File: "t", Raw: []byte(raw)})
	for _, f := range plain.Findings {
		if len(f.Rule) > 8 && f.Rule[:8] == "session-" {
			t.Errorf("session finding without a session: %+v", f)
		}
	}
}

// TestSessionHELOLiteral: an address literal that is not the client's is
// medium, but a private one is info: a client behind NAT (a container
// delivering through the host) knows only its own address.
func TestSessionHELOLiteral(t *testing.T) {
	raw := "Received: from [172.17.0.2] (unknown [127.0.0.1]) by sink.test (mailtrace) with ESMTP id Q1; Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
		"From: app@example.com\r\nDate: Fri, 27 Nov 2026 09:59:59 +0000\r\n\r\nx\r\n"
	for code, want := range map[string]Severity{"helo.literal-private": SeverityInfo, "helo.literal-mismatch": SeverityMedium} {
		in := Input{File: "t", Raw: []byte(raw), Envelope: &Envelope{MailFrom: "app@example.com", Source: "smtp"},
			Anomalies: []SessionAnomaly{{Code: code, Where: "session", Detail: "literal 172.17.0.2"}}}
		rep := New(Options{HeaderOnly: true}).Analyze(context.Background(), in)
		var got []Finding
		for _, f := range rep.Findings {
			if f.Rule == "session-helo" {
				got = append(got, f)
			}
		}
		if len(got) != 1 || got[0].Severity != want {
			t.Errorf("%s: session-helo findings %+v, want one of severity %s", code, got, want)
		}
	}
}
