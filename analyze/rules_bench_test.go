package analyze

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/cputime"
	"github.com/mailtrace/mailtrace/received"
)

// The rules must cost at most a third of the header-only path.
// BenchmarkHeaderOnlyShare measures exactly that: the header-only path as
// Analyze runs it, with the rules' half (trust inference, every rule, the
// verdict) timed apart from the reading half. The others break it down,
// one message at a time over the corpus (testdata when the corpus is
// absent): BenchmarkHeaderOnly is split + chain + summary + envelope, no
// rules; BenchmarkRules is judge (trust inference, every rule, the verdict,
// in a pooled Context as Analyze runs them) on the result of that path,
// offline. Its "all" and "offline" (without the
// DNS and authentication rule files) run as `mailtrace analyze
// --header-only --offline` does (Options.HeaderOnly: no DKIM body hash);
// "all-bodyhash" is "all" as the full path runs it, with the body hashes.

type prepared struct {
	msg *Message
	rep *MessageReport
}

// trusted is a Context for p's message with its trust inferred, as judge
// starts one.
func (p prepared) trusted(opts *Options) *Context {
	c := &Context{Ctx: context.Background(), Msg: p.msg, Report: p.rep, Opts: opts}
	c.Trust = inferTrust(c.Ctx, p.rep.Hops, opts, false)
	return c
}

// headerPath is the header-only path without rules.
func headerPath(raw []byte) (prepared, bool) {
	msg, err := Split(raw)
	if err != nil {
		return prepared{}, false
	}
	rep := &MessageReport{Findings: []Finding{}, Fields: msg.Fields}
	rep.Header = summarize(msg)
	rep.Hops = chainOf(msg)
	rep.Envelope, _, _ = envelopeFromTrace(msg, rep.Hops)
	return prepared{msg, rep}, true
}

// BenchmarkHeaderOnlyShare is the measure the target is about: the whole
// header-only path as `mailtrace analyze --header-only --offline` runs it
// (Analyze: read, then judge), one message at a time, with each half timed
// on the wall clock. "rules-share" is judge's part of the path: trust
// inference, every rule and the verdict. Running the two halves of each
// message back to back keeps them under the same load, so the share holds
// on a busy machine where the µs figures do not.
func BenchmarkHeaderOnlyShare(b *testing.B) {
	raws := rulesBenchMessages(b)
	a := New(Options{Now: corpusNow, HeaderOnly: true, DNSMode: "offline"})
	ctx := context.Background()
	var reading, judging time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Used()
	for i := 0; i < b.N; i++ {
		in := Input{Raw: raws[i%len(raws)]}
		t0 := time.Now()
		rep, msg := a.read(in)
		t1 := time.Now()
		if msg != nil {
			a.judge(ctx, in, msg, rep)
		}
		reading += t1.Sub(t0)
		judging += time.Since(t1)
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(judging)/float64(reading+judging), "rules-share")
	b.ReportMetric(float64(judging.Nanoseconds())/1e3/float64(b.N), "rules-µs/msg")
	b.ReportMetric(float64(reading.Nanoseconds())/1e3/float64(b.N), "read-µs/msg")
}

func BenchmarkHeaderOnly(b *testing.B) {
	raws := rulesBenchMessages(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Used()
	for i := 0; i < b.N; i++ {
		headerPath(raws[i%len(raws)])
	}
	reportCPU(b, cpu)
}

func BenchmarkRules(b *testing.B) {
	raws := rulesBenchMessages(b)
	var msgs []prepared
	for _, r := range raws {
		if p, ok := headerPath(r); ok {
			msgs = append(msgs, p)
		}
	}
	// judged runs judge itself on each message, as Analyze does after
	// read: trust inference, every rule of rules (runRules, in a pooled
	// Context), the verdict and the findings' cap. The report's findings
	// and verdict are written over on each run.
	judged := func(b *testing.B, rules []*Rule, headerOnly bool) {
		var disabled []string
		for _, r := range registry {
			if !slices.Contains(rules, r) {
				disabled = append(disabled, r.ID)
			}
		}
		a := New(Options{Now: corpusNow, HeaderOnly: headerOnly, DNSMode: "offline", Disabled: disabled})
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cputime.Used()
		for i := 0; i < b.N; i++ {
			p := msgs[i%len(msgs)]
			a.judge(ctx, Input{}, p.msg, p.rep)
		}
		reportCPU(b, cpu)
	}
	// staged runs the rules on each message with the two per-message
	// stages they share worked out before the timer: trust inference
	// (which also marks the report's hops trusted) and the offline
	// authentication description (which fills the report's auth section
	// and, offline, yields no finding).
	staged := func(b *testing.B, rules []*Rule) {
		opts := &Options{Now: corpusNow, ClockSkew: 5 * time.Minute, HeaderOnly: true, DNSMode: "offline"}
		var pre []*Context
		for _, p := range msgs {
			c := p.trusted(opts)
			c.authResult()
			pre = append(pre, c)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cputime.Used()
		for i := 0; i < b.N; i++ {
			k := i % len(msgs)
			p := msgs[k]
			c := &Context{Ctx: context.Background(), Msg: p.msg, Report: p.rep, Opts: opts}
			c.Trust, c.authRes = pre[k].Trust, pre[k].authRes
			var out []Finding
			for _, r := range rules {
				out = append(out, r.Check(c)...)
			}
			verdictOf(out)
		}
		reportCPU(b, cpu)
	}
	b.Run("all", func(b *testing.B) { judged(b, registry, true) })
	b.Run("all-bodyhash", func(b *testing.B) { judged(b, registry, false) })
	// "checks" is "all" without the shared stages: the checks alone.
	b.Run("checks", func(b *testing.B) { staged(b, registry) })
	b.Run("offline", func(b *testing.B) {
		var mine []*Rule
		for _, r := range registry {
			if offlineRuleFiles[ruleFile(*r)] {
				mine = append(mine, r)
			}
		}
		judged(b, mine, true)
	})
}

// chainOf is the chain read builds of a message.
func chainOf(msg *Message) []received.Hop {
	fields, _, _ := receivedFields(msg)
	return received.BuildChain(fields).Hops
}
