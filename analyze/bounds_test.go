package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/auth"
)

// TestFloodBounds: a header that repeats a field thousands of times (a
// flood a sink accepts in one 25 MB message) is analysed with every list
// bounded: the first so many entries are kept, the rest counted in the
// report's defects or in the finding that names them. Before, 700,000
// Delivered-To fields took over an hour (each hidden recipient was looked
// up in every evidence field) and other floods listed every field in a
// finding.
func TestFloodBounds(t *testing.T) {
	const tail = "Subject: x\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <a@example.org>\r\n\r\nbody\r\n"
	repeat := func(n int, line func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(line(i))
		}
		return b.String()
	}
	analyzeRaw := func(t *testing.T, raw string) *MessageReport {
		return New(Options{Now: rulesNow, DNSMode: "offline"}).Analyze(context.Background(), Input{Raw: []byte(raw)})
	}
	finding := func(m *MessageReport, rule string) Finding {
		for _, f := range m.Findings {
			if f.Rule == rule {
				return f
			}
		}
		return Finding{}
	}
	t.Run("envelope recipients", func(t *testing.T) {
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(maxRcpts+205, func(i int) string { return fmt.Sprintf("Delivered-To: u%d@example.net\r\n", i) })+tail)
		want := fmt.Sprintf("line %d: 205 more envelope recipients not listed (at most %d are)", maxRcpts+3, maxRcpts)
		if len(m.Envelope.RcptTo) != maxRcpts || len(m.Envelope.Evidence) != maxRcpts || !slices.Contains(m.Defects, want) {
			t.Errorf("%d recipients, %d evidence fields, defects %q; want %d, %d and %q",
				len(m.Envelope.RcptTo), len(m.Envelope.Evidence), m.Defects, maxRcpts, maxRcpts, want)
		}
		f := finding(m, "envelope-rcpt-hidden")
		if !strings.HasSuffix(f.Message, fmt.Sprintf("u9@example.net and %d more is not in To/Cc: Bcc or a list", maxRcpts-maxShown)) ||
			strings.Count(f.Evidence, "Delivered-To:") != maxShown || !strings.HasSuffix(f.Evidence, fmt.Sprintf(" | and %d more", maxRcpts-maxShown)) {
			t.Errorf("envelope-rcpt-hidden: %q\nevidence %q", f.Message, f.Evidence)
		}
	})
	t.Run("address lists", func(t *testing.T) {
		var to []string
		for i := range maxAddresses + 5 {
			to = append(to, fmt.Sprintf("u%d@example.net", i))
		}
		m := analyzeRaw(t, "From: a@example.org\r\nTo: "+strings.Join(to, ",\r\n ")+"\r\n"+tail)
		want := fmt.Sprintf("line 2: To lists %d addresses; the first %d are analysed", maxAddresses+5, maxAddresses)
		if len(m.Header.To) != maxAddresses || m.Header.To[maxAddresses-1].Address != to[maxAddresses-1] || !slices.Contains(m.Defects, want) {
			t.Errorf("%d To addresses, defects %q; want %d and %q", len(m.Header.To), m.Defects, maxAddresses, want)
		}
	})
	t.Run("every cut is said", func(t *testing.T) {
		var to []string
		for i := range maxAddresses + 1 {
			to = append(to, fmt.Sprintf("u%d@example.net", i))
		}
		m := analyzeRaw(t, repeat(maxHops+1, func(i int) string {
			return fmt.Sprintf("Received: from a%d.example.org by b.example.org; Mon, 3 Mar 2025 09:59:00 +0000\r\n", i)
		})+"From: a@example.org\r\nTo: "+strings.Join(to, ", ")+"\r\n"+
			repeat(maxRcpts+1, func(i int) string { return fmt.Sprintf("Delivered-To: d%d@example.net\r\n", i) })+tail)
		for _, want := range []string{"To lists", "older Received fields not analysed", "more envelope recipients not listed"} {
			if !slices.ContainsFunc(m.Defects, func(d string) bool { return strings.Contains(d, want) }) {
				t.Errorf("no defect says %q: %q", want, m.Defects)
			}
		}
	})
	t.Run("header fields", func(t *testing.T) {
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(maxListedFields+3, func(i int) string { return fmt.Sprintf("X-Note: %d\r\n", i) })+tail)
		want := fmt.Sprintf("line %d: 8 more header fields not listed (at most %d are)", maxListedFields+1, maxListedFields)
		if len(m.Header.Fields) != maxListedFields || !slices.Contains(m.Defects, want) || m.Header.Subject != "x" {
			t.Errorf("%d fields listed, subject %q, defects %q; want %d, x and %q", len(m.Header.Fields), m.Header.Subject, m.Defects, maxListedFields, want)
		}
	})
	t.Run("findings of one rule", func(t *testing.T) {
		n := maxRuleFindings + 20
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(n, func(i int) string { return fmt.Sprintf("Received: nonsense %d\r\n", i) })+tail)
		var kept []Finding
		for _, f := range m.Findings {
			if f.Rule == "received-unparsed" {
				kept = append(kept, f)
			}
		}
		want := fmt.Sprintf("%d more received-unparsed findings not listed (the score counts them)", n-maxRuleFindings)
		if len(kept) != maxRuleFindings+1 || kept[maxRuleFindings].Message != want || kept[maxRuleFindings].Severity != SeverityInfo {
			t.Errorf("%d received-unparsed findings, the last %+v; want %d and %q", len(kept), kept[len(kept)-1], maxRuleFindings+1, want)
		}
	})
	t.Run("originating IP", func(t *testing.T) {
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(maxShown+5, func(i int) string { return fmt.Sprintf("X-Originating-IP: [192.0.2.%d]\r\n", i+1) })+tail)
		f := finding(m, "originating-ip")
		if strings.Count(f.Evidence, "X-Originating-IP") != maxShown || !strings.HasSuffix(f.Message, "; and 5 more") || !strings.HasSuffix(f.Evidence, " | and 5 more") {
			t.Errorf("originating-ip: %q\nevidence %q", f.Message, f.Evidence)
		}
	})
	t.Run("repeated field", func(t *testing.T) {
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(maxShown+5, func(i int) string { return fmt.Sprintf("Subject: s%d\r\n", i) })+
			"Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <a@example.org>\r\n\r\nbody\r\n")
		f := finding(m, "header-duplicate")
		if f.Message != fmt.Sprintf("%d Subject fields", maxShown+5) || strings.Count(f.Evidence, "Subject: s") != maxShown || !strings.HasSuffix(f.Evidence, " | and 5 more") {
			t.Errorf("header-duplicate: %q\nevidence %q", f.Message, f.Evidence)
		}
	})
	t.Run("DKIM signatures and ARC fields", func(t *testing.T) {
		m := analyzeRaw(t, "From: a@example.org\r\nTo: b@example.net\r\n"+
			repeat(60, func(i int) string {
				return fmt.Sprintf("DKIM-Signature: v=1; a=rsa-sha256; d=ex%d.org; s=s; h=from; bh=AAAA; b=BBBB\r\n", i)
			})+
			repeat(15, func(i int) string {
				return fmt.Sprintf("ARC-Seal: i=%d; a=rsa-sha256; t=1700000000; cv=none; d=ex.org; s=s; b=AAAA\r\n", 99+i)
			})+tail)
		a, ok := m.Auth.(*auth.Result)
		if !ok {
			t.Fatalf("auth %T", m.Auth)
		}
		if len(a.DKIM) != 50 || a.DKIMOmitted != 10 || a.DKIM[49].Domain != "ex49.org" {
			t.Errorf("%d DKIM results, %d omitted; want 50 and 10", len(a.DKIM), a.DKIMOmitted)
		}
		if a.ARC == nil || strings.Count(a.ARC.Structure, "ARC-Seal at line") != 10 || !strings.HasSuffix(a.ARC.Structure, "; and 5 more") {
			t.Errorf("ARC structure %+v", a.ARC)
		}
	})
}
