package analyze

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/received"
)

// Origin rules: a hop received from a webmail front end records the
// message being written, so nothing can be older than it.
func init() {
	register(&Rule{
		ID: "origin-not-oldest", Severity: SeverityMedium,
		Title: "Webmail submission above other hops",
		Explain: "A hop received with HTTP records a message written in webmail (Gmail's \"by 2002:... with " +
			"HTTP\"; GMX, web.de and Yahoo's old webmail write \"via HTTP\"): the message did not exist " +
			"before it, so no Received line can be older. Lines below " +
			"such a hop were not on this message's path: the chain was reordered, or lines were added. " +
			"A resent message (Resent-* fields) keeps its old lines below the new submission and is not " +
			"judged. HTTPS is not read as a submission: Microsoft 365 delivers into mailboxes with it, at " +
			"the top of the chain. Nor is an HTTP hop right above an authenticated submission to the same " +
			"provider: Yahoo takes mail in with ESMTPA and carries it through its own gate with HTTP.",
		Example: "Received: from mail-sor-f41.google.com by mx.google.com ...\n" +
			"Received: by 2002:a05:6a10:8d0e:b0:4d1:f2a3:6b7c with HTTP; ...\n" +
			"Received: by mail-sor-f41.google.com with SMTP id ...",
		Check: checkOriginNotOldest,
	})
	register(&Rule{
		ID: "originating-ip", Severity: SeverityInfo, Field: originIPField,
		Title: "Webmail client address recorded",
		Explain: "X-Originating-IP is where a webmail service (Exchange's Outlook on the web and many others) " +
			"records the address of the browser that wrote the message. No " +
			"Received line shows it, since the webmail server itself sends the message over SMTP, so it is " +
			"the nearest mailtrace gets to the person behind the message. It is the sender's own provider's " +
			"claim: below the trust boundary anyone could write it. A private address is a client inside " +
			"the sender's network.",
		Example: "X-Originating-IP: [203.0.113.77]",
		Check:   checkOriginatingIP,
	})
}

// originIPField is the field webmail services record their client in.
const originIPField = "X-Originating-IP"

func checkOriginatingIP(c *Context) []Finding {
	first := c.fields().originIP - 1
	if first < 0 {
		return nil
	}
	var addrs, evidence []string
	more := 0 // fields past the first maxShown, counted
	for i := first; i < len(c.Msg.Fields); i++ {
		f := &c.Msg.Fields[i]
		if len(f.Name) != len(originIPField) || !equalFoldASCII(f.Name, originIPField) {
			continue
		}
		if len(evidence) == maxShown {
			more++
			continue
		}
		v := c.unfolded(i) // unfolding trims
		evidence = append(evidence, originIPField+": "+v)
		addr, err := netip.ParseAddr(strings.Trim(v, "[] "))
		if err != nil {
			addrs = append(addrs, fmt.Sprintf("%q, which is not an address", v))
			continue
		}
		text := addr.Unmap().String()
		if why := reservedWhyAddr(addr); why != "" {
			text = why + " address " + text // as private-address words it
		}
		addrs = append(addrs, text)
	}
	msg, ev := strings.Join(addrs, "; ")+andMore("; ", more), strings.Join(evidence, " | ")+andMore(" | ", more)
	return []Finding{{Line: c.Msg.Fields[first].Line,
		Message: "the sender's webmail recorded the client that wrote the message: " + msg, Evidence: ev}}
}

func checkOriginNotOldest(c *Context) []Finding {
	hops := c.Report.Hops
	var out []Finding
	for i := 1; i < len(hops); i++ {
		h := &hops[i]
		if plainClause(h.With) && len(h.With) != 4 {
			continue // webSubmission's answer: no HTTP, and no via asked
		}
		proto := webSubmission(h)
		if proto == "" || submittedWithin(c, i) {
			continue
		}
		if out == nil && c.resent() {
			return nil
		}
		out = append(out, Finding{Hops: []int{hops[i-1].Index, h.Index}, Line: h.Line,
			Message:  fmt.Sprintf("hop %d, received with %s, is where the message was written, yet %d older hop(s) sit below it", h.Index, proto, i),
			Evidence: unfold(h.Raw)})
	}
	return out
}

// submittedWithin reports an HTTP hop i whose older neighbour is an
// authenticated submission to the same organisation: Yahoo takes a
// message in over SMTP AUTH ("by smtp420.mail.sg3.yahoo.com (Oath Hermes
// SMTP Server) with ESMTPA") and then carries it through its own gate
// "with HTTP", so the HTTP hop is not where the message was written. The
// two are of one organisation when their by-hosts are, or when the same
// provider's software wrote both.
func submittedWithin(c *Context, i int) bool {
	hops, hf := c.Report.Hops, c.hopFacts()
	if !hf[i-1].authed {
		return false
	}
	if mta := hops[i-1].MTA; mta != "" && mta == hops[i].MTA {
		return true // "by hermes--production-bf1-... (Yahoo Inc. Hermes SMTP Server)": no domain to compare
	}
	return hf[i-1].by.org != "" && hf[i-1].by.family == hf[i].by.family
}

// webSubmission returns the protocol of a hop received from webmail: a
// with-clause that names HTTP alone, or, with none, a via of HTTP (Yahoo's
// old webmail, "from [ip] by web82107.mail.mud.yahoo.com via HTTP", and
// GMX's and web.de's, "(via HTTP)"). "" for any other hop.
func webSubmission(h *received.Hop) string {
	proto := trimSpace(h.With)
	if proto == "" {
		proto = trimSpace(h.Via)
	}
	// strings.EqualFold(proto, "HTTP"): no letter of it has a fold outside
	// ASCII, so only four bytes can match.
	if len(proto) != 4 || !equalFoldASCII(proto, "HTTP") {
		return ""
	}
	return proto
}

// trimSpace is strings.TrimSpace, told at once that there is nothing to
// trim when s is empty or plainClause: most clauses.
func trimSpace(s string) string {
	if s == "" || plainClause(s) {
		return s
	}
	return strings.TrimSpace(s)
}

// plainClause reports a clause that starts and ends with ASCII that is
// no space: strings.TrimSpace leaves it as it is, and it is not empty.
func plainClause(s string) bool {
	return s != "" && s[0] < utf8.RuneSelf && !asciiSpace(s[0]) && s[len(s)-1] < utf8.RuneSelf && !asciiSpace(s[len(s)-1])
}

// asciiSpace reports the ASCII bytes strings.TrimSpace trims.
func asciiSpace(c byte) bool {
	// A bit for each of '\t', '\n', '\v', '\f', '\r' and ' '.
	return c <= ' ' && uint64(1)<<c&(1<<'\t'|1<<'\n'|1<<'\v'|1<<'\f'|1<<'\r'|1<<' ') != 0
}

// resent reports Resent-* fields (RFC 5322 §3.6.6): a message
// reintroduced by a user, which keeps its old trace below the new one.
func (c *Context) resent() bool {
	for i := range c.Msg.Fields {
		if n := c.Msg.Fields[i].Name; len(n) > 7 && strings.EqualFold(n[:7], "Resent-") {
			return true
		}
	}
	return false
}
