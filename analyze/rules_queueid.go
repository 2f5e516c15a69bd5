package analyze

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailtrace/mailtrace/received"
)

// Queue-id rules: Postfix, sendmail and Exim make a missing Message-ID
// (RFC 5322 §3.6.4) from their own clock, the queue id they gave the
// message and their own host name, and write the same queue id and host
// name in the Received field they add when they take the message in
// (RFC 5321 §4.4: "by" and "id"). The Message-ID and that hop are one
// host's account of one moment, so they must agree.
func init() {
	register(&Rule{
		ID: "msgid-queue", Severity: SeverityMedium,
		Field: "Message-ID",
		Title: "Message-ID disagrees with the hop that made it",
		Explain: "Postfix (YYYYMMDDhhmmss.QUEUEID@host), sendmail (YYYYMMDDhhmm.QUEUEID@host, to the minute) " +
			"and Exim (E + its message id, which encodes the time, @host) make a missing Message-ID from " +
			"their clock in UTC, the queue id they give the message and their own name, as they take it in; " +
			"the Received field they write then carries the same id. When a hop's id is exactly that queue " +
			"id (the oldest such hop), the Message-ID's time must be within 5 minutes of the hop's stamp and " +
			"its domain must be the hop's by-host (or share its first label when one of the two is " +
			"unqualified). Both come from one host and one clock: genuine mail agrees within a minute, and " +
			"neither clock skew nor a wrong time zone can part them. A forger who re-dates the submission " +
			"hop, or puts another domain in the Message-ID, breaks the pair; each broken relation is a finding.",
		Example: "Message-ID: <20240305091404.4B1C86DD4CD@mail.example.org>\n" +
			"Received: ... by mail.example.org (Postfix) with ESMTPSA id 4B1C86DD4CD ...; Tue, 5 Mar 2024 06:14:05 +0000",
		Check: checkMsgIDQueue,
	})
}

// queueIDTolerance is how far apart the Message-ID's time and the stamp of
// the hop that assigned its queue id may be. Both come from one host's
// clock, a few seconds apart (the Received field is written when the
// message comes in, the Message-ID when its header has been read): the
// clock-skew option, which is about two hosts' clocks, does not apply.
const queueIDTolerance = 5 * time.Minute

// queueMsgID is what a Message-ID made by an MTA from its clock and queue
// id says. Its strings are slices of the Message-ID.
type queueMsgID struct {
	mta   string    // "Postfix", "sendmail" or "Exim"
	queue string    // the queue id, as the MTA writes it after "id" in its Received field
	host  string    // the right side, as written
	at    time.Time // the time the Message-ID gives, UTC
	// span is the width of the time written: a second, or a minute for
	// sendmail, whose Message-ID drops the seconds (the true time is in
	// [at, at+span)).
	span time.Duration
	// alt is the Exim time read in base 36, as Exim builds for
	// case-insensitive file systems (Cygwin, macOS) write it; zero when the
	// id has a character outside 0-9A-Z and so cannot be one.
	alt time.Time
}

// parseQueueMsgID recognises the Message-IDs Postfix, sendmail and Exim
// make (the whole value, "<local@host>", nothing around it):
//
//	Postfix   <YYYYMMDDhhmmss.QUEUEID@host>   cleanup(8), gmtime: UTC, to the second
//	sendmail  <YYYYMMDDhhmm.QUEUEID@host>     "<$t.$i@$j>", $t in GMT, to the minute
//	Exim      <Etttttt-pppppp-ss@host>        "E" + message id: 6-6-2 base 62, or 6-11-4 (Exim 4.97+)
//
// The date must be a real calendar date. It does not allocate.
func parseQueueMsgID(v string) (queueMsgID, bool) {
	var q queueMsgID
	if len(v) < 3 || v[0] != '<' || v[len(v)-1] != '>' {
		return q, false
	}
	v = v[1 : len(v)-1]
	at := strings.IndexByte(v, '@')
	if at <= 0 {
		return q, false
	}
	// The host name is read only for a local part of one of the shapes
	// below: most Message-IDs have none of them.
	local := v[:at]
	if !(local[0] == 'E' || len(local) > 15 && local[14] == '.' || len(local) > 13 && local[12] == '.') ||
		!isQueueHostName(v[at+1:]) {
		return q, false
	}
	q.host = v[at+1:]
	switch {
	case local[0] == 'E':
		return q, q.exim(local[1:])
	case len(local) > 15 && local[14] == '.':
		q.mta, q.queue, q.span = "Postfix", local[15:], time.Second
		if !isPostfixQueueID(q.queue) {
			return q, false // told before the time, which costs more
		}
		t, ok := digitTime(local[:14])
		q.at = t
		return q, ok
	case len(local) > 13 && local[12] == '.':
		q.mta, q.queue, q.span = "sendmail", local[13:], time.Minute
		if !isSendmailQueueID(q.queue) {
			return q, false
		}
		t, ok := digitTime(local[:12])
		q.at = t
		return q, ok
	}
	return q, false
}

