package analyze

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Google rules: how Gmail writes its own Received lines. A forger who
// pastes or edits Gmail lines copies their look but not the relations
// between them, which every genuine Gmail chain of the corpus keeps:
// the inbound MX relays nowhere, an outbound host's name encodes its
// address, Google's servers stamp Pacific time and hand mail on in
// seconds.
func init() {
	register(&Rule{
		ID: "google-mx-successor", Severity: SeverityMedium,
		Title: "A server took the message from Gmail's inbound MX",
		Explain: "Gmail's inbound MX (by mx.google.com) delivers into a mailbox and relays nowhere: the line " +
			"above it is Gmail's own mailbox delivery, written without a from-clause (\"by 2002:a05:... with " +
			"SMTP id ...\", \"by 10.x.x.x with SMTP id ...\"), or there is none. Here the next hop records a " +
			"client instead, so the Gmail lines below it were not written by Gmail for this delivery: a " +
			"forger pasted a Gmail path under his own relay. Forwarding or routing by Google (a client " +
			"in Google's ranges named mail-<x>-f<N>.google.com for its address, see google-name-address) " +
			"and fetching (with IMAP or POP) are not reported; a message resent by a user (Resent-* " +
			"fields) is low.",
		Example: "Received: from mx.google.com (unknown [198.51.100.7]) by mx.example.net ...\n" +
			"Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com ...",
		Check: checkGoogleMXSuccessor,
	})
	register(&Rule{
		ID: "google-name-address", Severity: SeverityMedium,
		Title: "Google outbound host name does not match its address",
		Explain: "Google names its outbound hosts after their address: mail-<x>-f<N>.google.com sits on the " +
			"IPv4 address whose last octet is N (mail-sor-f41.google.com is 209.85.220.41), and " +
			"mail-<x>-x<hex>.google.com on the IPv6 address whose low 16 bits are that hex number. Here the " +
			"name and the address of a hop's client disagree: the address was replaced under a copied name. " +
			"Medium when the name is the reverse DNS the receiver recorded (info on a documentation " +
			"address, which only anonymised samples use). A HELO is the client's own word: low, and only " +
			"when the address is one of Google's; a Google name greeting from elsewhere is " +
			"helo-impersonation's.",
		Example: "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [185.220.101.34]) by mx.google.com ...",
		Check:   checkGoogleNameAddress,
	})
	register(&Rule{
		ID: "google-zone", Severity: SeverityLow,
		Title: "Google hop not stamped in Pacific time",
		Explain: "Google's servers stamp their Received lines in America/Los_Angeles time: -0800 in winter, " +
			"-0700 under daylight saving (US rules). A line written by a Google host (by *.google.com, " +
			"*.gmail.com, *.googlemail.com, or a bare 2002:aXX: address, Google's internal 6to4 names) that " +
			"carries another offset for its instant was written or edited by someone else: forgers copy " +
			"the clock and keep their own zone, or change a zone to move a stamp. Low: it is evidence to " +
			"weigh with the rest, since anonymised samples rewrite dates the same way.",
		Example: "Received: by 2002:a05:6a10:8d0e:b0:4d1:f2a3:6b7c with HTTP; Fri, 27 Jan 2023 00:11:23 +0100 (CET)",
		Check:   checkGoogleZone,
	})
	register(&Rule{
		ID: "google-gap", Severity: SeverityLow,
		Title: "Two Google hops hours apart",
		Explain: "Two adjacent lines written by Google hosts are more than two hours apart. Google hands mail " +
			"between its own servers in seconds, so one of the stamps was edited (a backdated submission). " +
			"Low: an incident can hold mail inside Gmail (one 2008 message of the corpus waited 99 minutes " +
			"between two Google hops); transit-time reports gaps of more than a day as medium.",
		Example: "Received: by mail-sor-f41.google.com with SMTP id ...; Fri, 27 Jan 2023 03:11:24 -0800 (PST)\n" +
			"Received: by 2002:a05:6a10:8d0e:b0:4d1:f2a3:6b7c with HTTP; Fri, 27 Jan 2023 00:11:23 -0800 (PST)",
		Check: checkGoogleGap,
	})
	register(&Rule{
		ID: "google-relay-client", Severity: SeverityMedium,
		Title: "Google outbound relay records a client",
		Explain: "Google's outbound relays (mail-<x>-f<N>.google.com, mail-<x>-x<hex>.google.com) write their " +
			"own Received line as a hand-off inside Google, without a client: \"by mail-sor-f41.google.com " +
			"with SMTP id ...\". Submissions are received by smtp.gmail.com, webmail by Google's internal " +
			"hosts. A line by such a relay that names a client (a from-clause, an address) was not written " +
			"by Google: a hop was inserted into a Gmail path.",
		Example: "Received: from [10.20.30.40] (host.example-isp.net [185.220.101.34])\n" +
			"        by mail-sor-f41.google.com with ESMTPSA id p13sor3668120ljj.40",
		Check: checkGoogleRelayClient,
	})
}

