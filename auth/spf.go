package auth

import (
	"fmt"
	"net"
	"strings"

	"blitiri.com.ar/go/spf"
)

// SPF is the sender policy of the envelope domain evaluated for the client
// IP of the hop that entered the receiving side (RFC 7208).
type SPF struct {
	Scope  string `json:"scope"` // "mailfrom", or "helo" for the null sender (RFC 7208 §2.4)
	Domain string `json:"domain"`
	Sender string `json:"sender"` // the identity checked, as <local>@<domain>
	HELO   string `json:"helo,omitempty"`
	IP     string `json:"ip,omitempty"`
	Hop    int    `json:"hop,omitempty"`
	Result Status `json:"result"`
	Reason string `json:"reason,omitempty"`
	Record string `json:"record,omitempty"` // the domain's SPF record today
	// Aligned and Alignment compare Domain with the From domain (DMARC
	// identifier alignment, RFC 7489 §3.1.2).
	Aligned   bool   `json:"aligned"`
	Alignment string `json:"alignment"`
	Note      string `json:"note,omitempty"`
}

// checkSPF evaluates SPF with blitiri.com.ar/go/spf through mailtrace's
// resolver, into res (zero). fromOrg is the From domain's organisational
// domain.
func checkSPF(l *lookups, in *Input, from, fromOrg string, res *SPF) *SPF {
	switch {
	case !describeSPF(in, from, fromOrg, res):
		return res
	case l.r == nil:
		res.Result, res.Reason = StatusNotChecked, reasonOffline
		return res
	}
	helo := normDomain(in.HELO)
	before := l.snapshot()
	var syntax spfSyntaxError
	result, err := spf.CheckHostWithSender(net.IP(in.IP.Unmap().AsSlice()), helo, res.Sender,
		spf.WithContext(l.ctx), spf.WithResolver(spfResolver{l, &syntax}))
	res.Result, res.Reason = Status(result), spfReason(err)
	if syntax.err != nil {
		// A record the library fetched is evaluated in turn, and a
		// malformed one ends the evaluation in permerror there (RFC 7208
		// §4.6), whatever the library found by stopping at a match.
		res.Result, res.Reason = StatusPermError, fmt.Sprintf("the SPF record of %s has a %v (RFC 7208 §4.6)", syntax.domain, syntax.err)
	}
	if result == spf.TempError && l.allOfflineSince(before) {
		res.Result, res.Reason = StatusNotChecked, reasonOffline
		return res
	}
	res.Record = l.spfRecord(res.Domain)
	res.Note = noteToday
	return res
}

// describeSPF fills in res what needs no DNS: the identity checked, its
// alignment, and the result when SPF is not to be evaluated (ask false).
// The HELO name is normalised here only for the HELO identity, and by
// checkSPF when it evaluates: offline it is not needed. res is a new result's part, zero:
// it is filled field by field, since a whole SPF stored over it would
// take a write barrier for each of its pointers (most of them nil) while
// the collector marks.
func describeSPF(in *Input, from, fromOrg string, res *SPF) (ask bool) {
	res.Scope, res.HELO, res.Hop, res.Sender = "mailfrom", in.HELO, in.Hop, trimAngles(in.MailFrom)
	if in.IP.IsValid() {
		res.IP = in.IP.Unmap().String()
	}
	if res.Sender == "" || !strings.Contains(res.Sender, "@") {
		res.Scope = "helo"
		res.Sender = "postmaster@" + normDomain(in.HELO)
	}
	res.Domain = domainOf(res.Sender)
	res.Alignment = alignment(res.Domain, from, fromOrg)
	res.Aligned = res.Alignment != alignNone
	switch {
	case in.SkipSPF != "":
		res.Result, res.Reason = StatusNone, in.SkipSPF
		return false
	case !in.IP.IsValid():
		res.Result, res.Reason = StatusNotChecked, "no client IP for the hop that entered the receiving side"
		return false
	case res.Domain == "" || res.Scope == "helo" && strings.HasPrefix(strings.TrimSpace(in.HELO), "[") ||
		mayBeIP(res.Domain) && net.ParseIP(res.Domain) != nil:
		// An address literal is no domain: normDomain drops its brackets,
		// so the literal is told by the HELO as given ("[IPv6:2001:db8::1]"
		// would otherwise be asked of DNS as a name).
		res.Result, res.Reason = StatusNone, "no domain to check (null sender and no usable HELO name)"
		return false
	}
	return true
}

// trimAngles is strings.Trim(s, " <>") without the set Trim builds for
// every call.
func trimAngles(s string) string {
	isCut := func(c byte) bool { return c == ' ' || c == '<' || c == '>' }
	for s != "" && isCut(s[0]) {
		s = s[1:]
	}
	for s != "" && isCut(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// mayBeIP reports text net.ParseIP could accept: IPv6 has a colon, IPv4
// ends in a digit. It spares a domain name the parser's error allocation.
func mayBeIP(s string) bool {
	return strings.IndexByte(s, ':') >= 0 || s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}

// spfReason words the library's debugging error for people.
func spfReason(err error) string {
	if err == nil {
		return ""
	}
	switch err {
	case spf.ErrMatchedAll:
		return "matched all"
	case spf.ErrNoResult:
		return "the domain publishes no SPF record"
	case spf.ErrLookupLimitReached:
		return "more than 10 DNS lookups (RFC 7208 §4.6.4)"
	case spf.ErrVoidLookupLimitReached:
		return "more than 2 void lookups (RFC 7208 §4.6.4)"
	case spf.ErrMultipleRecords:
		return "several SPF records (RFC 7208 §4.5)"
	}
	return err.Error() // "matched ip", "matched mx", a DNS error, a syntax error
}

// spfRecord returns the SPF record of domain from the answers already
// fetched, for evidence.
func (l *lookups) spfRecord(domain string) string {
	l.mu.Lock()
	a, ok := l.txt[domain]
	l.mu.Unlock()
	if !ok {
		return ""
	}
	<-a.done
	for _, t := range a.txts {
		if lt := strings.ToLower(t); lt == "v=spf1" || strings.HasPrefix(lt, "v=spf1 ") {
			return t
		}
	}
	return ""
}

// counts is a snapshot of the lookup counters.
type counts struct{ asked, offline int }

func (l *lookups) snapshot() counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return counts{l.asked, l.offline}
}

// allOfflineSince reports whether every question since c was answered
// "offline".
func (l *lookups) allOfflineSince(c counts) bool {
	now := l.snapshot()
	return now.asked > c.asked && now.offline-c.offline == now.asked-c.asked
}
