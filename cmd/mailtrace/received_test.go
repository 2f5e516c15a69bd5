package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/received"
)

// TestReceivedFoldedStdin: a header pasted as it was, folded over several
// lines, is one value per field, not one per line.
func TestReceivedFoldedStdin(t *testing.T) {
	in := "Received: from a.example (a.example [192.0.2.1])\n\tby b.example with ESMTP id X;\n\tMon, 1 Jan 2024 10:00:00 +0000\n" +
		"\n" +
		"Received: from c.example (c.example [192.0.2.3]) by d.example; Mon, 1 Jan 2024 10:00:01 +0000\r\n" +
		"  \n"
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"mailtrace", "received", "--format", "json"}, strings.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var hops []received.Hop
	if err := json.Unmarshal(out.Bytes(), &hops); err != nil {
		t.Fatal(err)
	}
	if len(hops) != 2 {
		t.Fatalf("%d hops, want 2: %s", len(hops), out.String())
	}
	for i, want := range []string{"b.example", "d.example"} {
		if h := hops[i]; h.By.Host != want || h.Parsed != received.ParsedFull || h.Time == nil {
			t.Errorf("hop %d: by %q, parsed %s, time %v", i+1, h.By.Host, h.Parsed, h.Time)
		}
	}
}

// TestReceivedJSONInert: a Received line's C1 and bidi characters come out
// of --format json as escapes, not as bytes a terminal acts on.
func TestReceivedJSONInert(t *testing.T) {
	in := "from evil (x [192.0.2.1]) by mx\u009b\u202e; Mon, 1 Jan 2024 00:00:00 +0000\n"
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"mailtrace", "received", "-f", "json"}, strings.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.ContainsAny(out.String(), "\u009b\u202e") {
		t.Errorf("raw C1/bidi in output: %q", out.String())
	}
	var hops []received.Hop
	if err := json.Unmarshal(out.Bytes(), &hops); err != nil || len(hops) != 1 || !strings.Contains(hops[0].Raw, "\u009b\u202e") {
		t.Errorf("decoded %v, %+v", err, hops)
	}
}

// TestGateNamesUnreadableInputs: when the gate's status (3) wins over an
// unreadable input's (1), standard error still says an input failed.
func TestGateNamesUnreadableInputs(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../testdata/examples/seed-forged.eml")
	if err != nil {
		t.Fatal(err)
	}
	forged, junk := filepath.Join(dir, "forged.eml"), filepath.Join(dir, "junk.eml")
	if err := os.WriteFile(forged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("junk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"mailtrace", "analyze", "--offline", "-f", "json", forged, junk}, strings.NewReader(""), &out, &errOut)
	if code != exitGate || !strings.Contains(errOut.String(), "1 input could not be read") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