func checkGoogleRelayClient(c *Context) []Finding {
	var out []Finding
	hf := c.hopFacts()
	hops := c.Report.Hops
	for i := range hops {
		h := &hops[i]
		if !hf[i].by.gHost || !hasClient(h.From) {
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
			Message: fmt.Sprintf("hop %d is written by %s, a Google outbound relay, yet records a client (%s): Google's relays hand mail on without one",
				h.Index, h.By.Host, describeFrom(h.From)),
			Evidence: googleFromText(h) + " by " + h.By.Host})
	}
	return out
}

// googleMaxGap is how far apart two adjacent Google hops may be stamped.
const googleMaxGap = 2 * time.Hour

func checkGoogleMXSuccessor(c *Context) []Finding {
	hops, hf := c.Report.Hops, c.hopFacts()
	var out []Finding
	for i := 0; i+1 < len(hops); i++ {
		if !hf[i].by.gmailMX {
			continue
		}
		mx, next := &hops[i], &hops[i+1]
		if !hasClient(next.From) || next.Parsed == received.ParsedNone {
			continue
		}
		f := &hf[i+1]
		if googleOutbound(f) || f.with(next).retrieval {
			continue // Gmail forwarding or routing, or a mailbox fetched
		}
		sev := SeverityMedium
		if c.resent() {
			sev = SeverityLow // a user resent (bounced, redirected) a message from his Gmail mailbox
		}
		out = append(out, Finding{Hops: []int{mx.Index, next.Index}, Line: next.Line, Severity: sev,
			Message: fmt.Sprintf("hop %d took the message from %s after Gmail's inbound MX delivered it (hop %d); Gmail's MX relays nowhere",
				next.Index, clientOf(next.From), mx.Index),
			Evidence: fmt.Sprintf("hop %d: by %s | hop %d: %s", mx.Index, mx.By.Host, next.Index, unfold(next.Raw))})
	}
	return out
}

// isGmailMX reports the by-host of Gmail's inbound MX, mx.google.com
// (any case, a final dot allowed).
func isGmailMX(host string) bool {
	host = strings.TrimSuffix(host, ".")
	return len(host) == len("mx.google.com") && equalFoldASCII(host, "mx.google.com")
}

// googleOutbound reports a client that is one of Google's outbound hosts
// (f are its hop's facts): an address in Google's ranges, named by its
// HELO or rDNS as mail-<x>-f<N>.google.com or mail-<x>-x<hex>.google.com
// for that address. Only such a host forwards or routes for Gmail; a
// Google address alone is not enough, since a forger writing a line of
// his own can pick one.
func googleOutbound(f *hopFacts) bool {
	if !f.inRange("google") {
		return false
	}
	for _, n := range [2]*nameFacts{f.helo, f.rdns} {
		if n.gHost && !googleNameContradicts(n, f.ip) {
			return true
		}
	}
	return false
}

// hasClient reports a from-clause that names a client.
func hasClient(f received.From) bool { return f.HELO != "" || f.RDNS != "" || f.IP != "" }

func clientOf(f received.From) string {
	if f.IP == "" {
		return describeFrom(f)
	}
	return clientView(f)
}

func checkGoogleNameAddress(c *Context) []Finding {
	var out []Finding
	hops, hf := c.Report.Hops, c.hopFacts()
	for i := range hops {
		h, f := &hops[i], &hf[i]
		if !f.rdns.gHost && !f.helo.gHost || !f.ip.IsValid() {
			continue // most hops: neither name is a Google outbound host's
		}
		name, sev := h.From.RDNS, SeverityMedium
		switch {
		case googleNameContradicts(f.rdns, f.ip):
			if f.documentation() {
				sev = SeverityInfo // an anonymised sample replaced the address
			}
		case googleNameContradicts(f.helo, f.ip) && f.inRange("google"):
			// The client's own word. Outside Google's ranges the greeting
			// is an impersonation, which helo-impersonation reports.
			name, sev = h.From.HELO, SeverityLow
		default:
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line, Severity: sev,
			Message: fmt.Sprintf("hop %d: %s is Google's host at the address ending in %s, but the client was %s",
				h.Index, strings.TrimSuffix(name, "."), googleNameEnding(name), h.From.IP),
			Evidence: googleFromText(h)})
	}
	return out
}

