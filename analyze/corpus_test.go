package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/cputime"
)

// corpusDir holds real messages written by others (../shared/corpus); tests
// that read it skip when it is absent.
const corpusDir = "../../shared/corpus"

type corpusMessage struct {
	name string
	raw  []byte
}

func loadCorpus(tb testing.TB) []corpusMessage {
	tb.Helper()
	var out []corpusMessage
	err := filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, corpusMessage{name: strings.TrimPrefix(path, corpusDir+"/"), raw: raw})
		return nil
	})
	if err != nil || len(out) == 0 {
		tb.Skipf("no corpus at %s: %v", corpusDir, err)
	}
	return out
}

// TestCorpusNoPanic analyses every corpus message on both paths: every one
// must yield a report, and the header path must find fields in all but
// deliberately broken ones.
func TestCorpusNoPanic(t *testing.T) {
	msgs := loadCorpus(t)
	now := func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }
	full, headerOnly := New(Options{Now: now}), New(Options{Now: now, HeaderOnly: true})
	var errs, hops int
	for _, m := range msgs {
		r := full.Analyze(context.Background(), Input{File: m.name, Raw: m.raw})
		h := headerOnly.Analyze(context.Background(), Input{File: m.name, Raw: m.raw})
		if r.Error != "" {
			errs++
			t.Logf("%s: %s", m.name, r.Error)
		}
		if len(r.Hops) != len(h.Hops) {
			t.Errorf("%s: full path found %d hops, header-only %d", m.name, len(r.Hops), len(h.Hops))
		}
		hops += len(r.Hops)
	}
	t.Logf("corpus: %d messages, %d hops, %d unreadable", len(msgs), hops, errs)
	if errs*100 > len(msgs) {
		t.Errorf("%d of %d corpus messages unreadable", errs, len(msgs))
	}
}

func benchCorpus(b *testing.B, opts Options) {
	msgs := loadCorpus(b)
	a := New(opts)
	ctx := context.Background()
	var bytes int64
	for _, m := range msgs {
		bytes += int64(len(m.raw))
	}
	b.SetBytes(bytes / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Used()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m := msgs[i%len(msgs)]
			a.Analyze(ctx, Input{File: m.name, Raw: m.raw})
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	reportCPU(b, cpu)
}

// reportCPU adds the CPU time per message since cpu: on a shared machine
// wall time hides what the work costs, and an idle machine's throughput
// is about NumCPU / cpu-µs.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/1e3/float64(b.N), "cpu-µs/msg")
}

// BenchmarkCorpusHeaderOnly is the header-only path (split, chain,
// envelope, rules) over the corpus, on all CPUs.
func BenchmarkCorpusHeaderOnly(b *testing.B) { benchCorpus(b, Options{HeaderOnly: true}) }

// BenchmarkCorpusFull adds MIME decoding through enmime.
func BenchmarkCorpusFull(b *testing.B) { benchCorpus(b, Options{}) }
