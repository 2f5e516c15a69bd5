package analyze

import (
	"context"
	"strings"
	"testing"
)

// TestDKIMSignedAfterCorpus: on real mail no signature is made after the
// newest Received line. The only messages that say otherwise are samples
// other projects edited: their names and dates were rewritten, not the
// signatures.
func TestDKIMSignedAfterCorpus(t *testing.T) {
	edited := map[string]bool{
		"sisimai-bounces/0074.eml":    true, // anonymised: b= replaced by "...", dates rewritten
		"spamassassin-tdata/0081.eml": true, // anonymised (bounce.spamdomain.com): signed 9 days after its Received dates
	}
	srcs := loadRulesCorpus(t)
	a := New(Options{HeaderOnly: true, Now: corpusNow, DNSMode: "offline"})
	applicable := 0
	for _, s := range srcs {
		m := a.Analyze(context.Background(), Input{File: s.File, Raw: s.Raw})
		if newestTime(m.Hops) != nil && strings.Contains(string(s.Raw[:min(len(s.Raw), 64<<10)]), "DKIM-Signature") {
			applicable++
		}
		rel := strings.TrimPrefix(s.File, corpusDir+"/")
		for _, f := range m.Findings {
			if f.Rule == "dkim-signed-after" && !edited[rel] {
				t.Errorf("%s: %s", rel, f.Message)
			}
		}
	}
	if applicable < 20 {
		t.Errorf("only %d messages with a DKIM signature and a dated hop", applicable)
	}
}