// exim reads an Exim message id: the time in seconds (6 characters), the
// process id (6, or 11 since Exim 4.97) and a fraction of a second (2, or
// 4), each in base 62 (0-9A-Za-z), joined by hyphens.
func (q *queueMsgID) exim(id string) bool {
	var mid int
	switch len(id) {
	case 6 + 1 + 6 + 1 + 2:
		mid = 6
	case 6 + 1 + 11 + 1 + 4:
		mid = 11
	default:
		return false
	}
	if id[6] != '-' || id[7+mid] != '-' {
		return false
	}
	upper := true // only 0-9A-Z: a base-36 build may have written it
	for i := 0; i < len(id); i++ {
		if i == 6 || i == 7+mid {
			continue
		}
		d := base62Digit(id[i])
		if d < 0 {
			return false
		}
		upper = upper && d < 36
	}
	var n62, n36 int64
	for i := 0; i < 6; i++ {
		d := int64(base62Digit(id[i]))
		n62, n36 = n62*62+d, n36*36+d
	}
	q.mta, q.queue, q.span = "Exim", id, time.Second
	q.at = time.Unix(n62, 0).UTC()
	if upper {
		q.alt = time.Unix(n36, 0).UTC()
	}
	return true
}

// base62Digit is the value of c in Exim's base 62 (0-9, A-Z, a-z), -1 for
// any other byte.
func base62Digit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

// digitTime reads YYYYMMDDhhmm or YYYYMMDDhhmmss as UTC. A date that is not
// on the calendar (month 13, 30 February, hour 24, second 60) is refused:
// time.Date would move it on rather than say so.
func digitTime(s string) (time.Time, bool) {
	var n [6]int // year, month, day, hour, minute, second
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		k := 0 // the year's four digits, then two for each of the others
		if i >= 4 {
			k = (i - 2) / 2
		}
		n[k] = n[k]*10 + int(c-'0')
	}
	y, mo, d, h, mi, sec := n[0], time.Month(n[1]), n[2], n[3], n[4], n[5]
	t := time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
	if y < 1970 || t.Month() != mo || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != sec {
		return time.Time{}, false
	}
	return t, true
}

// isPostfixQueueID accepts Postfix's two queue id forms: the short one,
// microseconds (5 hex digits) and inode number in upper-case hex, and the
// long one (enable_long_queue_ids), seconds and microseconds in 10 base-52
// characters (digits and consonants: no vowel, no z), a "z", then the
// inode number.
func isPostfixQueueID(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	hex := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		hex = hex && (c >= '0' && c <= '9' || c >= 'A' && c <= 'F')
	}
	if hex {
		return true
	}
	if len(s) < 12 || s[10] != 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 10 && !isPostfixLongDigit(s[i]) {
			return false
		}
	}
	return true
}

// isPostfixLongDigit reports whether c is in Postfix's long-id alphabet:
// digits and letters other than vowels and z.
func isPostfixLongDigit(c byte) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'y':
		switch c | 0x20 {
		case 'a', 'e', 'i', 'o', 'u':
			return false
		}
		return true
	}
	return false
}

// isSendmailQueueID accepts sendmail's queue ids: a few letters and
// digits (the date in base 60 and a sequence since 8.12, "DAA" before)
// and the process id in at least 5 decimal digits: oBF6xAuc018214,
// g6O9ZQW15692, DAA00979.
func isSendmailQueueID(s string) bool {
	if len(s) < 8 || len(s) > 20 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case isLetterASCII(c):
			digits = 0
		default:
			return false
		}
	}
	return digits >= 5 && digits < len(s)
}

