package analyze

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Microsoft 365 arrival time: Exchange Online records when a message
// first reached it in X-MS-Exchange-CrossTenant-OriginalArrivalTime, and
// its own servers stamp their Received lines from then on.
func init() {
	register(&Rule{
		ID: "ms365-arrival-time", Severity: SeverityMedium,
		Field: "X-MS-Exchange-CrossTenant-OriginalArrivalTime",
		Title: "Microsoft 365 hop stamped away from its own arrival record",
		Explain: "Exchange Online writes when a message first reached it " +
			"(X-MS-Exchange-CrossTenant-OriginalArrivalTime, in UTC) and stamps the Received lines of its " +
			"own servers from that moment on: on real mail they follow it within seconds. A Microsoft 365 " +
			"hop stamped more than a minute before that record, or a first such hop more than an hour " +
			"after it, was re-dated after delivery. It needs no DNS.",
		Example: "X-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Aug 2023 10:06:12.2857 (UTC)\n" +
			"Received: from CY8PR05MB9817.namprd05.prod.outlook.com by BN9P220CA0018.outlook.office365.com ...; Thu, 31 Aug 2023 07:06:13 +0000",
		Check: checkMSArrivalTime,
	})
}

// msArrivalField is where Microsoft 365 records the arrival.
const msArrivalField = "X-MS-Exchange-CrossTenant-OriginalArrivalTime"

// How far Microsoft 365's own hops may sit from its arrival record.
const (
	msArrivalEarly = time.Minute
	msArrivalLate  = time.Hour
)

func checkMSArrivalTime(c *Context) []Finding {
	arrival, raw, ok := c.msArrival()
	if !ok {
		return nil
	}
	hf := c.hopFacts()
	var out []Finding
	var first *time.Time
	firstHop := 0
	hops := c.Report.Hops
	for i := range hops {
		h := &hops[i]
		if h.Time == nil || !hf[i].by.msInternal {
			continue
		}
		if first == nil || h.Time.Before(*first) {
			first, firstHop = h.Time, i
		}
		if earlierBy(*h.Time, arrival, -msArrivalEarly) {
			out = append(out, msArrivalFinding(h, arrival, raw, h.Time.Sub(arrival)))
		}
	}
	if first != nil && laterBy(*first, arrival, msArrivalLate) {
		out = append(out, msArrivalFinding(&c.Report.Hops[firstHop], arrival, raw, first.Sub(arrival)))
	}
	return out
}

func msArrivalFinding(h *received.Hop, arrival time.Time, raw string, d time.Duration) Finding {
	return Finding{Hops: []int{h.Index}, Line: h.Line,
		Message: fmt.Sprintf("hop %d, a Microsoft 365 server, is stamped %s: %s from the arrival Microsoft 365 recorded (%s)",
			h.Index, h.Time.UTC().Format(time.RFC3339), formatDelay(d), arrival.Format(time.RFC3339)),
		Evidence: "X-MS-Exchange-CrossTenant-OriginalArrivalTime: " + raw + " | by " + h.By.Host + "; " + stamp(h)}
}

// msArrival reads the earliest X-MS-Exchange-CrossTenant-OriginalArrivalTime
// ("31 Aug 2023 10:06:13.2857 (UTC)"; the fraction and the zone comment
// optional, the time always UTC), and returns it with the value as written.
func (c *Context) msArrival() (time.Time, string, bool) {
	var best time.Time
	raw, found := "", false
	for _, i := range c.fields().msArrival {
		value := c.Msg.Fields[i].Unfolded()
		v := value
		if j := strings.IndexAny(v, ".("); j >= 0 {
			v = strings.TrimSpace(v[:j])
		}
		t, err := time.Parse("2 Jan 2006 15:04:05", v)
		if err != nil {
			continue
		}
		if !found || t.Before(best) {
			best, raw, found = t, value, true
		}
	}
	return best, raw, found
}
