package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailtrace/mailtrace/dns"
)

// routeHead says the route's status in words; a CNAME chain that ends at a
// name that does not exist is not a domain that does not exist.
func routeHead(r dns.RouteResult) string {
	if r.Status == dns.RouteNoDomain && len(r.CNAMEs) > 0 {
		return "an alias of " + Safe(r.Canonical) + ", which does not exist"
	}
	return r.Status.Describe()
}

// RouteText draws mail routing for a domain as a tree: the domain, its
// CNAME chain, its MX hosts by preference, and each host's addresses.
func RouteText(w io.Writer, r dns.RouteResult) error {
	p := &printer{w: w}
	p.linef("%s  (%s)\n", Safe(r.Domain), routeHead(r))
	var items []string
	for _, c := range r.CNAMEs {
		items = append(items, "CNAME -> "+Safe(c))
	}
	switch {
	case r.NullMX:
		items = append(items, fmt.Sprintf("MX %d .  (null MX, RFC 7505: accepts no mail)", r.MX[0].Preference))
	case r.Implicit:
		items = append(items, "no MX: implicit MX, the domain's own address")
	case len(r.MX) > 0:
		items = append(items, "MX of "+Safe(r.Canonical))
	}
	if r.Error != "" && r.Status != dns.RouteNotChecked { // offline, the head says it all
		items = append(items, "error: "+Safe(r.Error))
	}
	for i, it := range items {
		last := i == len(items)-1
		p.linef("%s%s\n", branch(last), it)
	}
	for i, h := range r.Hosts {
		last := i == len(r.Hosts)-1
		p.linef("%s%s\n", "   "+branch(last), hostLine(h, !h.Implicit && r.Status != dns.RouteAddressLiteral))
	}
	if r.Truncated {
		p.linef("   (more MX hosts than mailtrace resolves; the rest were not looked up)\n")
	}
	return p.err
}

func branch(last bool) string {
	if last {
		return "└─ "
	}
	return "├─ "
}

// hostLine is one host of the tree; pref: it has an MX preference.
func hostLine(h dns.RouteHost, pref bool) string {
	var b strings.Builder
	if pref {
		fmt.Fprintf(&b, "%d ", h.Preference)
	}
	b.WriteString(Safe(h.Host))
	for _, c := range h.CNAMEs {
		b.WriteString(" -> CNAME " + Safe(c))
	}
	b.WriteString(" => ")
	if len(h.Addrs) > 0 {
		addrs := make([]string, len(h.Addrs))
		for i, a := range h.Addrs {
			addrs[i] = a.String()
		}
		b.WriteString(strings.Join(addrs, ", "))
	} else {
		b.WriteString(string(h.Outcome))
	}
	if h.Error != "" {
		b.WriteString("  (" + Safe(h.Error) + ")")
	}
	for _, w := range h.Warnings {
		b.WriteString("  [" + Safe(w) + "]")
	}
	return b.String()
}

// RouteJSON writes the routing result as JSON.
func RouteJSON(w io.Writer, r dns.RouteResult) error {
	return WriteJSON(w, r)
}
