package analyze

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/received"
)

// Authentication-Results (RFC 8601). Only the receiving side's own
// results mean anything: §5 asks receivers to remove fields carrying their
// authserv-id that arrive from outside, and to ignore every other one. A
// field below the trust boundary, or from an authserv-id that is not the
// receiving side's, is somebody's claim.
func init() {
	register(&Rule{
		ID: "authres-forged", Severity: SeverityHigh,
		Title: "Authentication-Results forged under the receiver's name",
		Explain: "An Authentication-Results field carries the receiving side's authserv-id but sits below " +
			"the Received line of a hop the receiving side took from outside, so it was in the message " +
			"before the receiver saw it: between two such Received lines, or below all of them but above " +
			"the end of the message's own fields (From, Date, Subject ... Content-Type), where no receiver " +
			"appends and the Received line just above is not the receiver's. RFC 8601 §5 exists because senders write such fields to make " +
			"their mail look verified. A field after the message's own fields is left alone: a milter that " +
			"appends writes there too. Nor may a field at the hop where the receiver's milters write (just below " +
			"its Received line) claim a pass that another field of the same authserv-id at that hop denies " +
			"(dmarc=fail for the same From domain, spf=fail for the same MAIL FROM, dkim=none or the same " +
			"domain's signature failed): a receiver does not contradict itself, so the pass came with a " +
			"message sent straight from the forger's host, whose own fields begin there.",
		Example: "Received: from evil.example ([192.0.2.66]) by mx.google.com ...\n" +
			"Received: from x by evil.example ...\n" +
			"Authentication-Results: mx.google.com; dkim=pass header.d=paypal.com",
		Check: checkAuthResForged,
	})
	register(&Rule{
		ID: "authres-untrusted", Severity: SeverityInfo,
		Title: "Authentication-Results from outside the receiving side",
		Explain: "An Authentication-Results field written by another organisation (an earlier hop, a " +
			"forwarder, or the sender itself). It may be honest, but nothing in the message proves it: " +
			"mailtrace shows it and ignores its results.",
		Example: "Authentication-Results: relay.elsewhere.example; spf=pass smtp.mailfrom=example.org",
		Check:   checkAuthResUntrusted,
	})
	register(&Rule{
		ID: "authres-trusted", Severity: SeverityMedium,
		Title: "Receiving side's authentication results",
		Explain: "The results the receiving side recorded for DKIM, SPF, DMARC and ARC (RFC 8601), shown " +
			"so they can be compared with mailtrace's own checks (info). Medium when the receiving side " +
			"recorded a DMARC failure under the From domain's p=reject or p=quarantine and mailtrace " +
			"could not check DMARC itself (offline, or DNS failed): the message failed its sender's " +
			"authentication when it arrived, as a spoof of that domain does. Low when the receiver says it " +
			"did not apply the policy (Gmail's dis=NONE or arc=pass, Microsoft's action=oreject): " +
			"forwarding and local overrides make genuine mail fail too.",
		Example: "Authentication-Results: mx.example.net; dkim=pass header.d=example.org; spf=pass",
		Check:   checkAuthResTrusted,
	})
}

// AuthResults is one Authentication-Results field, parsed (RFC 8601 §2.2),
// and whether the receiving side wrote it.
type AuthResults struct {
	AuthServID string       `json:"authserv_id"` // "" when omitted (Microsoft 365 writes none)
	Results    []AuthResult `json:"results"`
	Line       int          `json:"line"`
	Raw        string       `json:"raw"`
	Trusted    bool         `json:"trusted"`
	Why        string       `json:"why"` // why it is trusted or not
	forged     bool         // the receiving side's name where it never writes
}

// AuthResult is one method's result ("dkim=pass header.d=example.org").
type AuthResult struct {
	Method string `json:"method"` // lower case: dkim, spf, dmarc, arc, iprev, auth, ...
	Result string `json:"result"` // lower case: pass, fail, softfail, none, ...
	Reason string `json:"reason,omitempty"`
	Props  Props  `json:"props,omitempty"` // "header.d" -> "example.org", keys lower case
}

// Props are a result's properties in the order written. A result has a
// few: a list read front to back costs less than a map per result, made
// for every trusted field of every message.
type Props []Prop

// Prop is one "ptype.property=value" of a result.
type Prop struct{ Key, Value string }

// Get is the value of key (lower case), or "". A key written twice has
// its last value, as when the properties were a map.
func (p Props) Get(key string) string {
	v, _ := p.lookup(key)
	return v
}

func (p Props) lookup(key string) (string, bool) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].Key == key {
			return p[i].Value, true
		}
	}
	return "", false
}

// MarshalJSON writes the properties as one object, keys sorted and each
// once with its last value: what encoding/json made of the map they were.
func (p Props) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(p))
	for _, kv := range p {
		m[kv.Key] = kv.Value
	}
	return json.Marshal(m)
}

// Get returns the result of the first entry for a method, or "".
func (a AuthResults) Get(method string) string {
	for _, r := range a.Results {
		if r.Method == method {
			return r.Result
		}
	}
	return ""
}

