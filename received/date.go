package received

import (
	"strings"
	"time"
)

// The date of a Received field is an RFC 5322 §3.3 date-time, read
// leniently as MTAs write it: weekday optional, 2- and 3-digit years
// (§4.3), obsolete and common named zones, zone comments such as "(PST)",
// extra spaces, spaces after the colons ("12: 31: 43"), missing seconds,
// fractional seconds, "29-Apr-2010", asctime order ("Thu Apr 29 23:34:45
// 2010") and Go's time.Time.String form written by SendGrid
// ("2024-01-02 03:04:05.123 +0000 UTC m=+1.23").

// dateInfo is what parseDate learned besides the time.
type dateInfo struct {
	noZone   bool // no zone written: read as UTC (RFC 5322 §3.3 "-0000")
	badWday  bool // the weekday written is not the date's weekday
	trailing bool // text after the date that is not a zone comment
	goStyle  bool // Go's time.Time.String layout (SendGrid)
}

// dateScanner is a cursor over the date text.
type dateScanner struct {
	s string
	i int
}

func (d *dateScanner) space() {
	for d.i < len(d.s) && isSpace(d.s[d.i]) {
		d.i++
	}
}

// num reads up to max digits.
func (d *dateScanner) num(max int) (n, digits int) {
	for d.i < len(d.s) && digits < max && isDigit(d.s[d.i]) {
		n = n*10 + int(d.s[d.i]-'0')
		d.i++
		digits++
	}
	return n, digits
}

// alpha reads a run of letters (at most 12, enough for "wednesday").
func (d *dateScanner) alpha() string {
	start := d.i
	for d.i < len(d.s) && d.i-start < 12 && isAlpha(d.s[d.i]) {
		d.i++
	}
	return d.s[start:d.i]
}

