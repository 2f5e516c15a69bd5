package analyze

import (
	"reflect"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// refAppendMarks is appendMarks as it was: every mark, however few, the
// date's compared with the final receiver's stamp through laterBy.
func refAppendMarks(c *Context, h *received.Hop, f *hopFacts, dup bool) []string {
	var marks []string
	if h.Parsed == received.ParsedNone {
		marks = append(marks, "a shape no MTA writes")
	}
	if missingIP(h, f) {
		marks = append(marks, "names a client without its IP address")
	}
	if m := versionMark(h); m != "" {
		marks = append(marks, m)
	}
	if dup {
		marks = append(marks, "exact duplicate of another Received line")
	}
	m := ""
	switch {
	case h.Parsed == received.ParsedNone:
	case h.Time == nil:
		m = "no date"
	case h.Time.Year() < 1982:
		m = "dated before SMTP existed"
	default:
		if last := newestTime(c.Report.Hops); last != nil && h.Time.Sub(*last) > c.skew() {
			if sev, _ := clockError(h.Time.Sub(*last), c.skew()); sev != SeverityInfo {
				m = "dated after the final receiver's stamp"
			}
		}
	}
	if m != "" {
		marks = append(marks, m)
	}
	return marks
}

// TestAppendMarksMatchesReference holds appendMarks, which stops before
// the Sendmail version when the marks cannot reach the number the rule
// needs, to the full list: the same list when it has that many, fewer otherwise. The
// chains are the corpus's and the test messages', and each again with its
// dates moved: undated, before 1982, and after the final stamp by a whole
// number of hours, by minutes and by days, with the skew at its default
// and at a few others.
func TestAppendMarksMatchesReference(t *testing.T) {
	dates := []func(last time.Time) *time.Time{
		func(time.Time) *time.Time { return nil },
		func(time.Time) *time.Time { d := time.Date(1979, 6, 1, 0, 0, 0, 0, time.UTC); return &d },
		func(time.Time) *time.Time {
			d := time.Date(1982, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600))
			return &d
		},
		func(l time.Time) *time.Time { d := l.Add(3 * time.Hour); return &d },
		func(l time.Time) *time.Time { d := l.Add(20 * time.Minute); return &d },
		func(l time.Time) *time.Time { d := l.Add(4 * time.Minute); return &d },
		func(l time.Time) *time.Time { d := l.Add(50 * time.Hour); return &d },
	}
	checked := 0
	for name, chain := range corpusAndTestdataHops(t) {
		for _, skew := range []time.Duration{0, time.Second, 5 * time.Minute, 2 * time.Hour} {
			for v := -1; v < len(dates); v++ {
				hops := append([]received.Hop(nil), chain...)
				if v >= 0 {
					last := newestTime(hops)
					if last == nil {
						continue
					}
					for i := range hops[:len(hops)-1] {
						if i%2 == v%2 {
							hops[i].Time = dates[v](*last)
						}
					}
				}
				c := &Context{Report: &MessageReport{Hops: hops}, Opts: &Options{ClockSkew: skew}}
				hf, final := factsOf(hops, nil), c.finalStamp()
				for i := range hops {
					for _, dup := range []bool{false, true} {
						want := refAppendMarks(c, &hops[i], &hf[i], dup)
						for need := 1; need <= 2; need++ {
							got := c.appendMarks(&hops[i], &hf[i], dup, need, &final)
							if len(want) >= need && !reflect.DeepEqual(got, want) || len(want) < need && len(got) >= need {
								t.Fatalf("%s hop %d, skew %v, dup %v, need %d: marks %q, want %q", name, i+1, skew, dup, need, got, want)
							}
							checked++
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no hops")
	}
	t.Logf("%d cases", checked)
}
