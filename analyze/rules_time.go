package analyze

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Time rules: hops are stamped by the host that received the message
// (RFC 5321 §4.4), so stamps must rise along the chain, within the clock
// skew tolerance (--clock-skew, default 5 minutes). Delays keep their
// sign: a step backwards is reported as negative, never wrapped.
func init() {
	register(&Rule{
		ID: "time-travel", Severity: SeverityMedium,
		Title: "Hop stamped before the hop below it",
		Explain: "A hop says it received the message earlier than the hop before it sent it, by more than the " +
			"clock-skew tolerance. A forger who invents lines gets the order wrong; misset clocks do it " +
			"too, so a whole number of hours (a wrong time zone) is info, up to an hour (drift) is low, " +
			"and more is medium when a trusted hop is involved, low between two claimed hops. Two stamps " +
			"by one host (not a provider's fleet name) share a clock: a step back of more than two " +
			"seconds between them is low even within the tolerance.",
		Example: "Received: ... by b.example; Mon, 1 Jan 2024 10:00:00 +0000\n" +
			"Received: ... by a.example; Mon, 1 Jan 2024 11:30:00 +0000",
		Check: checkTimeTravel,
	})
	register(&Rule{
		ID: "date-header-skew", Severity: SeverityLow,
		Field: "Date",
		Title: "Date header far from the first hop",
		Explain: "The Date field (RFC 5322 §3.6.1) is when the author submitted the message; the first hop " +
			"is stamped soon after. A Date later than the first hop means the message was dated after it " +
			"was sent (low); a Date days before the first hop is common for delayed or resent mail and is " +
			"shown as info.",
		Example: "Date: Mon, 1 Jan 2024 12:00:00 +0000\nReceived: ... ; Mon, 1 Jan 2024 10:00:00 +0000",
		Check:   checkDateSkew,
	})
	register(&Rule{
		ID: "date-future", Severity: SeverityMedium,
		Field: "Date",
		Title: "Date in the future",
		Explain: "A hop is stamped later than now (the injectable clock): medium, no honest receiver " +
			"does that. A Date field later than the final receiver's stamp or than now: low at most, since " +
			"the Date is the author's clock (a whole number of hours is a wrong time zone: info). Nothing " +
			"is written after it was delivered; a message's age alone is never a finding.",
		Example: "Date: Fri, 1 Jan 2100 00:00:00 +0000",
		Check:   checkFuture,
	})
	register(&Rule{
		ID: "transit-time", Severity: SeverityLow,
		Title: "Implausible transit time",
		Explain: "The oldest and newest hops are more than seven days apart. MTAs give up on a message after " +
			"about five days (Postfix maximal_queue_lifetime, Sendmail Timeout.queuereturn), so a longer " +
			"transit means the stamps were invented or the message was re-injected. Medium, too, when two " +
			"hops written by one organisation or provider are more than a day apart: mail crosses one " +
			"organisation's servers in seconds, so one of the two dates was edited.",
		Example: "Received: ... ; Mon, 1 Jan 2024 ...\nReceived: ... ; Mon, 15 Jan 2024 ...",
		Check:   checkTransit,
	})
}

// formatDelay renders a signed duration: "-1h30m0s", "+4m5s", "+12d3h".
func formatDelay(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	if d >= 48*time.Hour {
		days := d / (24 * time.Hour)
		return sign + strconv.FormatInt(int64(days), 10) + "d" + strconv.FormatInt(int64((d-days*24*time.Hour)/time.Hour), 10) + "h"
	}
	return sign + d.Round(time.Second).String()
}

// laterBy reports t.Sub(u) > d, and earlierBy t.Sub(u) < d, by comparing
// t with u.Add(d) instead: Sub checks the difference it works out for
// overflow by adding it back to u and comparing, several times the work,
// and most stamps are compared only to find them in order. The answers
// are Sub's, a difference out of Duration's range (which Sub clamps to
// it) included (TestLaterBy), for times a Duration can be added to
// without leaving time.Time's range (some 292 billion years).
func laterBy(t, u time.Time, d time.Duration) bool {
	return d < math.MaxInt64 && t.After(u.Add(d))
}

func earlierBy(t, u time.Time, d time.Duration) bool {
	return d > math.MinInt64 && t.Before(u.Add(d))
}

// capSeverity lowers s to at most max.
func capSeverity(s, max Severity) Severity {
	if SeverityWeight(s) > SeverityWeight(max) {
		return max
	}
	return s
}

// zoneDrift is how far from a whole number of hours a clock difference may
// be and still read as a wrong time zone.
const zoneDrift = 5 * time.Minute

