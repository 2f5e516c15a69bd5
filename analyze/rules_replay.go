package analyze

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/auth"
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
			"oldest Received line, no hop of the chain is the signer's organisation, and the envelope " +
			"recipient is in neither To nor Cc: a genuine message, signed once, sent again by someone else " +
			"to new recipients (RFC 6376 §8.6). Each of these alone is common (a queued message, a sending " +
			"service, Bcc); together they are how DKIM replay looks. Mailing lists (a moderated or digest " +
			"list sends old mail on) and resent messages (Resent-* fields) are not judged. It needs DNS " +
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
	oldest := firstDated(c.Report.Hops)
	if res == nil || oldest == nil || !c.rcptHidden() || c.listCarried(res) || c.resent() {
		return nil // a list, moderated or digested, and a user's resend send old mail on, openly
	}
	for i := range res.DKIM {
		d := &res.DKIM[i]
		if d.Result != auth.StatusPass || !d.Aligned || d.Signed == nil {
			continue
		}
		age := oldest.Time.Sub(*d.Signed)
		if age <= dkimReplayAge || c.chainHas(family(d.Domain)) {
			continue
		}
		return []Finding{{Line: d.Line, Hops: []int{oldest.Index},
			Message: fmt.Sprintf("DKIM signature %d of %s was made %s before the oldest Received line, no hop is %s's, and the envelope recipient is not in To/Cc: a signed message resent (DKIM replay)",
				d.Index, d.Domain, strings.TrimPrefix(formatDelay(age), "+"), orgDomain(d.Domain)),
			Evidence: fmt.Sprintf("DKIM-Signature d=%s s=%s t=%d | hop %d: %s", d.Domain, d.Selector, d.Signed.Unix(), oldest.Index, stamp(oldest))}}
	}
	return nil
}

// rcptHidden reports an envelope recipient in neither To nor Cc.
func (c *Context) rcptHidden() bool {
	return slices.ContainsFunc(c.Report.Envelope.RcptTo, c.notAddressed)
}
