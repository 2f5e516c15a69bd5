package analyze

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/received"
)

// ARC seal time: an intermediary seals the message (RFC 8617 ARC-Seal,
// t= its signing time) as it takes it in, so the seal and the Received
// line that host wrote for it carry the same moment.
func init() {
	register(&Rule{
		ID: "arc-seal-time", Severity: SeverityMedium,
		Title: "ARC seal time disagrees with the sealer's Received line",
		Explain: "An intermediary that adds an ARC set (RFC 8617) seals it as it receives the message: the " +
			"ARC-Seal's t= and the Received line of the same organisation just below the set name the same " +
			"moment (on real mail within a second; sealing up to ten minutes after reception and a minute " +
			"before it are let pass). A line stamped hours or days away from its own seal was re-dated after " +
			"delivery: the seal's time is inside a signature, the Received date is not. It needs no DNS.",
		Example: "ARC-Seal: i=1; ... d=google.com; t=1674807084 (08:11:24 UTC)\n" +
			"Received: from mail-sor-f41.google.com ... by mx.google.com ...; Fri, 27 Jan 2023 00:11:24 -1100",
		Check: checkARCSealTime,
	})
}

// A seal may follow its reception by this much, or precede it by sealEarly
// (two clocks of one organisation).
const (
	sealLate  = 10 * time.Minute
	sealEarly = time.Minute
)

func checkARCSealTime(c *Context) []Finding {
	res := c.authResult()
	if res.ARC == nil || len(res.ARC.Sets) == 0 {
		return nil
	}
	var out []Finding
	for _, set := range res.ARC.Sets {
		if set.Seal == nil || set.Seal.Line <= 0 || set.Sealed == nil || set.Sealed.Unix() <= 0 {
			continue
		}
		t := *set.Sealed
		h := sealerHop(c.Report.Hops, set, set.Seal.Line)
		if h == nil || h.Time == nil {
			continue
		}
		if d := t.Sub(*h.Time); d > sealLate || d < -sealEarly {
			out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
				Message: fmt.Sprintf("hop %d is stamped %s, but the ARC seal %s added as it received the message says %s (%s apart)",
					h.Index, h.Time.UTC().Format(time.RFC3339), orDash(set.Seal.Domain), t.UTC().Format(time.RFC3339), formatDelay(d)),
				Evidence: fmt.Sprintf("ARC-Seal: i=%d; d=%s; t=%d | %s", set.Instance, set.Seal.Domain, t.Unix(), stamp(h))})
		}
	}
	return out
}

// sealerHop is the Received line the sealer wrote as it took the message
// in: the nearest one below the seal (Received lines are prepended, so
// it sits lower in the header) whose by-host belongs to the organisation
// of the seal's d= or of the set's authserv-id.
func sealerHop(hops []received.Hop, set auth.ARCSet, sealLine int) *received.Hop {
	var fams [2]string
	fams[0] = facts(set.Seal.Domain).family
	if id, _, _ := strings.Cut(set.AuthServID, " "); id != "" {
		fams[1] = facts(id).family
	}
	var best *received.Hop
	for i := range hops {
		h := &hops[i]
		if h.Line <= sealLine || h.By.Host == "" {
			continue
		}
		fam := facts(h.By.Host).family
		if fam == "" || fam != fams[0] && fam != fams[1] {
			continue
		}
		if best == nil || h.Line < best.Line {
			best = h
		}
	}
	return best
}