// ParseAuthResults parses one Authentication-Results value. It never
// fails: what it cannot read is left out, Raw keeps everything.
func ParseAuthResults(value string) AuthResults {
	out, v := parseAuthHead(unfold(value))
	out.parseResults(v)
	return out
}

// parseAuthHead reads the authserv-id of an unfolded value (Raw), and
// returns the text without comments for parseResults: most fields of a
// message are somebody else's, and their results are never read.
func parseAuthHead(raw string) (AuthResults, string) {
	v := stripComments(raw)
	out := AuthResults{Raw: raw}
	if id := firstWord(firstPart(v, ';')); id != "" && !strings.Contains(id, "=") {
		out.AuthServID = strings.ToLower(id)
	}
	return out, v
}

// parseResults reads the results of v, the field without comments.
// The parts are walked where they stand (splitOutsideQuotes without the
// list, cut by cutResult), and the results are given room for every part
// at once.
func (a *AuthResults) parseResults(v string) {
	skip := a.AuthServID != "" // the first part is the authserv-id
	// Room for a result per ';', quoted ones too: strings.Count over-counts
	// in a few fields, and is far quicker than a count outside quotes.
	parts := 1 + strings.Count(v, ";")
	// The results' properties share one list, made once: room for one
	// per "=", more than they take (each result's first "=" is its
	// method's), but never more than the words of v can hold (a property
	// takes two bytes at least, "=" and a space): a field of nothing but
	// "=" takes no more than the lists of their own did.
	props := make(Props, 0, min(strings.Count(v, "="), len(v)/2+1))
	for cut := newResultParts(v); ; {
		part, ok := cut.next()
		if !ok {
			break
		}
		if skip {
			skip = false
			continue
		}
		if r, ok := parseResInfoIn(part, &props); ok {
			if a.Results == nil {
				a.Results = make([]AuthResult, 0, parts)
			}
			a.Results = append(a.Results, r)
		}
	}
}

// resultParts walks the results of an Authentication-Results value where
// they stand: the parts between the ';'s outside quoted strings, as
// splitOutsideQuotes(v, ';') lists them, cut by cutResult.
type resultParts struct {
	v     string
	start int  // where the next part starts
	q     int  // cutResult's next quote
	done  bool // the last part was given
}

func newResultParts(v string) resultParts {
	return resultParts{v: v, q: strings.IndexByte(v, '"')}
}

// next returns the next part; false when the last one was given.
func (p *resultParts) next() (string, bool) {
	if p.done {
		return "", false
	}
	if end := cutResult(p.v, p.start, &p.q); end >= 0 {
		part := p.v[p.start:end]
		p.start = end + 1
		return part, true
	}
	p.done = true
	return p.v[p.start:], true
}

// cutResult is indexOutsideQuotes(v[start:], ';') + start: where the
// result that starts at start ends. q is the offset of the first '"' at or
// after start (-1 for none), and is left so for the offset after the ';'
// found. The ';' and the quotes are found by strings.IndexByte, not by a
// look at every byte, and the next quote is kept from one result to the
// next: most fields have none or a few.
func cutResult(v string, start int, q *int) int {
	for j := start; ; {
		k := strings.IndexByte(v[j:], ';')
		if k < 0 {
			return -1
		}
		k += j
		if *q < 0 || *q > k {
			return k // no quote before it: outside quotes
		}
		// A quoted string opens before the ';': it ends at the next quote.
		e := strings.IndexByte(v[*q+1:], '"')
		if e < 0 {
			*q = -1
			return -1 // never closed: no ';' after it is outside quotes
		}
		j = *q + 1 + e + 1
		if *q = strings.IndexByte(v[j:], '"'); *q >= 0 {
			*q += j
		}
	}
}