// isQueueHostName accepts what these MTAs write as their host name:
// letters, digits, hyphens, underscores and dots, not starting with a dot.
func isQueueHostName(s string) bool {
	if s == "" || len(s) > 255 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnumASCII(c) || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// agrees reports whether the Message-ID's time fits a hop stamped t: the
// signed difference d (Message-ID minus stamp) is at most the tolerance
// either way, widened below by what the Message-ID does not write
// (sendmail's seconds). d is for the report.
func (q *queueMsgID) agrees(t time.Time) (d time.Duration, ok bool) {
	fits := func(at time.Time) (time.Duration, bool) {
		d := at.Sub(t)
		return d, d <= queueIDTolerance && d >= -(queueIDTolerance+q.span-time.Second)
	}
	d, ok = fits(q.at)
	if !ok && !q.alt.IsZero() {
		if _, ok36 := fits(q.alt); ok36 {
			return 0, true
		}
	}
	return d, ok
}

// queueHop is the oldest hop whose id is exactly the queue id. The MTA
// assigns the id when it takes the message in and writes it in the
// Received field it adds then, which is older than anything it or others
// add later; a newer field repeating the id is a copy (received-duplicate
// reports those) or a second pass through the same queue, and says
// nothing about when the Message-ID was made. The match is exact and
// case-sensitive (queue ids are), so an id with anything added to it is
// no link.
func queueHop(hops []received.Hop, id string) *received.Hop {
	for i := range hops {
		if hops[i].ID == id {
			return &hops[i]
		}
	}
	return nil
}

// sameQueueHost compares the Message-ID's host with the hop's by-host:
// equal but for case and a final dot, or, when one of them is an
// unqualified name, the same first label (a host that calls itself "mx1"
// in one place and "mx1.example.net" in the other).
func sameQueueHost(a, b string) bool {
	a, b = strings.TrimSuffix(a, "."), strings.TrimSuffix(b, ".")
	if equalFoldASCII(a, b) {
		return true
	}
	ia, ib := strings.IndexByte(a, '.'), strings.IndexByte(b, '.')
	switch {
	case ia < 0 && ib >= 0:
		return equalFoldASCII(a, b[:ib])
	case ib < 0 && ia >= 0:
		return equalFoldASCII(a[:ia], b)
	}
	return false
}

// checkMsgIDQueue links a Message-ID an MTA made to the hop where that MTA
// assigned the queue id, and reports each of the two relations that
// breaks: the time and the host. A hop with no readable date is compared
// by host only, and one whose by-host is missing or an address literal by
// time only. The Date field plays no part: it is the author's clock.
func checkMsgIDQueue(c *Context) []Finding {
	q, ok := parseQueueMsgID(c.Report.Header.MessageID)
	if !ok {
		return nil
	}
	h := queueHop(c.Report.Hops, q.queue)
	if h == nil {
		return nil
	}
	var out []Finding
	if h.Time != nil {
		if d, ok := q.agrees(*h.Time); !ok {
			out = append(out, q.timeFinding(c, h, d))
		}
	}
	if by := h.By.Host; isQueueHostName(by) && !isDottedNumbers(by) && !sameQueueHost(q.host, by) {
		out = append(out, q.hostFinding(c, h))
	}
	return out
}

// isDottedNumbers reports whether s is digits and dots only: an IPv4
// address written as the by-host (isQueueHostName refuses IPv6 and
// bracketed literals). netip.ParseAddr would allocate its error for every
// name.
func isDottedNumbers(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func (q *queueMsgID) timeFinding(c *Context, h *received.Hop, d time.Duration) Finding {
	when, note := q.at.Format("2006-01-02 15:04:05"), ""
	if q.span == time.Minute {
		when, note = q.at.Format("2006-01-02 15:04"), ", to the minute"
	}
	return Finding{Hops: []int{h.Index}, Line: c.fieldLine("Message-ID"),
		Message: fmt.Sprintf("the Message-ID %s made with queue id %s says %s UTC%s, but hop %d, which assigned that id, is stamped %s UTC: %s apart (Message-ID minus stamp)",
			q.mta, q.queue, when, note, h.Index, h.Time.UTC().Format("2006-01-02 15:04:05"), formatDelay(d)),
		Evidence: q.evidence(c, h)}
}

func (q *queueMsgID) hostFinding(c *Context, h *received.Hop) Finding {
	return Finding{Hops: []int{h.Index}, Line: c.fieldLine("Message-ID"),
		Message: fmt.Sprintf("the Message-ID %s made with queue id %s names host %s, but hop %d, which assigned that id, is by %s",
			q.mta, q.queue, q.host, h.Index, h.By.Host),
		Evidence: q.evidence(c, h)}
}

func (q *queueMsgID) evidence(c *Context, h *received.Hop) string {
	return fmt.Sprintf("Message-ID: %s | hop %d: by %s id %s; %s", c.Report.Header.MessageID, h.Index, h.By.Host, h.ID, stamp(h))
}
