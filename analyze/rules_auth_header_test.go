package analyze

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/internal/gentext"
)

// authHeader hands Split's fields to package auth so that it need not
// split the header again. These tests check that auth's results are the
// same with the fields as without, and that the fields are handed over
// only when Split read the header as auth does.

// checkAuthHeader compares auth's offline results with and without the
// fields authHeader gives; it reports whether they were given.
func checkAuthHeader(t *testing.T, name string, raw []byte) bool {
	t.Helper()
	m, err := Split(raw)
	if err != nil {
		return false
	}
	hdr := authHeader(m, (&Context{Msg: m}).fields().auth, nil)
	now := func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }
	for _, headerOnly := range []bool{false, true} {
		v := auth.New(auth.Options{Now: now, HeaderOnly: headerOnly})
		want := v.Check(context.Background(), auth.Input{Message: raw})
		got := v.Check(context.Background(), auth.Input{Message: raw, Header: hdr, Body: m.Body})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s (header-only %v): with Split's fields\n%+v\nwithout\n%+v", name, headerOnly, got, want)
		}
	}
	return hdr != nil
}

func TestAuthHeaderCorpus(t *testing.T) {
	msgs := loadCorpus(t)
	handed := 0
	for _, m := range msgs {
		if checkAuthHeader(t, m.name, m.raw) {
			handed++
		}
	}
	// Nearly every real header is plain; the rest are broken on purpose.
	if handed < len(msgs)*9/10 {
		t.Errorf("fields handed over for %d of %d messages", handed, len(msgs))
	}
}

// authHeaderPieces build headers with every kind of line end (a bare CR
// is a line end to Split, not to auth), folding, lines that are no field,
// mbox lines and the fields auth reads offline.
var authHeaderPieces = []string{"\r\n", "\n", "\r", " ", "\t", "From: a@example.com", "From ", "FROM:b@example.org",
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=BBBB",
	"ARC-Seal: i=1; cv=none; d=example.org; s=s; a=rsa-sha256; b=AA", "ARC-Authentication-Results: i=1; mx.example.org; dkim=pass",
	"Subject : x", "x", ":", "bad line", "body", "\xc2\x85",
	// Broken tags: reasons quote the text after them, folding included.
	"ARC-Message-Signature: i=1; !bad", "ARC-Seal: i=2; a=", "DKIM-Signature: v=1; c=x/", "; l=1", "; q=", "!"}

func TestAuthHeaderGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	handed := 0
	for range 8000 {
		if checkAuthHeader(t, "generated", []byte(gentext.Join(r, authHeaderPieces, r.IntN(30)))) {
			handed++
		}
	}
	if handed < 100 {
		t.Errorf("fields handed over for only %d generated messages", handed)
	}
}

// TestAuthHeaderRefused: headers Split reads otherwise than auth.
func TestAuthHeaderRefused(t *testing.T) {
	for _, raw := range []string{
		"From: a@example.com\rDKIM-Signature: v=1; d=x\r\n\r\nbody",                         // bare CR ends a line for Split only
		"From: a@example.com\r\r\n\r\nbody",                                                 // CR CR LF
		"From: a@example.com\nnot a field\n\nbody",                                          // header ends early for Split
		" folded first\nFrom: a@example.com\n\nbody",                                        // continuation first
		"From: a@example.com\nSubject: x",                                                   // no empty line
		"From: a@example.com\n\rbody",                                                       // bare CR as the empty line
		"From x\rFrom: a@example.com\n\nbody",                                               // mbox line ended by a bare CR
		"From: a@example.com\nX-Long: " + strings.Repeat("y", maxFieldBytes+1) + "\n\nbody", // cut field
	} {
		m, _ := Split([]byte(raw))
		if hdr := authHeader(m, nil, nil); hdr != nil {
			t.Errorf("%.60q: fields handed over: %+v", raw, hdr)
		}
		checkAuthHeader(t, "refused", []byte(raw))
	}
	plain := "From x\r\nFrom: a@example.com\r\nSubject : y\r\n z\r\n\r\nbody"
	if !checkAuthHeader(t, "plain", []byte(plain)) {
		t.Errorf("%q: fields not handed over", plain)
	}
}

// FuzzAuthHeader: whatever the bytes, auth's results are the same with
// Split's fields as without them.
func FuzzAuthHeader(f *testing.F) {
	for _, s := range []string{"From: a@example.com\r\nDKIM-Signature: v=1; d=x\r\n\r\nbody", "From x\nFrom: a@b.c\n\rbody",
		"ARC-Seal: i=1; cv=none\n ARC-Seal: i=2\r\n\r\n", "From: a@example.com\r\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkAuthHeader(t, "fuzzed", raw)
	})
}
