package received

import "time"

// Zones of the date. RFC 5322 §4.3 defines UT, GMT and the North American
// names; MTAs also write UTC, European and Asian abbreviations, and SLmail
// writes "Pacific Standard Time". Ambiguous names (IST: Irish or Indian)
// are left out and read as "no zone".
var zoneNames = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
	"EST": -5 * 60, "EDT": -4 * 60, "CST": -6 * 60, "CDT": -5 * 60,
	"MST": -7 * 60, "MDT": -6 * 60, "PST": -8 * 60, "PDT": -7 * 60,
	"AKST": -9 * 60, "AKDT": -8 * 60, "HST": -10 * 60,
	"BST": 60, "CET": 60, "MET": 60, "WEST": 60,
	"CEST": 2 * 60, "MEST": 2 * 60, "EET": 2 * 60, "EEST": 3 * 60, "MSK": 3 * 60,
	"SGT": 8 * 60, "HKT": 8 * 60, "AWST": 8 * 60, "JST": 9 * 60, "KST": 9 * 60,
	"ACST": 9*60 + 30, "AEST": 10 * 60, "AEDT": 11 * 60, "NZST": 12 * 60, "NZDT": 13 * 60,
}

// longZoneNames are Windows-style names written in full.
var longZoneNames = [...]struct {
	name string
	off  int
}{{"pacific", -8 * 60}, {"mountain", -7 * 60}, {"central", -6 * 60}, {"eastern", -5 * 60}}

// zoneCache holds a Location per quarter hour from -14:00 to +14:00, so
// that building a time does not allocate a Location per field.
var zoneCache = func() [113]*time.Location {
	var z [113]*time.Location
	for i := range z {
		z[i] = time.FixedZone("", (i-56)*15*60)
	}
	return z
}()

// zoneFor returns a fixed zone for an offset in minutes.
func zoneFor(minutes int) *time.Location {
	if minutes%15 == 0 && minutes >= -14*60 && minutes <= 14*60 {
		return zoneCache[minutes/15+56]
	}
	return time.FixedZone("", minutes*60)
}

// readZone reads a numeric offset ("+0900", "-07:00"), a named zone
// ("GMT", "PDT", "GMT+0100"), or a zone given only in a comment ("(PST)").
func (p *dateParts) readZone(d *dateScanner) {
	d.space()
	if p.readOffset(d) {
		return
	}
	save := d.i
	if d.skip('(') {
		if w := d.alpha(); d.skip(')') && p.namedZone(w) {
			return
		}
		d.i = save
	}
	w := d.alpha()
	if p.longZone(d, w) {
		return
	}
	if off, ok := zoneNames[upperShort(w)]; ok {
		p.off = off
		p.readOffset(d) // "GMT+0100"
		return
	}
	d.i = save
	p.info.noZone = true
}

func (p *dateParts) namedZone(w string) bool {
	off, ok := zoneNames[upperShort(w)]
	p.off = off
	return ok
}

// readOffset reads "+hhmm", "-hhmm" or "+hh:mm".
func (p *dateParts) readOffset(d *dateScanner) bool {
	if d.i >= len(d.s) || d.s[d.i] != '+' && d.s[d.i] != '-' {
		return false
	}
	save := d.i
	sign := 1
	if d.s[d.i] == '-' {
		sign = -1
	}
	d.i++
	hh, n1 := d.num(2)
	d.skip(':')
	mm, n2 := d.num(2)
	// RFC 5322 §3.3 allows any two digits, but no zone is 24 hours or more
	// away from UTC, and Go's time cannot be written as JSON with one.
	if n1 != 2 || n2 != 2 || hh > 23 || mm > 59 || d.i < len(d.s) && isDigit(d.s[d.i]) {
		d.i = save
		return false
	}
	p.off = sign * (hh*60 + mm)
	return true
}

// longZone reads "Pacific Standard Time" and its kin (SLmail).
func (p *dateParts) longZone(d *dateScanner, w string) bool {
	base, ok := 0, false
	for _, z := range longZoneNames {
		if eqFold(w, z.name) {
			base, ok = z.off, true
		}
	}
	if !ok {
		return false
	}
	save := d.i
	d.space()
	kind := d.alpha()
	d.space()
	if !eqFold(d.alpha(), "time") || !eqFold(kind, "standard") && !eqFold(kind, "daylight") {
		d.i = save
		return false
	}
	p.off = base
	if eqFold(kind, "daylight") {
		p.off += 60
	}
	return true
}

// readTrailer skips what may follow a zone: a zone comment ("(PDT)") and
// Go's " UTC m=+1.23". It stops before any other comment, which the
// caller reads ("(envelope-from <a@b>)" after the date, FreeBSD's
// Sendmail), and notes text that is neither.
func (p *dateParts) readTrailer(d *dateScanner) {
	for {
		d.space()
		if d.i >= len(d.s) {
			return
		}
		switch {
		case d.s[d.i] == '(':
			if !d.zoneComment() {
				p.info.trailing = !onlyComments(d.s[d.i:])
				return
			}
		case hasPrefixFold(d.s[d.i:], "m="):
			d.skipWord()
			p.info.goStyle = true
		case d.wordIsZone():
		default:
			p.info.trailing = true
			return
		}
	}
}

// zoneComment consumes a comment that can only be a zone name: "(PST)",
// "(Eire)", "(Pacific Standard Time)", "(UTC+01:00)".
func (d *dateScanner) zoneComment() bool {
	end := d.i + 1
	for end < len(d.s) && end-d.i < 40 && d.s[end] != ')' {
		c := d.s[end]
		if !isAlpha(c) && !isDigit(c) && c != ' ' && c != '+' && c != ':' {
			return false
		}
		end++
	}
	if end >= len(d.s) || d.s[end] != ')' {
		return false
	}
	d.i = end + 1
	return true
}

// onlyComments reports whether s holds nothing but comments and blanks.
// It looks at a bounded window, so that findDate stays linear.
func onlyComments(s string) bool {
	const window = 512
	if len(s) > window {
		return false
	}
	d := dateScanner{s: s}
	for {
		d.space()
		if d.i >= len(d.s) {
			return true
		}
		if d.s[d.i] != '(' {
			return false
		}
		d.skipComment()
	}
}

func (d *dateScanner) skipComment() {
	depth := 0
	for ; d.i < len(d.s); d.i++ {
		switch d.s[d.i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				d.i++
				return
			}
		}
	}
}

// skipWord skips Go's monotonic clock reading "m=+85283.212612843".
func (d *dateScanner) skipWord() {
	for start := d.i; d.i < len(d.s) && d.i-start < 32 && !isSpace(d.s[d.i]); {
		d.i++
	}
}

// wordIsZone consumes a zone name that repeats the offset ("+0000 UTC").
func (d *dateScanner) wordIsZone() bool {
	save := d.i
	w := d.alpha()
	if _, ok := zoneNames[upperShort(w)]; ok && (d.i >= len(d.s) || isSpace(d.s[d.i])) {
		return true
	}
	d.i = save
	return false
}

// upperShort upper-cases a short name for the zone table without
// allocating for names that are already upper case.
func upperShort(w string) string {
	if len(w) > 5 {
		return ""
	}
	for i := 0; i < len(w); i++ {
		if w[i] >= 'a' && w[i] <= 'z' {
			var b [5]byte
			for j := 0; j < len(w); j++ {
				b[j] = w[j] &^ 0x20
			}
			return string(b[:len(w)])
		}
	}
	return w
}
