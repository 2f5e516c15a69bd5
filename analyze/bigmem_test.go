package analyze

import (
	"context"
	"testing"

	"github.com/mailtrace/mailtrace/internal/allocs"
)

// TestBigMessageMemory: analysing a large message allocates a small
// multiple of its size, whatever makes it large. Before, a 4 MiB header
// line cost 13 times its size (enmime copied every header line about six
// times), a folded field 14 (enmime, and package auth's entry for every
// line) and a text body 6 (enmime read it twice and copied it into a
// string). Reading the file is not counted here (TestReadAllSized).
func TestBigMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates tens of MB")
	}
	const size = 4 << 20
	a := New(Options{Now: rulesNow})
	for _, kind := range []string{"header-line", "text-body", "base64-attachment", "folded-field"} {
		raw := bigMessage(kind, size)
		var rep *MessageReport
		allocated := allocs.Bytes(func() { rep = a.Analyze(context.Background(), Input{Raw: raw}) })
		if rep.Verdict == VerdictError || rep.Body == nil {
			t.Fatalf("%s: verdict %s, body %+v: not analysed", kind, rep.Verdict, rep.Body)
		}
		t.Logf("%s: %.1f times its size", kind, float64(allocated)/float64(len(raw)))
		if limit := uint64(len(raw)) * 5 / 2; allocated > limit && !allocs.Distorted {
			t.Errorf("%s of %d bytes: the analysis allocated %d bytes, more than %d", kind, len(raw), allocated, limit)
		}
	}
}