// firstPart is splitOutsideQuotes(s, sep)[0], without the others.
func firstPart(s string, sep byte) string {
	if i := indexOutsideQuotes(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

// firstWord is the first of strings.Fields(s), or "".
func firstWord(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}

// parseResInfo reads "method[/version]=result reason=... ptype.prop=value".
// It walks the words of s without making a list of them: it runs for
// every result of every trusted field. The words of ASCII text are cut
// here byte by byte, which notes where each one's "=" is and whether it
// needs lowering; text with a byte past ASCII, whose white space and case
// are Unicode's, is read by parseResInfoFields.
func parseResInfo(s string) (AuthResult, bool) { return parseResInfoIn(s, nil) }

// parseResInfoIn is parseResInfo, the result's properties appended to
// *props when props is not nil (the result's Props are then a piece of
// it, with no room past its end) instead of a list of their own.
func parseResInfoIn(s string, props *Props) (AuthResult, bool) {
	var r AuthResult
	first := true
	for i := 0; ; {
		for i < len(s) && resByte[s[i]] == rbSpace {
			i++
		}
		if i == len(s) {
			break
		}
		start, eq := i, -1
		var cls uint8 // rbUpperKey, rbUpperVal: an upper-case letter before, after the "="
		for i < len(s) {
			if i+8 <= len(s) {
				// Eight bytes at once: most are ones passed over.
				m := resMarked8(binary.LittleEndian.Uint64([]byte(s[i : i+8])))
				if m == 0 {
					i += 8
					continue
				}
				i += bits.TrailingZeros64(m) / 8
			}
			c := resByte[s[i]]
			if c == 0 {
				i++
				continue
			}
			if c == rbSpace {
				break
			}
			switch {
			case c == rbHigh:
				return parseResInfoFields(s)
			case c == rbEq && eq < 0:
				eq = i
			case c == rbUpper && eq < 0:
				cls |= rbUpperKey
			case c == rbUpper:
				cls |= rbUpperVal
			}
			i++
		}
		if eq < 0 {
			if first {
				return AuthResult{}, false
			}
			continue
		}
		k, v := s[start:eq], s[eq+1:i]
		if cls&rbUpperKey != 0 {
			k = strings.ToLower(k)
		}
		if first {
			if k == "" {
				return AuthResult{}, false
			}
			if j := strings.IndexByte(k, '/'); j >= 0 {
				k = k[:j]
			}
			r.Method, r.Result, first = k, trimQuotes(v), false
			if cls&rbUpperVal != 0 {
				r.Result = strings.ToLower(r.Result)
			}
			continue
		}
		if k == "reason" {
			r.Reason = trimQuotes(v)
			continue
		}
		p := Prop{k, trimQuotes(v)}
		switch {
		case props != nil:
			start := len(*props) - len(r.Props)
			*props = append(*props, p)
			r.Props = (*props)[start:len(*props):len(*props)]
		case r.Props == nil:
			r.Props = append(make(Props, 0, 4), p)
		default:
			r.Props = append(r.Props, p)
		}
	}
	return r, r.Method != "" && r.Result != ""
}

// Byte classes of parseResInfo: 0 for the bytes it passes over.
const (
	rbSpace = 1 + iota // ASCII white space, as strings.Fields has it
	rbEq               // "="
	rbUpper            // 'A' to 'Z'
	rbHigh             // a byte past ASCII
)

// trimQuotes is strings.Trim(v, `"`), inline: most values have no quote
// at either end, and the call cost more than the look.
func trimQuotes(v string) string {
	for v != "" && v[0] == '"' {
		v = v[1:]
	}
	for v != "" && v[len(v)-1] == '"' {
		v = v[:len(v)-1]
	}
	return v
}

// resMarked8 has the top bit set of each of the eight bytes of x (little
// endian: the first byte lowest) that resByte gives a class, and of the
// other bytes below 0x21 (control bytes, passed over one by one): a byte
// past ASCII, below 0x21, '=' or 'A' to 'Z'. Every sum is of a byte's low
// seven bits and a constant below 0x80, so that none carries into the
// next byte and the mask is exact byte by byte.
func resMarked8(x uint64) uint64 {
	const ones = 0x0101010101010101
	const high, low7 = 0x80 * ones, 0x7f * ones
	x7 := x & low7
	e := x ^ '='*ones
	notEq := (e&low7 + low7) | e // top bit set where the byte is not '='
	ctl := ^(x7 + (0x80-0x21)*ones)
	upper := (x7 + (0x80-'A')*ones) &^ (x7 + (0x80-'Z'-1)*ones)
	return (x | ctl | upper | ^notEq) & high
}

// Bits of parseResInfo's note on a word.
const (
	rbUpperKey = 1 << iota
	rbUpperVal
)

var resByte = func() (t [256]uint8) {
	for _, c := range []byte("\t\n\v\f\r ") {
		t[c] = rbSpace
	}
	t['='] = rbEq
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = rbUpper
	}
	for c := utf8.RuneSelf; c < 0x100; c++ {
		t[c] = rbHigh
	}
	return t
}()

// parseResInfoFields is parseResInfo of any text, by strings.FieldsSeq.
func parseResInfoFields(s string) (AuthResult, bool) {
	var r AuthResult
	first := true
	for t := range strings.FieldsSeq(s) {
		k, v, ok := strings.Cut(t, "=")
		if first {
			if !ok || k == "" {
				return AuthResult{}, false
			}
			if i := strings.IndexByte(k, '/'); i >= 0 {
				k = k[:i]
			}
			r.Method, r.Result, first = strings.ToLower(k), strings.ToLower(strings.Trim(v, `"`)), false
			continue
		}
		if !ok {
			continue
		}
		k = strings.ToLower(k)
		if k == "reason" {
			r.Reason = strings.Trim(v, `"`)
			continue
		}
		if r.Props == nil {
			r.Props = make(Props, 0, 4)
		}
		r.Props = append(r.Props, Prop{k, strings.Trim(v, `"`)})
	}
	return r, r.Method != "" && r.Result != ""
}

// stripComments removes RFC 5322 comments, nested, outside quotes; each
// becomes one space. Text outside comments is copied in runs.
func stripComments(s string) string {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	depth, quoted, start := 0, false, 0 // s[start:] is outside comments when depth is 0
	// Outside comments and quotes only '(', '"' and '\\' are acted on,
	// and most text is there: the next of each is found by
	// strings.IndexByte, many bytes a step, and the next quote and
	// backslash (most fields have none) are looked for again only once
	// passed. open is the next '(' when not below i.
	quote, bslash := -1, -1
	for i := 0; ; i++ {
		if depth == 0 && !quoted {
			if open < i {
				open = indexByteFrom(s, i, '(')
			}
			if quote < i {
				quote = indexByteFrom(s, i, '"')
			}
			if bslash < i {
				bslash = indexByteFrom(s, i, '\\')
			}
			i = min(open, quote, bslash)
		} else {
			// In a comment or quotes: most bytes are none of the four
			// the cases below are about.
			i = nextCommentByte(s, i)
		}
		if i >= len(s) {
			break
		}
		switch ch := s[i]; {
		case ch == '\\' && i+1 < len(s):
			i++ // a quoted pair: kept outside comments, dropped inside
		case ch == '"' && depth == 0:
			quoted = !quoted
		case ch == '(' && !quoted:
			if depth == 0 {
				b.WriteString(s[start:i])
			}
			depth++
		case ch == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
				start = i + 1
			}
		}
	}
	if depth == 0 {
		b.WriteString(s[start:])
	}
	return b.String()
}

