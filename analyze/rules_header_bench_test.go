package analyze

import (
	"context"
	"testing"
	"time"
)

// headerRuleFiles are the files of the header, address and envelope
// rules (lookalike, display name, hidden recipients, envelope sender,
// Sender and Reply-To mismatch, Message-ID, duplicates, missing fields,
// provider fingerprints, parse findings).
var headerRuleFiles = map[string]bool{"rules_lookalike.go": true, "rules_header.go": true, "rules_envelope.go": true,
	"rules_provider.go": true, "rules_parse.go": true}

// BenchmarkHeaderChecks runs the header and envelope rules alone on each
// message of the corpus, with the stages they share (trust inference, the
// offline authentication description, the fields' index, the recipients'
// families) worked out before the timer. "none" runs no rule, to be taken
// away from "every" (under callgrind, at two iteration counts, as
// judge-ir.sh does); the others run one rule each. (Not "Rules" and "all":
// judge-ir.sh's pattern, Rules/all$, would run it too.)
func BenchmarkHeaderChecks(b *testing.B) {
	raws := rulesBenchMessages(b)
	var msgs []prepared
	for _, r := range raws {
		if p, ok := headerPath(r); ok {
			msgs = append(msgs, p)
		}
	}
	opts := &Options{Now: corpusNow, ClockSkew: 5 * time.Minute, HeaderOnly: true, DNSMode: "offline"}
	var pre []*Context
	for _, p := range msgs {
		c := p.trusted(opts)
		c.authResult()
		c.fields()
		c.recipientFamilies()
		pre = append(pre, c)
	}
	var mine []*Rule
	for _, r := range registry {
		if headerRuleFiles[ruleFile(*r)] {
			mine = append(mine, r)
		}
	}
	run := func(b *testing.B, rules []*Rule) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := i % len(msgs)
			p := msgs[k]
			c := &Context{Ctx: context.Background(), Msg: p.msg, Report: p.rep, Opts: opts}
			c.Trust, c.authRes = pre[k].Trust, pre[k].authRes
			c.fieldIdx = pre[k].fieldIdx
			c.rcptCache, c.rcptFacts, c.cacheReady = pre[k].rcptCache, pre[k].rcptFacts, pre[k].cacheReady
			for _, r := range rules {
				r.Check(c)
			}
		}
	}
	b.Run("none", func(b *testing.B) { run(b, nil) })
	b.Run("every", func(b *testing.B) { run(b, mine) })
	for _, r := range mine {
		b.Run(r.ID, func(b *testing.B) { run(b, []*Rule{r}) })
	}
}
