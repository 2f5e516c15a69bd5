package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseAuthResults: a header value from anywhere must never panic
// the parser, the raw text is always kept, and the result is the
// reference's (refParseAuthResults).
func FuzzParseAuthResults(f *testing.F) {
	for _, s := range []string{
		"mx.google.com; dkim=pass header.i=@example.org; spf=pass (x) smtp.mailfrom=a@example.org",
		"spf=none (sender IP is ) smtp.mailfrom=<>;",
		"example.net 1; none", "a; b=c (d (e) f) g=\"h;i\"", "(((", "\\", "x;=;==;a=b=c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAuthResultsLikeRef(t, s)
		a := ParseAuthResults(s)
		if strings.TrimSpace(s) != "" && a.Raw == "" && strings.TrimSpace(unfold(s)) != "" {
			t.Errorf("raw text lost for %q", s)
		}
		for _, r := range a.Results {
			if r.Method == "" || r.Result == "" {
				t.Errorf("empty method or result from %q: %+v", s, r)
			}
		}
	})
}

// FuzzRules: every rule over arbitrary header text must not panic.
func FuzzRules(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/rules/*.eml")
	for _, p := range paths {
		if raw, err := os.ReadFile(p); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("Received: from [1.2.3.4] by [::1]\nReceived: by 2002:a05::1 with SMTP id x; Mon, 1 Jan 2024 00:00:00 +0000\nFrom: \"a@b.c\" <x@xn--pypal-4ve.com>\n\n"))
	a := New(Options{HeaderOnly: true, Now: rulesNow, Trusted: []string{"10.0.0.0/8", "mx.example.net"}})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := a.Analyze(context.Background(), Input{Raw: raw})
		if m.Verdict == "" {
			t.Fatal("no verdict")
		}
		for _, fd := range m.Findings {
			for _, h := range fd.Hops {
				if h < 1 || h > len(m.Hops) {
					t.Fatalf("finding %s points at hop %d of %d", fd.Rule, h, len(m.Hops))
				}
			}
		}
	})
}