// indexByteFrom is the index of the first c in s at or after i, len(s)
// when there is none.
func indexByteFrom(s string, i int, c byte) int {
	if j := strings.IndexByte(s[i:], c); j >= 0 {
		return i + j
	}
	return len(s)
}

// commentByte marks the bytes stripComments acts on.
var commentByte = [256]bool{'\\': true, '"': true, '(': true, ')': true}

// nextCommentByte is the index of the first byte at or after i of s that
// commentByte marks, len(s) when there is none. Eight bytes are looked at
// at once: a byte of x is zero where the text has the byte looked for, and
// (x - 0x01...) &^ x has the top bit of the lowest zero byte set, and of
// none below it (a byte above it may borrow, which the lowest does not
// see).
func nextCommentByte(s string, i int) int {
	const ones = 0x0101010101010101
	const high = 0x80 * ones
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		q, b, p := x^'"'*ones, x^'\\'*ones, (x|1*ones)^')'*ones // ( and ) differ in the lowest bit alone
		if m := ((q-ones)&^q | (b-ones)&^b | (p-ones)&^p) & high; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && !commentByte[s[i]]; i++ {
	}
	return i
}

// AuthResultsOf returns every Authentication-Results field of an analysed
// message, in header order, each marked Trusted when the receiving side
// wrote it. It reads the report only (Fields and the hops' Trusted marks
// set by Analyze), so other packages can compare the trusted results with
// their own checks. trusted is the --trusted list.
func AuthResultsOf(rep *MessageReport, trusted []string) []AuthResults {
	t := trustFromReport(rep.Hops, trusted)
	var idx []int
	for i := range rep.Fields {
		if equalFoldASCII(rep.Fields[i].Name, "Authentication-Results") {
			idx = append(idx, i)
		}
	}
	return classifyAuthResults(rep.Fields, rep.Header.Fields, idx, rep.Hops, t, true)
}

// trustFromReport rebuilds what the authserv-id check needs from the
// hops' Trusted marks.
func trustFromReport(hops []received.Hop, trusted []string) *Trust {
	t := &Trust{list: parseTrusted(trusted)}
	for i := len(hops) - 1; i >= 0 && hops[i].Trusted; i-- {
		t.addSide(hops[i].By.Host)
		t.Boundary = hops[i].Index
	}
	return t
}

// Where an Authentication-Results field sits says who could have written
// it. Receivers prepend their fields at the top (or, like Gmail, just
// below their own Received line); milters that append put them after
// every Received line, exactly where a sender's own fields are.
type arZone int

const (
	zoneTop    arZone = iota // above the newest untrusted Received line: the receiving side's
	zoneMiddle               // between untrusted Received lines: was in the message before
	zoneBottom               // after every Received line: a milter's or the sender's
	// zoneBeforeOrigin is zoneBottom above the end of the message's own
	// fields (From, Date, Subject, Content-Type...): a milter that appends
	// writes after them, so a field there was in the message before it
	// arrived.
	zoneBeforeOrigin
	// zoneBelowMicrosoftEntry is below the Received line of the hop taken
	// from outside, for a field in Microsoft 365's name (belowEntry).
	zoneBelowMicrosoftEntry
)

// besideOwnReceived reports whether the Received field just above line was
// written by the authserv-id's own organisation or provider family: a
// receiver writes its results next to its Received line (Postfix with a
// milter just below it), so that field and the results came together.
func besideOwnReceived(line int, authservID string, hops []received.Hop) bool {
	var above *received.Hop
	for i := range hops {
		if h := &hops[i]; h.Line > 0 && h.Line < line && (above == nil || h.Line > above.Line) {
			above = h
		}
	}
	if above == nil || above.By.Host == "" || authservID == "" {
		return false
	}
	by, id := facts(above.By.Host), facts(authservID)
	return by.clean != "" && (by.org == id.org || by.family == id.family)
}

