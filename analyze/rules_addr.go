package analyze

import (
	"strconv"
	"strings"

	"github.com/mailtrace/mailtrace/received"
)

// Address rules: addresses that cannot appear where a hop says they did.
func init() {
	register(&Rule{
		ID: "private-address", Severity: SeverityMedium,
		Title: "Private or reserved address on a public hop",
		Explain: "A hop that claims to cross the public internet (between two organisations, or the hop the " +
			"receiving side took from outside) records a connecting address that is not routable there: " +
			"RFC 1918 private, loopback, link-local, carrier-grade NAT, documentation or benchmark ranges, " +
			"unique local fc00::/7, v4-mapped (RFC 6890). Internal hops legitimately use such addresses; " +
			"a public hop cannot. Low in general (organisations with several domains route between them " +
			"privately); medium when the hop is a big provider's public server, which never hears a " +
			"private address of another organisation, even in a line that seems the receiving side's own " +
			"(nor does the trust boundary pass such a line). Documentation ranges (RFC 5737, RFC 3849) are info: " +
			"only anonymised samples use them. Loopback is local plumbing and never reported.",
		Example: "Received: from mail.sender.example (mail.sender.example [10.1.2.3]) by mx.receiver.example ...",
		Check:   checkPrivate,
	})
}

func checkPrivate(c *Context) []Finding {
	var out []Finding
	hf := c.hopFacts()
	hops := c.Report.Hops
	for i := range hops {
		h, f := &hops[i], &hf[i]
		why := f.reserved
		if why == "" || strings.HasPrefix(why, "loopback") {
			continue // loopback is plumbing inside one machine, never a network hop
		}
		crossing, how := c.crossesInternet(h, f)
		if !crossing {
			continue
		}
		sev := SeverityLow
		switch {
		case f.documentation():
			sev = SeverityInfo // only anonymised samples use them: a placeholder, not a sign
		case f.by.provider && (!h.Trusted || privateAtProvider(f)):
			// A big provider's public MX never hears a private address of
			// another organisation, not even in a line that seems its own.
			sev = SeverityMedium
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line, Severity: sev,
			Message:  "hop " + strconv.Itoa(h.Index) + ": " + why + " address " + h.From.IP + " on a hop " + how,
			Evidence: "from " + describeFrom(h.From) + " by " + h.By.Host})
	}
	return out
}

// crossesInternet reports whether a hop claims to join two organisations:
// both ends have public names of different families, or it is the hop the
// receiving side took from outside while the address is not even internal.
// nn are the hop's facts.
func (c *Context) crossesInternet(h *received.Hop, nn *hopFacts) (bool, string) {
	if h.Parsed == received.ParsedNone || nn.authed {
		return false, ""
	}
	if by := nn.by; by.fqdn {
		other := ""
		names, n := fromFacts(nn.hopNames)
		for _, nf := range names[:n] {
			if !nf.fqdn {
				continue
			}
			if nf.family == by.family {
				other = ""
				break
			}
			other = nf.clean
		}
		if other != "" {
			return true, "from " + other + " to " + by.clean
		}
	}
	if c.Trust != nil && h.Index == c.Trust.Boundary && !nn.internal {
		return true, "the receiving side took from outside"
	}
	return false, ""
}