func (d *dateScanner) skip(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// nameIndex matches the first three letters of w against names.
func nameIndex(w string, names []string) int {
	if len(w) < 3 {
		return -1
	}
	a, b, c := lower(w[0]), lower(w[1]), lower(w[2])
	for i, n := range names {
		if n[0] == a && n[1] == b && n[2] == c {
			return i
		}
	}
	return -1
}

// dateParts are the fields read before validation.
type dateParts struct {
	year, month, day, hour, min, sec, nsec, off int
	wday                                        int // -1 when not written
	info                                        dateInfo
}

// parseDate reads a date at the start of s (after blanks) and returns it
// with the number of bytes it read.
func parseDate(s string) (time.Time, int, dateInfo, bool) {
	d := dateScanner{s: s}
	p := dateParts{wday: -1}
	d.space()
	if !p.readDay(&d) || !p.readTime(&d) {
		return time.Time{}, 0, dateInfo{}, false
	}
	zoned := false
	if p.year < 0 { // asctime: the year follows the time
		d.space()
		if save := d.i; !p.readYear(&d) {
			// date(1) writes the zone before the year: "Mon Jan  1 10:00:00 EST 2024".
			d.i = save
			p.readZone(&d)
			d.space()
			if p.info.noZone || !p.readYear(&d) {
				return time.Time{}, 0, dateInfo{}, false
			}
			zoned = true
		}
	}
	if !zoned {
		p.readZone(&d)
	}
	p.readTrailer(&d)
	t, info, ok := p.build()
	return t, d.i, info, ok
}

// readDay reads the calendar date in one of the accepted orders.
func (p *dateParts) readDay(d *dateScanner) bool {
	if d.i < len(d.s) && isAlpha(d.s[d.i]) {
		w := d.alpha()
		if p.wday = nameIndex(w, dayNames[:]); p.wday < 0 {
			return false
		}
		d.skip(',')
		d.space()
		if d.i < len(d.s) && isAlpha(d.s[d.i]) {
			return p.readAsctime(d)
		}
	}
	start := d.i
	n, digits := d.num(4)
	if digits == 4 && d.skip('-') {
		return p.readISO(d, n)
	}
	if digits == 0 || digits > 2 || d.i < len(d.s) && isDigit(d.s[d.i]) {
		d.i = start
		return false
	}
	p.day = n
	d.space()
	d.skip('-')
	if p.month = nameIndex(d.alpha(), monthNames[:]) + 1; p.month == 0 {
		return false
	}
	d.space()
	d.skip('-')
	d.space()
	return p.readYear(d)
}

// readAsctime reads "Apr 29" of "Thu Apr 29 23:34:45 2010"; the year comes
// after the time.
func (p *dateParts) readAsctime(d *dateScanner) bool {
	if p.month = nameIndex(d.alpha(), monthNames[:]) + 1; p.month == 0 {
		return false
	}
	d.space()
	n, digits := d.num(2)
	if digits == 0 {
		return false
	}
	p.day, p.year = n, -1
	return true
}

// readYear applies RFC 5322 §4.3: 2-digit years below 50 are 20xx, the rest
// 19xx; 3-digit years add 1900.
func (p *dateParts) readYear(d *dateScanner) bool {
	n, digits := d.num(4)
	switch {
	case digits == 2 && n < 50:
		n += 2000
	case digits == 2 || digits == 3:
		n += 1900
	case digits != 4 || n < 1900:
		return false // RFC 5322 §3.3: no date of a message is before 1900
	}
	p.year = n
	return d.i >= len(d.s) || !isDigit(d.s[d.i])
}

// readISO reads "-MM-DD" and the "T" or blank before the time.
func (p *dateParts) readISO(d *dateScanner, year int) bool {
	p.year = year
	var digits int
	if p.month, digits = d.num(2); digits != 2 || !d.skip('-') {
		return false
	}
	if p.day, digits = d.num(2); digits != 2 {
		return false
	}
	if !d.skip('T') && !d.skip('t') {
		d.space()
	}
	p.info.goStyle = true
	return true
}

// readTime reads hh:mm[:ss[.frac]], tolerating blanks around the colons.
func (p *dateParts) readTime(d *dateScanner) bool {
	d.space()
	var digits int
	if p.hour, digits = d.num(2); digits == 0 || !p.colon(d) {
		return false
	}
	if p.min, digits = d.num(2); digits == 0 {
		return false
	}
	save := d.i
	if !p.colon(d) {
		d.i = save
		return true
	}
	if p.sec, digits = d.num(2); digits == 0 {
		d.i = save
		return true
	}
	if d.skip('.') || d.skip(',') {
		p.readFraction(d)
	}
	return true
}

func (p *dateParts) colon(d *dateScanner) bool {
	d.space()
	if !d.skip(':') {
		return false
	}
	d.space()
	return true
}

// readFraction reads fractional seconds, keeping nanoseconds; it reads at
// most 18 digits so a hostile run of digits costs nothing.
func (p *dateParts) readFraction(d *dateScanner) {
	scale := 100000000
	for n := 0; d.i < len(d.s) && n < 18 && isDigit(d.s[d.i]); n++ {
		p.nsec += int(d.s[d.i]-'0') * scale
		scale /= 10
		d.i++
	}
}

// build validates the parts and makes the time with its written offset.
func (p *dateParts) build() (time.Time, dateInfo, bool) {
	if p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour > 23 || p.min > 59 || p.sec > 60 {
		return time.Time{}, dateInfo{}, false
	}
	t := time.Date(p.year, time.Month(p.month), p.day, p.hour, p.min, p.sec, p.nsec, zoneFor(p.off))
	if t.Day() != p.day && p.sec < 60 { // "31 Feb": no such day
		return time.Time{}, dateInfo{}, false
	}
	if p.wday >= 0 && int(t.Weekday()) != p.wday {
		p.info.badWday = true
	}
	return t, p.info, true
}

// findDate looks for the last place in s where a date starts, for lines
// written without the ";" (Exchange, SendGrid, some forwarders). A date
// found is skipped whole, so "Fri, 28 Nov" is not read again from "28".
// Each attempt reads a bounded number of bytes, so the scan is linear.
func findDate(s string) (start, n int, t time.Time, info dateInfo, ok bool) {
	for i := 0; i < len(s); i++ {
		if i > 0 && !isSpace(s[i-1]) && s[i-1] != ';' && s[i-1] != ')' && s[i-1] != ',' {
			continue
		}
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			continue
		}
		if dt, m, di, found := parseDate(s[i:]); found {
			start, n, t, info, ok = i, m, dt, di, true
			i += m - 1
		}
	}
	return start, n, t, info, ok
}