// originEnd is the line of the last of the author's own fields (RFC 5322
// §3.6 and the MIME fields the author's program writes last), 0 when there
// is none: a receiver that appends writes below it.
func originEnd(fields []Field) int {
	end := 0
	for i := range fields {
		if n := len(fields[i].Name); n >= len(originLength) || !originLength[n] {
			continue // most fields: no origin field's name is that long
		}
		for _, name := range originFields {
			if equalFoldASCII(fields[i].Name, name) {
				end = max(end, fields[i].Line)
				break
			}
		}
	}
	return end
}

var originFields = [...]string{"From", "Sender", "Reply-To", "To", "Cc", "Date", "Subject", "Message-ID",
	"MIME-Version", "Content-Type"}

// originLength marks the lengths of originFields' names.
var originLength = func() (t [16]bool) {
	for _, n := range originFields {
		t[len(n)] = true
	}
	return t
}()

func zoneOf(line int, hops []received.Hop, t *Trust) arZone {
	if t.Boundary <= 1 || len(hops) == 0 {
		return zoneTop
	}
	newestUntrusted, oldest := hops[t.Boundary-2].Line, hops[0].Line
	switch {
	case newestUntrusted == 0 || line < newestUntrusted:
		return zoneTop
	case line < oldest:
		return zoneMiddle
	}
	return zoneBottom
}

// topZoneEnd is the line of the newest untrusted Received field: fields
// above it were written by the receiving side (or lie about it).
func (c *Context) topZoneEnd() int {
	hops := c.Report.Hops
	if c.Trust == nil || c.Trust.Boundary <= 1 || hops[c.Trust.Boundary-2].Line == 0 {
		return 1 << 30
	}
	return hops[c.Trust.Boundary-2].Line
}

// classifyAuthResults parses the fields and decides which ones the
// receiving side wrote: its authserv-id (its organisation or provider
// family, or --trusted) in the top zone, or in the bottom zone when the
// receiving side wrote none at the top (it appends). The results of
// fields the receiving side did not write are read only when all is set:
// the rules never look at them.
// idx lists the indexes of the Authentication-Results fields.
func classifyAuthResults(fields []Field, summary []FieldEntry, idx []int, hops []received.Hop, t *Trust, all bool) []AuthResults {
	microsoftSide := t.hasFamily("microsoft")
	out := make([]AuthResults, 0, len(idx))
	// Most messages have a few fields: their zones and texts fit on the
	// stack.
	var zoneBuf [8]arZone
	var textBuf [8]string
	zones, texts := zoneBuf[:0], textBuf[:0] // texts: each field without comments, for its results
	ownTop := false
	origin := -1 // originEnd(fields), worked out for the first field in the bottom zone
	for _, i := range idx {
		f := &fields[i]
		ar, v := parseAuthHead(unfoldedAt(fields, summary, i))
		texts = append(texts, v)
		ar.Line = f.Line
		z := zoneOf(f.Line, hops, t)
		ownSide := t.isSide(ar.AuthServID) || ar.AuthServID == "" && microsoftSide
		// A trusted hop's by-host, as written: the receiver's name even
		// when it is no organisation's (mx.corp.internal).
		ownHost := !ownSide && trustedHost(hops, ar.AuthServID)
		own := ownSide || ownHost
		if z == zoneBottom && origin < 0 {
			origin = originEnd(fields) // most fields are in the top zone, which it does not concern
		}
		if z == zoneBottom && origin > 0 && f.Line < origin && !besideOwnReceived(f.Line, ar.AuthServID, hops) {
			z = zoneBeforeOrigin
		}
		if ownSide && microsoftID(ar.AuthServID, microsoftSide) && belowEntry(f.Line, t) {
			z = zoneBelowMicrosoftEntry
		}
		switch {
		case len(hops) == 0:
			ar.Why = "no Received line: nobody is known to have received the message"
		case !own && ar.AuthServID == "":
			ar.Why = "no authserv-id, and the receiving side is not Microsoft 365"
		case !own:
			ar.Why = fmt.Sprintf("authserv-id %s is not the receiving side", ar.AuthServID)
		case z == zoneMiddle:
			ar.Why = fmt.Sprintf("between the Received lines of hops taken from outside (below hop %d): it was in the message before", t.Boundary-1)
		case z == zoneBeforeOrigin:
			ar.Why = "between the Received lines and the end of the message's own fields, where no receiver appends: it was in the message before"
		case z == zoneBelowMicrosoftEntry:
			ar.Why = fmt.Sprintf("below the Received line of hop %d, which took the message from outside, while Microsoft 365 writes its results above the line of the hop it checked: it was in the message before", t.outside.Index)
		case ownHost && f.Line > hops[0].Line:
			// Where milters append, a name of no organisation could be
			// anyone's: only the top vouches for it.
			ar.Why = fmt.Sprintf("after every Received line, under %s, a name of no organisation: the receiver's only above its Received lines", ar.AuthServID)
		default:
			ar.Trusted, ar.Why = true, "written by the receiving side"
			ownTop = ownTop || z == zoneTop
		}
		ar.forged = own && (z == zoneMiddle || z == zoneBeforeOrigin || z == zoneBelowMicrosoftEntry)
		if ar.forged && ar.AuthServID == "" && microsoftSide && submissionStamp(ar.Raw) && claimsNothing(v) {
			ar.forged = false
			ar.Why = "Microsoft 365's record of the sender's own tenant (results none, as it writes at submission): it vouches for nothing"
		}
		out = append(out, ar)
		zones = append(zones, z)
	}
	for i := range out {
		if out[i].Trusted && zones[i] == zoneBottom && ownTop {
			out[i].Trusted = false
			out[i].Why = "after every Received line while the receiving side wrote its own results above: the sender's"
		}
		if all || out[i].Trusted {
			out[i].parseResults(texts[i])
		}
	}
	markContradicted(out, hops)
	return out
}