// googleFromText is the hop's from-clause as written (unfolded): the raw
// text before the first "by" word, or the parsed clause when the line
// does not start with one.
func googleFromText(h *received.Hop) string {
	u := unfold(h.Raw)
	if len(u) < 5 || !equalFoldASCII(u[:5], "from ") && !equalFoldASCII(u[:5], "from\t") {
		return "from " + describeFrom(h.From)
	}
	for i := 5; i+2 <= len(u); i++ {
		if b := u[i-1]; (b == ' ' || b == '\t' || b == ')') && equalFoldASCII(u[i:i+2], "by") &&
			(i+2 == len(u) || u[i+2] == ' ' || u[i+2] == '\t') {
			return strings.TrimSpace(u[:i])
		}
	}
	return u
}

// googleNameEnding is how the address a Google outbound name encodes
// ends: ".41" for an f name, ":62b" for an x name.
func googleNameEnding(name string) string {
	kind, n, _ := googleHostNumber(name)
	if kind == 'f' {
		return fmt.Sprintf(".%d", n)
	}
	return fmt.Sprintf(":%x", n)
}

// googleNameContradicts reports a Google outbound host name (its facts)
// whose encoded address is not a: an f name on an address that is not
// IPv4 or whose last octet differs, an x name on one that is not IPv6 or
// whose low 16 bits differ. Other names contradict nothing.
func googleNameContradicts(name *nameFacts, a netip.Addr) bool {
	kind, n := name.gKind, name.gNum
	if !name.gHost {
		return false
	}
	a = a.Unmap()
	if kind == 'f' {
		return !a.Is4() || uint32(a.As4()[3]) != n
	}
	b := a.As16()
	return !a.Is6() || uint32(b[14])<<8|uint32(b[15]) != n
}

// googleHostNumber reads a Google outbound host name,
// mail-<label>-f<N>.google.com or mail-<label>-x<hex>.google.com, where
// label is letters and digits, N one to three decimal digits up to 255
// without a leading zero, and hex one to four hex digits. Any case; one final dot (as rDNS is
// written) is allowed. kind is 'f' or 'x'.
func googleHostNumber(name string) (kind byte, n uint32, ok bool) {
	const prefix, suffix = "mail-", ".google.com"
	name = strings.TrimSuffix(name, ".")
	if len(name) < len(prefix)+len("a-f1")+len(suffix) || !equalFoldASCII(name[:len(prefix)], prefix) ||
		!equalFoldASCII(name[len(name)-len(suffix):], suffix) {
		return 0, 0, false
	}
	s := name[len(prefix) : len(name)-len(suffix)] // "<label>-f<N>"
	dash := strings.IndexByte(s, '-')
	if dash <= 0 || dash+3 > len(s) {
		return 0, 0, false
	}
	for i := 0; i < dash; i++ {
		if !isAlnumASCII(s[i]) {
			return 0, 0, false
		}
	}
	kind, num := lowerASCII(s[dash+1]), s[dash+2:]
	switch {
	case kind == 'f' && len(num) >= 1 && len(num) <= 3 && (num[0] != '0' || len(num) == 1):
		for i := 0; i < len(num); i++ {
			if !isDigit(num[i]) {
				return 0, 0, false
			}
			n = n*10 + uint32(num[i]-'0')
		}
		if n > 255 {
			return 0, 0, false
		}
		return kind, n, true
	case kind == 'x' && len(num) >= 1 && len(num) <= 4:
		for i := 0; i < len(num); i++ {
			d, ok := hexDigit(num[i])
			if !ok {
				return 0, 0, false
			}
			n = n<<4 | d
		}
		return kind, n, true
	}
	return 0, 0, false
}

