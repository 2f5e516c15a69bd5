package analyze

import (
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/cputime"
)

// BenchmarkAuthOffline times the auth step of a header-only offline
// judge alone (Context.authResult), over the messages
// BenchmarkHeaderOnlyShare reads: trust and the Authentication-Results
// classification the step shares with other rules are worked out before
// the timer, so what is timed is auth's own part.
func BenchmarkAuthOffline(b *testing.B) {
	opts := &Options{Now: corpusNow, ClockSkew: 5 * time.Minute, HeaderOnly: true, DNSMode: "offline"}
	var cs []*Context
	for _, r := range rulesBenchMessages(b) {
		p, ok := headerPath(r)
		if !ok {
			continue
		}
		c := p.trusted(opts)
		c.fields()
		c.authResults()
		cs = append(cs, c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Used()
	for i := 0; i < b.N; i++ {
		c := cs[i%len(cs)]
		c.authRes = nil
		c.authResult()
	}
	reportCPU(b, cpu)
}