// markContradicted takes away the trust of a field that claims a pass the
// same receiver's other field at the same hop (no Received line between
// them) denies: one receiver evaluates DMARC once per author domain and
// reads each signature once, so it does not say both. Postfix's milters
// (OpenDKIM, OpenDMARC, rspamd) write just below its Received line of the
// hop they checked, where a message sent straight from the forger's host
// begins with its own fields; the pass among them came with it.
func markContradicted(out []AuthResults, hops []received.Hop) {
	for i := range out {
		for j := range out {
			a, b := &out[i], &out[j]
			if i == j || !a.Trusted || !b.Trusted || a.AuthServID == "" ||
				!strings.EqualFold(a.AuthServID, b.AuthServID) || !sameHopBlock(a.Line, b.Line, hops) {
				continue
			}
			if claim, denial := contradiction(a, b); claim != "" {
				a.Trusted, a.forged = false, true
				a.Why = fmt.Sprintf("says %s beside its own %s at the same hop (line %d): a receiver does not contradict itself there, so this field came with the message", claim, denial, b.Line)
			}
		}
	}
}

// sameHopBlock reports fields at lines x and y with no Received line of
// hops between them.
func sameHopBlock(x, y int, hops []received.Hop) bool {
	lo, hi := min(x, y), max(x, y)
	for i := range hops {
		if l := hops[i].Line; l > lo && l < hi {
			return false
		}
	}
	return true
}

// contradiction returns a pass of a that b denies, and b's denial, as
// written ("dmarc=pass header.from=paypal.com", "dmarc=fail"): a DMARC
// pass and fail for the same author domain, an SPF pass and fail for the
// same MAIL FROM, a DKIM pass where b says the message had no signature
// (none) or that the same domain's signature failed (the same one, when
// both name it by header.b).
func contradiction(a, b *AuthResults) (string, string) {
	for _, r := range a.Results {
		if r.Result != "pass" {
			continue
		}
		key := identityKey(r.Method)
		if key == "" {
			continue
		}
		v := r.Props.Get(key)
		for _, d := range b.Results {
			if d.Method != r.Method {
				continue
			}
			same := v != "" && strings.EqualFold(v, d.Props.Get(key))
			if rb, db := r.Props.Get("header.b"), d.Props.Get("header.b"); rb != "" && db != "" && rb != db {
				same = false // two signatures of one domain: one may pass, one fail
			}
			denied := (d.Result == "fail" || r.Method == "spf" && d.Result == "softfail") && same ||
				r.Method == "dkim" && d.Result == "none"
			if denied {
				return r.Method + "=pass " + key + "=" + v, d.Method + "=" + d.Result
			}
		}
	}
	return "", ""
}

// identityKey is the property that names the identity a dmarc, spf or
// dkim result is about; "" for other methods. A switch, not a map made
// for every result compared.
func identityKey(method string) string {
	switch method {
	case "dmarc":
		return "header.from"
	case "spf":
		return "smtp.mailfrom"
	case "dkim":
		return "header.d"
	}
	return ""
}

// trustedHost reports an authserv-id that is the by-host of a trusted hop,
// as written: a receiving side named under no public suffix
// (mx.corp.internal, gw.example.local) has no organisation to compare, yet
// its hop names it all the same.
func trustedHost(hops []received.Hop, id string) bool {
	if id == "" {
		return false
	}
	for i := range hops {
		if hops[i].Trusted && strings.EqualFold(strings.TrimSuffix(hops[i].By.Host, "."), strings.TrimSuffix(id, ".")) {
			return true
		}
	}
	return false
}