func hexDigit(c byte) (uint32, bool) {
	switch c = lowerASCII(c); {
	case isDigit(c):
		return uint32(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint32(c-'a') + 10, true
	}
	return 0, false
}

func checkGoogleZone(c *Context) []Finding {
	var out []Finding
	hops, hf := c.Report.Hops, c.hopFacts()
	for i := range hops {
		h := &hops[i]
		if h.Time == nil || !hf[i].by.gStamper {
			continue
		}
		want, known := pacificOffset(*h.Time)
		if _, got := h.Time.Zone(); !known || got == want {
			continue
		}
		out = append(out, Finding{Hops: []int{h.Index}, Line: h.Line,
			Message: fmt.Sprintf("hop %d: %s stamped %s, but Google's servers stamp Pacific time (%s at that instant)",
				h.Index, h.By.Host, h.Time.Format("-0700"), zoneText(want)),
			Evidence: "by " + h.By.Host + "; " + stamp(h)})
	}
	return out
}

func checkGoogleGap(c *Context) []Finding {
	var out []Finding
	hops, hf := c.Report.Hops, c.hopFacts()
	for i := 1; i < len(hops); i++ {
		older, newer := &hops[i-1], &hops[i]
		if !hf[i-1].by.gStamper || !hf[i].by.gStamper || older.Time == nil || newer.Time == nil {
			continue
		}
		if !laterBy(*newer.Time, *older.Time, googleMaxGap) && !earlierBy(*newer.Time, *older.Time, -googleMaxGap) {
			continue
		}
		d := newer.Time.Sub(*older.Time)
		out = append(out, Finding{Hops: []int{older.Index, newer.Index}, Line: newer.Line,
			Message: fmt.Sprintf("hop %d is stamped %s after hop %d, both written by Google, whose servers hand mail on in seconds",
				newer.Index, formatDelay(d), older.Index),
			Evidence: fmt.Sprintf("hop %d: by %s; %s | hop %d: by %s; %s", older.Index, older.By.Host, stamp(older),
				newer.Index, newer.By.Host, stamp(newer))})
	}
	return out
}

// isGoogleStamper reports a by-host that is Google's own server: a name
// in google.com, gmail.com or googlemail.com (any case, a final dot
// allowed; not googleusercontent.com, whose hosts are customers'), or a
// bare IPv6 address 2002:aXX:..., the 6to4 form of 10.0.0.0/8 Gmail names
// its internal hosts with.
func isGoogleStamper(host string) bool {
	host = strings.TrimSuffix(host, ".")
	for _, d := range [...]string{"google.com", "gmail.com", "googlemail.com"} {
		if len(host) == len(d) && equalFoldASCII(host, d) ||
			len(host) > len(d) && host[len(host)-len(d)-1] == '.' && equalFoldASCII(host[len(host)-len(d):], d) {
			return true
		}
	}
	if len(host) < len("2002:a00::") || !equalFoldASCII(host[:6], "2002:a") || host[8] != ':' {
		return false
	}
	_, ok1 := hexDigit(host[6])
	_, ok2 := hexDigit(host[7])
	if !ok1 || !ok2 {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is6()
}

// pacificOffset is America/Los_Angeles's UTC offset, in seconds, at t,
// by the US daylight saving rules: since 2007 from the second Sunday of
// March, 2:00 PST, to the first Sunday of November, 2:00 PDT; from 1987
// to 2006 from the first Sunday of April to the last Sunday of October.
// Written out rather than loaded: the zone database may be missing, and
// the answer must not depend on the machine. known is false before 1987.
func pacificOffset(t time.Time) (offset int, known bool) {
	const pst, pdt = -8 * 3600, -7 * 3600
	const day, hour = 86400, 3600
	y, s := t.UTC().Year(), t.Unix() // Unix is whole seconds, rounded down: compared with a switch, it is t
	var start, end int64
	switch {
	case y >= 2007:
		start = nthSunday(y, 3, 2) + 10*hour // 2:00 PST
		end = nthSunday(y, 11, 1) + 9*hour   // 2:00 PDT
	case y >= 1987:
		start = nthSunday(y, 4, 1) + 10*hour
		end = nthSunday(y, 11, 1) - 7*day + 9*hour // the last Sunday of October
	default:
		return 0, false
	}
	if s >= start && s < end {
		return pdt, true
	}
	return pst, true
}

// zoneText writes an offset in seconds as RFC 5322 does: -0800.
func zoneText(offset int) string {
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("%c%02d%02d", sign, offset/3600, offset/60%60)
}

// nthSunday is midnight UTC of the n-th Sunday of a month, in seconds
// since the Unix epoch, worked out with plain arithmetic: time.Date and
// AddDate cost several hundred instructions, and every hop a Google host
// stamped asks for two such dates.
func nthSunday(year, month, n int) int64 {
	first := daysFromCivil(year, month, 1)
	d := (7 - (first+4)%7) % 7 // 1970-01-01 was a Thursday; first >= 0 for the years asked
	return (first + d + 7*int64(n-1)) * 86400
}

// daysFromCivil is the number of days from 1970-01-01 to a date of the
// proleptic Gregorian calendar (H. Hinnant's days_from_civil), for
// years from 0 on.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