// clockError grades a clock difference d that should not exist. A whole
// number of hours up to 15 is the mark of a wrong time-zone setting
// (a misconfigured host, daylight saving), not of a forger: info. Up to an
// hour is clock drift: low. More is medium. A wide --clock-skew widens what
// counts as out of order, not what counts as a whole number of hours: a
// zone error stays within zoneDrift of one.
func clockError(d, skew time.Duration) (Severity, string) {
	if d < 0 {
		d = -d
	}
	off := d - d.Round(time.Hour)
	if off < 0 {
		off = -off
	}
	switch {
	case d >= time.Hour-skew && d <= 15*time.Hour+skew && off <= min(skew, zoneDrift):
		return SeverityInfo, " (whole hours: a wrong time zone)"
	case d <= time.Hour:
		return SeverityLow, " (clock drift)"
	}
	return SeverityMedium, ""
}

// stamps is the evidence of two hops' dates.
func stamps(older, newer *received.Hop) string {
	return "hop " + strconv.Itoa(older.Index) + ": " + stamp(older) + " | hop " + strconv.Itoa(newer.Index) + ": " + stamp(newer)
}

func stamp(h *received.Hop) string {
	if h.DateText != "" {
		return h.DateText
	}
	if h.Time != nil {
		return h.Time.Format(time.RFC1123Z)
	}
	return "-"
}

// checkTimeTravel compares each dated hop with the newest older hop that
// has a date, so an undated line in between does not hide a step back.
func checkTimeTravel(c *Context) []Finding {
	hops := c.Report.Hops
	var out []Finding
	prev := -1
	for i := range hops {
		if hops[i].Time == nil {
			continue
		}
		// Both findings are of a step back: most hops step forward.
		if prev >= 0 && hops[i].Time.Before(*hops[prev].Time) {
			d := hops[i].Time.Sub(*hops[prev].Time)
			if d < -c.skew() {
				out = append(out, travelFinding(&hops[prev], &hops[i], d, c.skew()))
			} else if d < -sameClockSlack && sameClock(&hops[prev], &hops[i]) {
				out = append(out, sameClockFinding(&hops[prev], &hops[i], d))
			}
		}
		prev = i
	}
	return out
}

// sameClockFinding is a step back within the allowance for two clocks,
// between two stamps of one host: low, since a clock can be stepped back
// once (NTP), but one host's two lines rarely disagree otherwise.
func sameClockFinding(older, newer *received.Hop, d time.Duration) Finding {
	return Finding{Hops: []int{older.Index, newer.Index}, Line: newer.Line, Severity: SeverityLow,
		Message: fmt.Sprintf("hop %d is stamped %s after hop %d, both by %s: one host's clock went back",
			newer.Index, formatDelay(d), older.Index, newer.By.Host),
		Evidence: stamps(older, newer)}
}

// sameClockSlack is how far one host's stamps may go back: they are
// written in whole seconds, and some MTAs drop the fraction, others round.
const sameClockSlack = 2 * time.Second

// sameClock reports two hops stamped by the same host, so by one clock
// ("by relay.example.net" twice, a content filter's loop): the allowance
// for clocks that disagree does not apply between them. A provider's name
// stands for a fleet of machines (mx.google.com), so it does not count.
func sameClock(older, newer *received.Hop) bool {
	a, b := facts(older.By.Host), facts(newer.By.Host)
	return a.fqdn && a.clean == b.clean && !a.provider
}

func travelFinding(older, newer *received.Hop, d, skew time.Duration) Finding {
	sev, note := clockError(d, skew)
	if sev == SeverityMedium && !older.Trusted && !newer.Trusted {
		sev = SeverityLow // two claims disagreeing say little
	}
	return Finding{Hops: []int{older.Index, newer.Index}, Line: newer.Line, Severity: sev,
		Message:  "hop " + strconv.Itoa(newer.Index) + " is stamped " + formatDelay(d) + " after hop " + strconv.Itoa(older.Index) + note,
		Evidence: stamps(older, newer)}
}

// firstDated returns the oldest hop with a date.
func firstDated(hops []received.Hop) *received.Hop {
	for i := range hops {
		if hops[i].Time != nil {
			return &hops[i]
		}
	}
	return nil
}

func checkDateSkew(c *Context) []Finding {
	date := c.Report.Header.Date
	first := firstDated(c.Report.Hops)
	if date == nil || first == nil {
		return nil
	}
	// d, positive when the hop came after the Date as it should, is
	// worked out only past the usual case: between -skew and three days.
	if !earlierBy(*first.Time, *date, -c.skew()) && !laterBy(*first.Time, *date, 3*24*time.Hour) {
		return nil
	}
	d := first.Time.Sub(*date)
	ev := "Date: " + c.Report.Header.DateText + " | hop " + strconv.Itoa(first.Index) + ": " + stamp(first)
	switch {
	case d < -c.skew():
		if last := newestTime(c.Report.Hops); last != nil && date.Sub(*last) > c.skew() {
			return nil // date-future reports it: the Date is after delivery too
		}
		sev, note := clockError(d, c.skew())
		sev = capSeverity(sev, SeverityLow) // the Date is the author's word, not a trace
		return []Finding{{Hops: []int{first.Index}, Line: first.Line, Severity: sev, Evidence: ev,
			Message: "Date is " + formatDelay(-d) + " after the first hop received the message" + note}}
	case d > 3*24*time.Hour:
		return []Finding{{Hops: []int{first.Index}, Line: first.Line, Severity: SeverityInfo, Evidence: ev,
			Message: "the first hop is " + formatDelay(d) + " after the Date"}}
	}
	return nil
}

