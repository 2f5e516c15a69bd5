package analyze

import (
	"math"
	"math/rand/v2"
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
