package report

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/received"
)

// fixedNow is the clock of every rendering test, so golden files stay stable.
var fixedNow = func() time.Time { return time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC) }

func testOptions() Options { return Options{Now: fixedNow, Version: "test"} }

func ptrTime(s string) *time.Time {
	t, err := time.Parse(time.RFC1123Z, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func ptrFloat(f float64) *float64 { return &f }

// handBuilt is a report no analyser produced: it holds every shape the
// renderers must draw (a forged message with a backwards clock step, a
// trusted and an unparsed hop, findings on hops and on lines, an auth
// result; an mbox message; a clean one; one that could not be read), so
// its golden files do not move when the analysis changes.
func handBuilt() *analyze.Report {
	forgedFields := []analyze.Field{
		{Name: "Return-Path", Value: " <bounce@galangal.org>\n", Line: 1},
		{Name: "Received", Value: " from galangal.org ([104.128.23.115]) by\n          mail.bieberdorf.edu (8.8.5) id 004A21; Tue, 18 Mar 1997 14:36:17 -0800 (PST)\n", Line: 2},
		{Name: "Received", Value: " from lemongrass.org by turmeric.com (8.7.3) id AA10324;\n          Tue, 18 Mar 1997 14:34:10 -0800 (PST)\n", Line: 4},
		{Name: "Received", Value: " from graprao.com by lemongrass.org (8.6.12) id AA04521;\n          Tue, 18 Mar 1997 17:31:55 -0500 (EST)\n", Line: 6},
		{Name: "X-Mystery", Value: " hello world\n", Line: 8},
		{Name: "From", Value: " \"Friendly Bank\" <security@friendlybank.com>\n", Line: 9},
		{Name: "Subject", Value: " Please confirm your account\n", Line: 10},
	}
	forged := &analyze.MessageReport{
		File: "testdata/examples/seed-forged.eml", Verdict: analyze.VerdictForged, Score: 90,
		Header: analyze.HeaderSummary{
			From:    []analyze.Address{{Name: "Friendly Bank", Address: "security@friendlybank.com"}},
			To:      []analyze.Address{{Address: "rth@bieberdorf.edu"}},
			Subject: "Please confirm your account", DateText: "Tue, 18 Mar 1997 14:31:40 -0800 (PST)",
			MessageID: "<199703182231.AA04521@graprao.com>", ReturnPath: "bounce@galangal.org",
		},
		Envelope: analyze.Envelope{MailFrom: "bounce@galangal.org", RcptTo: []string{"rth@bieberdorf.edu"}, Source: "trace"},
		Hops: []received.Hop{
			{Index: 1, Line: 6, Raw: "from graprao.com by lemongrass.org (8.6.12) id AA04521; Tue, 18 Mar 1997 17:31:55 -0500 (EST)",
				From: received.From{HELO: "graprao.com"}, By: received.By{Host: "lemongrass.org"}, ID: "AA04521",
				Time: ptrTime("Tue, 18 Mar 1997 17:31:55 -0500"), Parsed: received.ParsedFull},
			{Index: 2, Line: 4, Raw: "from lemongrass.org by turmeric.com (8.7.3) id AA10324; Tue, 18 Mar 1997 14:34:10 -0800 (PST)",
				From: received.From{HELO: "lemongrass.org"}, By: received.By{Host: "turmeric.com"}, ID: "AA10324",
				Time: ptrTime("Tue, 18 Mar 1997 14:34:10 -0800"), DelaySeconds: ptrFloat(-10665), Parsed: received.ParsedFull},
			{Index: 3, Line: 2, Raw: "from galangal.org ([104.128.23.115]) by mail.bieberdorf.edu (8.8.5) id 004A21; Tue, 18 Mar 1997 14:36:17 -0800 (PST)",
				From: received.From{HELO: "galangal.org", IP: "104.128.23.115"}, By: received.By{Host: "mail.bieberdorf.edu"},
				With: "SMTP", TLS: "TLSv1.3", ID: "004A21", Time: ptrTime("Tue, 18 Mar 1997 14:36:17 -0800"), DelaySeconds: ptrFloat(127),
				Parsed: received.ParsedFull, Trusted: true, Notes: []string{"by-host does not match the next hop's from"}},
			{Index: 4, Line: 8, Raw: "hello world", Parsed: received.ParsedNone},
		},
		Findings: []analyze.Finding{
			{Rule: "chain-break", Severity: analyze.SeverityHigh, Hops: []int{2, 3}, Line: 2,
				Message:  "hop 3 was received from galangal.org, but hop 2 was written by turmeric.com",
				Evidence: "from galangal.org ([104.128.23.115]) by mail.bieberdorf.edu"},
			{Rule: "time-backwards", Severity: analyze.SeverityMedium, Hops: []int{2},
				Message: "hop 2 is stamped 2h57m45s before hop 1", Evidence: "Tue, 18 Mar 1997 14:34:10 -0800 (PST)"},
			{Rule: "received-unparsed", Severity: analyze.SeverityInfo, Hops: []int{4}, Line: 8,
				Message: "hop 4: Received line not understood", Evidence: "hello world"},
			{Rule: "header-malformed", Severity: analyze.SeverityLow, Hops: []int{},
				Message: "message-wide observation", Evidence: "message-wide observation"},
		},
		DNS:    &analyze.DNSSummary{Mode: "offline", Note: "DNS checks not run"},
		Auth:   map[string]any{"spf": map[string]any{"result": "fail", "domain": "friendlybank.com"}, "dkim": []any{map[string]any{"domain": "friendlybank.com", "result": "none"}}},
		Fields: forgedFields,
	}
	mboxMsg := &analyze.MessageReport{
		File: "mail/archive.mbox", Index: 2, Verdict: analyze.VerdictSuspicious, Score: 40,
		Header:   analyze.HeaderSummary{From: []analyze.Address{{Address: "a@example.org"}}, Subject: "second in the mbox"},
		Envelope: analyze.Envelope{Source: "trace", RcptTo: []string{}},
		Hops: []received.Hop{
			{Index: 1, Line: 2, Raw: "from a by b; Mon, 16 Nov 2026 10:00:00 +0000", From: received.From{HELO: "a"}, By: received.By{Host: "b"},
				Time: ptrTime("Mon, 16 Nov 2026 10:00:00 +0000"), Parsed: received.ParsedFull},
			{Index: 2, Line: 3, Raw: "from b by c; Mon, 16 Nov 2026 10:00:00 +0000", From: received.From{HELO: "b"}, By: received.By{Host: "c"},
				Parsed: received.ParsedPartial},
		},
		Findings: []analyze.Finding{{Rule: "received-no-date", Severity: analyze.SeverityLow, Hops: []int{2}, Line: 3,
			Message: "hop 2: no usable date", Evidence: "from b by c"}},
		Fields: []analyze.Field{{Name: "Received", Value: " from b by c\n", Line: 2}},
	}
	clean := &analyze.MessageReport{File: "testdata/examples/genuine postfix.eml", Verdict: analyze.VerdictClean,
		Header:   analyze.HeaderSummary{From: []analyze.Address{{Name: "Alice Example", Address: "alice@example.org"}}, Subject: "Lunch on Thursday?"},
		Envelope: analyze.Envelope{Source: "trace", RcptTo: []string{}}, Findings: []analyze.Finding{},
		Body: &analyze.BodySummary{Size: 42, TextSize: 40, Attachments: []analyze.Attachment{{Name: "menu.pdf", ContentType: "application/pdf", Size: 1234}}},
	}
	broken := analyze.ErrorReport("testdata/broken.eml", 0, os.ErrPermission)
	return &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{forged, mboxMsg, clean, broken}}
}

// handBuiltRules is the rule catalogue of handBuilt's findings.
var handBuiltRules = []analyze.Rule{
	{ID: "chain-break", Severity: analyze.SeverityHigh, Title: "Received chain broken",
		Explain: "A hop was received from a host other than the one that wrote the hop before it.",
		Example: "Received: from b by c\nReceived: from x by a"},
	{ID: "header-malformed", Severity: analyze.SeverityInfo, Title: "Malformed header block",
		Explain: "The header block breaks RFC 5322 §2.2."},
	{ID: "received-no-date", Severity: analyze.SeverityInfo, Title: "Received line without a usable date",
		Explain: "RFC 5321 §4.4 requires every Received field to end with the date of receipt."},
	{ID: "received-unparsed", Severity: analyze.SeverityInfo, Title: "Received line not understood",
		Explain: "The Received field matches no known MTA format."},
	{ID: "time-backwards", Severity: analyze.SeverityMedium, Title: "Hop stamped before the previous one",
		Explain: "A hop's date is earlier than the previous hop's by more than the clock-skew tolerance."},
}

// analyzeFiles analyses files the way the CLI does (offline, fixed clock),
// naming each by its path from the repository root.
func analyzeFiles(t testing.TB, patterns ...string) *analyze.Report {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join("..", p))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	a := analyze.New(analyze.Options{Now: fixedNow})
	rep := &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.ToSlash(strings.TrimPrefix(f, ".."+string(filepath.Separator)))
		rep.Messages = append(rep.Messages, a.Analyze(context.Background(), analyze.Input{File: name, Raw: raw}))
	}
	if len(rep.Messages) == 0 {
		t.Fatalf("no files match %v", patterns)
	}
	return rep
}