// Where the date sits in the field.

// date finds and parses the date and returns how many tokens precede it.
func (b *builder) date(toks []span) int {
	last := -1
	for i := range toks {
		if toks[i].kind == tSemi {
			last = i
		}
	}
	var text string
	if last >= 0 {
		text = trimSpace(b.s[toks[last].end:])
		if t, n, info, ok := parseDate(text); ok {
			if info.trailing {
				b.idAfterDate(text[n:], &info)
			}
			b.setDate(trimSpace(text[:n]), t, info)
			return last
		}
	}
	start, n, t, info, ok := findDate(b.s)
	switch {
	case ok:
		b.setDate(trimSpace(b.s[start:start+n]), t, info)
		return b.tokensBefore(toks, last, start)
	case last >= 0 && text != "":
		b.h.DateText = text
		b.problemText("date not understood: ", text)
		return last
	default:
		b.problem("no date")
	}
	if last >= 0 {
		return last
	}
	return len(toks)
}

// tokensBefore returns the number of clause tokens when the date was found
// by scanning rather than right after the last ";". Tokens between that
// ";" and the date are read with the clauses: IBM writes a TLS comment
// there.
func (b *builder) tokensBefore(toks []span, last, start int) int {
	if last < 0 {
		// Exchange and SendGrid write the date without the ";".
		b.note("no \";\" before the date")
	}
	n := 0
	for n < len(toks) && toks[n].pos < start {
		n++
	}
	return n
}

func (b *builder) setDate(text string, t time.Time, info dateInfo) {
	b.h.Time = &t
	b.h.DateText = text
	if info.noZone {
		b.note("date has no zone: read as UTC")
	}
	if info.badWday {
		b.note("weekday does not match the date")
	}
	if info.trailing {
		b.note("text after the date")
	}
	if info.goStyle {
		b.marks |= mGoDate
	}
	if isQmailDate(text) {
		b.marks |= mQmailDate
	}
}

// idAfterDate reads an id-clause written after the date, as Courier-MTA
// writes it: "by mail.example.org with ESMTPS; Tue, 14 May 2024 12:31:02
// +0200\n  id 00000000000300A5.000000006643399E.00003F2A". The text is then
// no stray text after the date.
func (b *builder) idAfterDate(rest string, info *dateInfo) {
	kw, id, ok := strings.Cut(trimSpace(rest), " ")
	id = trimSpace(id)
	if !ok || !eqFold(kw, "id") || id == "" || strings.ContainsAny(id, " \t\r\n();") {
		return
	}
	b.dateID, info.trailing = id, false
}

// isQmailDate recognises the date qmail writes (date822fmt): no weekday,
// always UTC as "-0000", as in "1 Dec 1997 17:50:04 -0000".
func isQmailDate(text string) bool {
	return text != "" && isDigit(text[0]) && strings.HasSuffix(text, " -0000")
}

// dateComments reads the comments that follow the date: FreeBSD's
// Sendmail and Mailchimp write "(envelope-from <a@b>)" there. Zone
// comments such as "(PDT)" match nothing and are left alone.
func (b *builder) dateComments(toks []span) {
	for _, sp := range toks {
		if sp.kind == tComment {
			c := sp.token(b.s).text
			b.cmark = commentNeedles.match(c)
			b.genericComment(c)
		}
	}
}
