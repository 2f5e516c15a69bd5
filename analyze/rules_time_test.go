package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestLaterBy holds laterBy and earlierBy to comparing what Sub gives,
// over times from year 1 to 9999, with and without a monotonic reading,
// and differences past what a Duration holds, which Sub clamps.
func TestLaterBy(t *testing.T) {
	now := time.Now() // has a monotonic reading
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 5, 0, 1, time.FixedZone("", -8*3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), now, now.Add(time.Second), now.Add(-5 * time.Minute),
		now.Round(0),
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		times = append(times, time.Unix(r.Int64N(400*365*86400)-200*365*86400+1.7e9, r.Int64N(1e9)))
	}
	durs := []time.Duration{0, 1, -1, 2 * time.Second, -2 * time.Second, 5 * time.Minute, -5 * time.Minute,
		time.Hour, -time.Hour, 7 * 24 * time.Hour, -7 * 24 * time.Hour, 290 * 365 * 24 * time.Hour,
		-290 * 365 * 24 * time.Hour, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for range 50 {
		durs = append(durs, time.Duration(r.Int64()), time.Duration(r.Int64N(int64(30*24*time.Hour))-int64(15*24*time.Hour)))
	}
	for _, a := range times {
		for _, b := range times {
			for _, d := range durs {
				if got, want := laterBy(a, b, d), a.Sub(b) > d; got != want {
					t.Fatalf("laterBy(%v, %v, %v) = %v, want %v", a, b, d, got, want)
				}
				if got, want := earlierBy(a, b, d), a.Sub(b) < d; got != want {
					t.Fatalf("earlierBy(%v, %v, %v) = %v, want %v", a, b, d, got, want)
				}
			}
		}
	}
}

// refCheckFuture is checkFuture as it was: laterBy for every comparison.
func refCheckFuture(c *Context) []Finding {
	var out []Finding
	hops := c.Report.Hops
	now := c.Opts.Now()
	skew := c.skew()
	for i := range hops {
		if t := hops[i].Time; t != nil && laterBy(*t, now, skew) {
			out = append(out, Finding{Hops: []int{hops[i].Index}, Line: hops[i].Line,
				Message:  fmt.Sprintf("hop %d is stamped %s after now", hops[i].Index, formatDelay(t.Sub(now))),
				Evidence: stamp(&hops[i])})
		}
	}
	date := c.Report.Header.Date
	if date == nil {
		return out
	}
	last := newestTime(hops)
	switch {
	case last != nil && laterBy(*date, *last, skew):
		sev, note := clockError(date.Sub(*last), c.skew())
		sev = capSeverity(sev, SeverityLow)
		out = append(out, Finding{Hops: []int{hops[len(hops)-1].Index}, Severity: sev,
			Message:  fmt.Sprintf("Date is %s after the final receiver's stamp%s", formatDelay(date.Sub(*last)), note),
			Evidence: "Date: " + c.Report.Header.DateText + " | final hop: " + last.Format(time.RFC1123Z)})
	case laterBy(*date, now, skew):
		out = append(out, Finding{Severity: SeverityLow, Message: fmt.Sprintf("Date is %s after now", formatDelay(date.Sub(now))),
			Evidence: "Date: " + c.Report.Header.DateText})
	}
	return out
}

// TestCheckFutureMatchesReference holds checkFuture, which adds the skew
// to now once and compares a Date with the final stamp before adding the
// skew to that, to laterBy's answers, on the corpus's chains with Dates
// around the final stamp and now, with the skew unset, negative and set.
func TestCheckFutureMatchesReference(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	offsets := []time.Duration{-time.Hour, -time.Second, 0, time.Nanosecond, time.Second, 4 * time.Minute,
		5 * time.Minute, 5*time.Minute + 1, 6 * time.Minute, 3 * time.Hour, 400 * 24 * time.Hour}
	n := 0
	for name, chain := range corpusAndTestdataHops(t) {
		for _, skew := range []time.Duration{0, -time.Minute, time.Second, 5 * time.Minute, 2 * time.Hour} {
			opts := &Options{ClockSkew: skew, Now: func() time.Time { return now }}
			bases := []time.Time{now}
			if last := newestTime(chain); last != nil {
				bases = append(bases, *last)
			}
			for _, base := range bases {
				for _, off := range offsets {
					date := base.Add(off)
					c := &Context{Opts: opts, Report: &MessageReport{Hops: chain}}
					c.Report.Header.Date, c.Report.Header.DateText = &date, date.Format(time.RFC1123Z)
					if got, want := checkFuture(c), refCheckFuture(c); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s, skew %v, Date %v: %+v, want %+v", name, skew, date, got, want)
					}
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no chains")
	}
}