func checkFuture(c *Context) []Finding {
	var out []Finding
	hops := c.Report.Hops
	var now time.Time
	if c.Opts != nil && c.Opts.Now != nil {
		now = c.Opts.Now()
	} else {
		now = time.Now()
	}
	skew := c.skew()
	// laterBy(t, now, skew) for every hop: now.Add(skew) worked out once.
	limit, bounded := now.Add(skew), skew < math.MaxInt64
	for i := range hops {
		if t := hops[i].Time; t != nil && bounded && t.After(limit) {
			out = append(out, Finding{Hops: []int{hops[i].Index}, Line: hops[i].Line,
				Message:  "hop " + strconv.Itoa(hops[i].Index) + " is stamped " + formatDelay(t.Sub(now)) + " after now",
				Evidence: stamp(&hops[i])})
		}
	}
	date := c.Report.Header.Date
	if date == nil {
		return out
	}
	last := newestTime(hops)
	switch {
	// The skew is positive (Context.skew): a Date not after the final
	// stamp is not later than it by the skew, told without laterBy's sum.
	case last != nil && date.After(*last) && laterBy(*date, *last, skew):
		sev, note := clockError(date.Sub(*last), c.skew())
		sev = capSeverity(sev, SeverityLow) // a wrong clock on the author's machine does this
		out = append(out, Finding{Hops: []int{hops[len(hops)-1].Index}, Severity: sev,
			Message:  "Date is " + formatDelay(date.Sub(*last)) + " after the final receiver's stamp" + note,
			Evidence: "Date: " + c.Report.Header.DateText + " | final hop: " + last.Format(time.RFC1123Z)})
	case bounded && date.After(limit): // laterBy(*date, now, skew)
		out = append(out, Finding{Severity: SeverityLow, Message: "Date is " + formatDelay(date.Sub(now)) + " after now",
			Evidence: "Date: " + c.Report.Header.DateText})
	}
	return out
}

func checkTransit(c *Context) []Finding {
	out := c.internalGaps()
	hops := c.Report.Hops
	first, last := firstDated(hops), newestTime(hops)
	if first == nil || last == nil {
		return out
	}
	if !laterBy(*last, *first.Time, 7*24*time.Hour) {
		return out
	}
	d := last.Sub(*first.Time)
	lastHop := &hops[len(hops)-1]
	for i := len(hops) - 1; i >= 0; i-- {
		if hops[i].Time != nil {
			lastHop = &hops[i]
			break
		}
	}
	return append(out, Finding{Hops: []int{first.Index, lastHop.Index}, Line: lastHop.Line,
		Message:  fmt.Sprintf("transit took %s from hop %d to hop %d", formatDelay(d), first.Index, lastHop.Index),
		Evidence: stamps(first, lastHop)})
}

// maxInternalGap is how long two hops written by one organisation may be
// apart: its servers hand mail on in seconds; a queue that held it longer
// than a day is rarer than an edited date.
const maxInternalGap = 24 * time.Hour

// internalGaps reports adjacent hops whose by-hosts belong to one
// organisation or provider family and whose dates are more than
// maxInternalGap apart.
func (c *Context) internalGaps() []Finding {
	hops, hf := c.Report.Hops, c.hopFacts()
	var out []Finding
	for i := 1; i < len(hops); i++ {
		older, newer := &hops[i-1], &hops[i]
		ob, nb := hf[i-1].by, hf[i].by
		if older.Time == nil || newer.Time == nil || !ob.fqdn || !nb.fqdn || ob.family != nb.family {
			continue
		}
		if laterBy(*newer.Time, *older.Time, maxInternalGap) {
			d := newer.Time.Sub(*older.Time)
			out = append(out, Finding{Severity: SeverityMedium, Hops: []int{older.Index, newer.Index}, Line: newer.Line,
				Message: fmt.Sprintf("hop %d is %s after hop %d, both written by %s, whose servers hand mail on in seconds: one of the dates was edited",
					newer.Index, formatDelay(d), older.Index, ob.family),
				Evidence: stamps(older, newer)})
		}
	}
	return out
}
