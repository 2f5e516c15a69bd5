package analyze

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/received"
)

// DKIM replay: a message genuinely signed once, sent again later by
// someone else to other recipients. The signature still verifies, so DKIM,
// and with it DMARC, pass (RFC 6376 §8.6 names the attack and leaves it to
// receivers).
func init() {
	register(&Rule{
		ID: "dkim-replay", Severity: SeverityMedium,
		Title: "An old aligned DKIM signature, resent by another organisation",
		Explain: "A DKIM signature aligned with From verifies, but it was made more than 12 hours before the " +
			"first Received line past the signer's organisation (the oldest one when none of the signer's " +
			"servers wrote a line; a replay keeps the signer's own lines and adds its own), and the envelope " +
			"recipient is in neither To nor Cc: a genuine message, signed once, sent again by someone else " +
			"to new recipients (RFC 6376 §8.6). Each of these alone is common (a queued message, a sending " +
			"service, Bcc); together they are how DKIM replay looks. Mailing lists (a moderated or digest " +
			"list sends old mail on), resent messages (Resent-* fields) and mail the signer's own server " +
			"handed to the receiving side are not judged. It needs DNS " +
			"to verify the signature.",
		Example: "DKIM-Signature: d=bank.example; t= three days before delivery (pass)\n" +
			"Received: from vps.other.example by mx.victim.example ... for <bob@victim.example>\nTo: alice@victim.example",
		Check: checkDKIMReplay,
	})
}

// dkimReplayAge is how much older than the oldest Received line an
// aligned signature must be to count as resent: retries of a queued
// message take up to days, but its Received lines start when it is sent.
const dkimReplayAge = 12 * time.Hour

func checkDKIMReplay(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || !c.rcptHidden() || c.listCarried(res) || c.resent() {
		return nil // a list, moderated or digested, and a user's resend send old mail on, openly
	}
	for i := range res.DKIM {
		d := &res.DKIM[i]
		if d.Result != auth.StatusPass || !d.Aligned || d.Signed == nil {
			continue
		}
		ref := c.afterSigner(family(d.Domain))
		if ref == nil {
			continue
		}
		age := ref.Time.Sub(*d.Signed)
		if age <= dkimReplayAge {
			continue
		}
		return []Finding{{Line: d.Line, Hops: []int{ref.Index},
			Message: fmt.Sprintf("DKIM signature %d of %s was made %s before hop %d, the first outside %s's own, and the envelope recipient is not in To/Cc: a signed message resent (DKIM replay)",
				d.Index, d.Domain, strings.TrimPrefix(formatDelay(age), "+"), ref.Index, orgDomain(d.Domain)),
			Evidence: fmt.Sprintf("DKIM-Signature d=%s s=%s t=%d | hop %d: %s", d.Domain, d.Selector, d.Signed.Unix(), ref.Index, stamp(ref))}}
	}
	return nil
}

// afterSigner is the first dated hop past the signer's organisation (fam):
// above the newest hop its servers wrote, or the oldest dated hop when
// none did; nil when the signer's own server handed the message to the
// receiving side (a trusted hop records it as the client: the signer sent
// what it signed, however old) or wrote the whole chain. The signer sends
// what it signs within minutes; a replay keeps the signer's lines and
// adds its own, days later.
func (c *Context) afterSigner(fam string) *received.Hop {
	hops, hf := c.Report.Hops, c.hopFacts()
	start := 0
	for i := range hops {
		if hops[i].Trusted && hf[i].rdns.family == fam {
			return nil
		}
		if hf[i].by.family == fam {
			start = i + 1
		}
	}
	if start == len(hops) {
		return nil
	}
	return firstDated(hops[start:])
}

// rcptHidden reports an envelope recipient in neither To nor Cc.
func (c *Context) rcptHidden() bool {
	return slices.ContainsFunc(c.Report.Envelope.RcptTo, c.notAddressed)
}