// authResults computes the classification once per message.
func (c *Context) authResults() []AuthResults {
	if c.cacheReady&cachedAuth != 0 {
		return c.authCache
	}
	t := c.Trust
	if t == nil {
		t = &Trust{}
	}
	x := c.fields()
	if len(x.authResults) == 0 {
		c.authCache, c.cacheReady = nil, c.cacheReady|cachedAuth
		return nil
	}
	out := classifyAuthResults(c.Msg.Fields, c.Report.Header.Fields, x.authResults, c.Report.Hops, t, false)
	c.authCache, c.cacheReady = out, c.cacheReady|cachedAuth
	return out
}

// forgedClaim: the receiver's own authserv-id in a field the receiver did
// not write.
func forgedClaim(a AuthResults) bool {
	return !a.Trusted && a.forged
}

// claimsNothing reports results that are all "none": the sender's own
// tenant of Microsoft 365 stamps "dkim=none (message not signed)
// header.d=none;dmarc=none action=none header.from=..." at submission, so
// mail from one tenant that reaches another through a gateway carries it
// among its own fields. It vouches for nothing, so it forges nothing.
func claimsNothing(v string) bool {
	var a AuthResults
	a.parseResults(v)
	if len(a.Results) == 0 {
		return false
	}
	for _, r := range a.Results {
		if r.Result != "none" {
			return false
		}
	}
	return true
}

// submissionStamp reports a field in the form of the stamp Microsoft 365
// writes at submission (claimsNothing), with no authserv-id: no quoted
// string and no comment but its "(message not signed)". A forger's field of
// none results that hides "dkim=pass" in a reason="..." or a comment, for
// the eye or a parser that splits at every ';', is no such stamp.
func submissionStamp(raw string) bool {
	rest := strings.ReplaceAll(strings.ToLower(raw), "(message not signed)", "")
	return !strings.ContainsAny(rest, "\"()")
}

// microsoftID reports an authserv-id of Microsoft 365: none at all where
// the receiving side is Microsoft's (it writes none), or a name of its.
func microsoftID(id string, microsoftSide bool) bool {
	return id == "" && microsoftSide || id != "" && facts(id).family == "microsoft"
}

// belowEntry reports a field below the Received line of the hop the
// receiving side took from outside. Exchange Online Protection writes its
// Authentication-Results (and Received-SPF) just above the line of the hop
// it checked, never below it as a milter behind Postfix does; a field in
// its name below that line came with the message.
func belowEntry(line int, t *Trust) bool {
	return t.outside != nil && t.outside.Line > 0 && line > t.outside.Line
}

func checkAuthResForged(c *Context) []Finding {
	var out []Finding
	for _, a := range c.authResults() {
		if forgedClaim(a) {
			id := a.AuthServID
			if id == "" {
				id = "Microsoft 365 (no authserv-id)"
			}
			out = append(out, Finding{Line: a.Line, Message: "Authentication-Results of " + id + " " + a.Why,
				Evidence: "Authentication-Results: " + a.Raw, Hops: []int{c.Trust.Boundary - 1}})
		}
	}
	return out
}

func checkAuthResUntrusted(c *Context) []Finding {
	var out []Finding
	for _, a := range c.authResults() {
		if !a.Trusted && !forgedClaim(a) {
			out = append(out, Finding{Line: a.Line, Message: "ignored: " + a.Why,
				Evidence: "Authentication-Results: " + a.Raw})
		}
	}
	return out
}

