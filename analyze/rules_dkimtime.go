package analyze

import (
	"fmt"
	"time"
)

// DKIM signing time: a signer stamps t= (RFC 6376 §3.5) as it signs, and
// a message is signed before it is delivered.
func init() {
	register(&Rule{
		ID: "dkim-signed-after", Severity: SeverityMedium,
		Title: "DKIM signature made after the message was delivered",
		Explain: "A DKIM signature's t= is when it was made (RFC 6376 §3.5), and signing happens on the way " +
			"out, before any receiver stamps its Received line. A signature made more than a quarter of an " +
			"hour (or --clock-skew, when wider) after the newest Received line means the Received dates " +
			"were moved back (the signed time cannot be, without breaking the signature), or the signature " +
			"was added after delivery. It needs no DNS; the signature need not verify.",
		Example: "DKIM-Signature: ...; t=1795079698 (19 Nov 2026)\nReceived: ... ; Mon, 16 Nov 2026 10:15:04 +0100",
		Check:   checkDKIMSignedAfter,
	})
}

// dkimSignedLate is how far past the newest Received line a signer's
// clock may be, unless --clock-skew allows more.
const dkimSignedLate = 15 * time.Minute

func checkDKIMSignedAfter(c *Context) []Finding {
	newest := newestTime(c.Report.Hops)
	if newest == nil {
		return nil
	}
	limit := max(dkimSignedLate, c.skew()) // --clock-skew, when wider
	res := c.authResult()
	var out []Finding
	for i := range res.DKIM {
		d := &res.DKIM[i]
		if d.Signed == nil {
			continue
		}
		if late := d.Signed.Sub(*newest); late > limit {
			out = append(out, Finding{Line: d.Line,
				Message: fmt.Sprintf("DKIM signature %d of %s was made %s, %s after the newest Received line (%s): the Received dates were moved back, or the signature was added after delivery",
					d.Index, d.Domain, d.Signed.UTC().Format(time.RFC3339), formatDelay(late), newest.UTC().Format(time.RFC3339)),
				Evidence: fmt.Sprintf("DKIM-Signature d=%s s=%s t=%d (line %d) | newest Received: %s", d.Domain, d.Selector, d.Signed.Unix(), d.Line, newest.Format(time.RFC1123Z))})
		}
	}
	return out
}
