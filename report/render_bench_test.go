package report

import (
	"io"
	"testing"
)

// BenchmarkRender renders the example messages in each format, to see what
// rendering adds to a batch run's emitting goroutine.
func BenchmarkRender(b *testing.B) {
	rep := analyzeFiles(b, "testdata/examples/*.eml", "testdata/mta/*.eml")
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if err := Render(io.Discard, format, rep, testOptions()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(rep.Messages))/b.Elapsed().Seconds(), "msg/s")
		})
	}
}