func checkAuthResTrusted(c *Context) []Finding {
	var out []Finding
	ownDMARC := dmarcChecked(c.authResult())
	for _, a := range c.authResults() {
		if !a.Trusted {
			continue
		}
		f := Finding{Line: a.Line, Severity: SeverityInfo, Message: trustedMessage(&a), Evidence: "Authentication-Results: " + a.Raw}
		// Without its own DMARC result, the receiver's failure is read; most
		// fields record none (mayRecordDMARCFail).
		if !ownDMARC && mayRecordDMARCFail(&a) {
			if p, overridden := recordedDMARCFail(a); p == "reject" || p == "quarantine" {
				f.Severity = SeverityMedium
				f.Message += fmt.Sprintf("; the receiving side recorded a DMARC failure under p=%s, which mailtrace could not check itself", p)
				if overridden {
					// Forwarding the receiver recognised (ARC) or its own
					// choice not to apply the policy: a failure genuine mail
					// meets too.
					f.Severity = SeverityLow
					f.Message += " (the receiver did not apply the policy: forwarding, ARC or a local override)"
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// mayRecordDMARCFail reports whether a, a field whose results are read
// (a trusted one), can hold the dmarc=fail recordedDMARCFail looks for: it
// does when its results hold one, since dmarcFailText cuts the field where
// parseResults cuts it (at each ';' outside quoted strings and comments)
// and reads each part as it does. A backslash is the exception: a quoted
// pair is one to stripComments and splitResults but not to the cut of
// parseResults (indexOutsideQuotes), so such a field is read as it stands.
// Most trusted fields record no DMARC failure, and their text is not cut
// and read again.
func mayRecordDMARCFail(a *AuthResults) bool {
	for i := range a.Results {
		if r := &a.Results[i]; r.Method == "dmarc" && r.Result == "fail" {
			return true
		}
	}
	return strings.IndexByte(a.Raw, '\\') >= 0
}

// dmarcChecked reports whether mailtrace evaluated DMARC itself (with DNS):
// then dmarc-fail says what the receiver's record would.
func dmarcChecked(res *auth.Result) bool {
	if res == nil || res.DMARC == nil {
		return false
	}
	switch res.DMARC.Result {
	case auth.StatusNotChecked, auth.StatusTempError, "":
		return false
	}
	return true
}

// recordedDMARCFail is the policy a receiver recorded with a dmarc=fail in
// a: "p=REJECT" in Gmail's comment, "policy=" or "header.policy=" (rspamd,
// others), or Microsoft 365's "action="; lower case, "" when the field
// records no DMARC failure or no policy. overridden reports a receiver
// that says it did not apply the policy: Gmail's "dis=NONE" or "arc=pass"
// beside its dmarc=fail, Microsoft's "action=oreject" or "oquarantine".
// Only the dmarc result's own text is read (dmarcFailText): the comments
// of the other results quote what the sender chose (a MAIL FROM, the
// results of an ARC set it sealed), and an arc=pass result says only that
// a chain verified, whoever sealed it.
func recordedDMARCFail(a AuthResults) (policy string, overridden bool) {
	seg := strings.ToLower(dmarcFailText(a.Raw))
	if seg == "" {
		return "", false
	}
	overridden = policyValue(seg, "dis=") == "none" || policyValue(seg, "arc=") == "pass"
	for _, key := range [...]string{"p=", "policy=", "action="} {
		v := policyValue(seg, key)
		if o := strings.TrimPrefix(strings.TrimPrefix(v, "o"), "."); o != v && key == "action=" {
			v, overridden = o, true // Microsoft's oreject (o.reject), oquarantine: the policy, overridden
		}
		if v == "reject" || v == "quarantine" || v == "none" {
			return v, overridden
		}
	}
	return "", overridden
}

// dmarcFailText is the text of the first dmarc=fail result of raw, a whole
// field, comments included, from its method to the ';' that ends it; "" when
// there is none. Results are split where parseResults splits them, outside
// quoted strings and comments, so "dmarc=fail" quoted in another result's
// comment or value is not taken for it.
func dmarcFailText(raw string) string {
	// A dmarc=fail result's words are in raw as written, whatever their
	// case: most fields record none, and are not split and parsed again.
	if !containsFold(raw, "fail") || !containsFold(raw, "dmarc") {
		return ""
	}
	for _, part := range splitResults(raw) {
		if r, ok := parseResInfo(stripComments(part)); ok && r.Method == "dmarc" && r.Result == "fail" {
			return part
		}
	}
	return ""
}

// splitResults splits an Authentication-Results value at each ';' outside
// quoted strings and comments (RFC 8601 §2.2), as stripComments reads them.
func splitResults(s string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\' && i+1 < len(s):
			i++
		case ch == '"' && depth == 0:
			quoted = !quoted
		case ch == '(' && !quoted:
			depth++
		case ch == ')' && !quoted && depth > 0:
			depth--
		case ch == ';' && !quoted && depth == 0:
			parts, start = append(parts, s[start:i]), i+1
		}
	}
	return append(parts, s[start:])
}

// policyValue is the value of key ("p=") in seg, a receiver's text beside
// one result, where key stands as a word of its own (not "sp=" for "p=").
func policyValue(seg, key string) string {
	for k := 0; k < len(seg); {
		n := strings.Index(seg[k:], key)
		if n < 0 {
			return ""
		}
		k += n
		if k == 0 || !isPolicyKeyByte(seg[k-1]) {
			v := seg[k+len(key):]
			return v[:strings.IndexFunc(v+" ", func(r rune) bool { return r == ' ' || r == ')' || r == '\t' || r == ',' || r == '"' })]
		}
		k++
	}
	return ""
}

// isPolicyKeyByte reports a byte that makes a key part of a longer one:
// "sp=" is no "p=" (a dot separates: "header.policy=" is "policy=").
func isPolicyKeyByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// trustedMessage is authres-trusted's message: the authserv-id and a
// summary of the results, "mx.example.net: dkim=pass header.d=example.org;
// spf=pass smtp.mailfrom=example.org", or "no results". It is written
// into a buffer on the stack and copied out once.
func trustedMessage(a *AuthResults) string {
	if len(a.Results) == 0 {
		return a.AuthServID + ": no results"
	}
	var buf [256]byte
	b := append(buf[:0], a.AuthServID...)
	b = append(b, ": "...)
	for i := range a.Results {
		r := &a.Results[i]
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(append(append(b, r.Method...), '='), r.Result...)
		// The identities, in the order of their names, each once.
		for _, k := range [...]string{"header.d", "header.from", "header.i", "smtp.mailfrom"} {
			if v, ok := r.Props.lookup(k); ok {
				b = append(append(append(append(b, ' '), k...), '='), v...)
			}
		}
	}
	return string(b)
}
