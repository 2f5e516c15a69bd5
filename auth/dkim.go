package auth

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIM is the result of one DKIM-Signature field (RFC 6376).
type DKIM struct {
	Signature
	Index      int        `json:"index"`              // 1-based, in header order (top first)
	Identity   string     `json:"identity,omitempty"` // i=
	Canon      string     `json:"canonicalization"`   // c=, defaults filled in
	Headers    []string   `json:"signed_headers"`     // h=
	Signed     *time.Time `json:"signed,omitempty"`   // t=
	Expires    *time.Time `json:"expires,omitempty"`  // x=
	BodyLength *int64     `json:"body_length,omitempty"`
	// BodyHash compares bh= with the body as it is now, whatever the key:
	// "match", "mismatch", "not-checked" when a header-only check had no
	// reason to read the body (Options.HeaderOnly, offline) or "" when
	// the signature could not be read.
	BodyHash string `json:"body_hash,omitempty"`
	// UnsignedBytes counts canonical body bytes past l= (content that
	// could have been appended after signing).
	UnsignedBytes int64 `json:"unsigned_bytes,omitempty"`
	// Aligned: d= has the same organisational domain as the From domain
	// (DMARC relaxed alignment, RFC 7489 §3.1.1); Alignment says
	// "strict" (same domain), "relaxed" (same organisational domain) or
	// "none".
	Aligned   bool   `json:"aligned"`
	Alignment string `json:"alignment"`
	// b is the start of the signature's b= (bKept characters, folding
	// whitespace removed), for claims that name a signature by it.
	b string
	// signedCount is how many names h= lists; Headers keeps at most
	// maxSignedFields of them.
	signedCount int
}

// MightHavePassed reports whether the signature failed only for want of
// DNS today (key gone, revoked, lookup failed) while the body still
// matches: at delivery it may well have passed.
func (d *DKIM) MightHavePassed() bool {
	return (d.Problem.DNSDependent() || d.Result == StatusTempError) && d.BodyHash != "mismatch"
}

// requiredDKIMTags are the tags RFC 6376 §3.5 requires.
var requiredDKIMTags = []sigTag{tagV, tagA, tagB, tagBH, tagD, tagH, tagS}

// checkDKIM verifies every DKIM-Signature of m: go-msgauth gives the
// verdict; the signature's own tags, the body hash and the policy
// fallbacks come from this package.
func (v *Verifier) checkDKIM(l *lookups, m *message, from, fromOrg string) ([]DKIM, int) {
	hashBody := hashesBody(v.opts, l)
	if l.r == nil && !hashBody {
		return describeDKIMs(m, from, fromOrg)
	}
	var buf [8]int
	idx, omitted := signatureFields(m, buf[:0])
	out := make([]DKIM, len(idx))
	if l.r == nil {
		// Offline the signatures are described, not verified.
		for i, fi := range idx {
			s, serr := describeDKIM(&out[i], m, fi, i+1, from, fromOrg)
			compareBody(&out[i], &s, serr, m)
			notChecked(&out[i])
		}
		return out, omitted
	}
	sigs := make([]*msgSig, len(idx))
	serrs := make([]*sigError, len(idx))
	for i, fi := range idx {
		s, serr := describeDKIM(&out[i], m, fi, i+1, from, fromOrg)
		compareBody(&out[i], &s, serr, m)
		serrs[i] = serr
		if serr == nil {
			sigs[i] = &s
		}
	}
	if len(idx) == 0 {
		return out, omitted
	}
	verifs := v.libraryVerify(l, m, len(idx), out)
	now := v.opts.Now()
	for i := range out {
		if i >= len(verifs) || verifs[i] == nil {
			continue // a limit already recorded
		}
		l.judgeDKIM(&out[i], sigs[i], verifs[i].Err, m, now)
		judgeTimes(&out[i])
		if serrs[i] != nil && out[i].Problem.DNSDependent() && serrs[i].problem != ProblemLimit {
			// The signature is unusable whatever DNS says (rsa-sha1, bad
			// tags): say that rather than what the key lookup found.
			setResult(&out[i], StatusPermError, serrs[i].problem, serrs[i].reason+" (and "+out[i].Reason+")")
		}
	}
	return out, omitted
}

// describeDKIMs describes every DKIM-Signature of m, offline, leaving the
// body unread.
func describeDKIMs(m *message, from, fromOrg string) ([]DKIM, int) {
	var buf [8]int
	idx, omitted := signatureFields(m, buf[:0])
	out := make([]DKIM, len(idx))
	for i, fi := range idx {
		describeDKIM(&out[i], m, fi, i+1, from, fromOrg)
		notChecked(&out[i])
	}
	return out, omitted
}

// maxListedSignatures bounds the DKIM signatures a result lists (at most
// MaxSignatures of them are verified): signers add one or two, and each
// listed one is read, and its body hash computed, on its own.
const maxListedSignatures = 50

// signatureFields appends the indexes of the first maxListedSignatures
// DKIM-Signature fields to buf, and counts the others.
func signatureFields(m *message, buf []int) ([]int, int) {
	idx := m.appendAll(buf, kindDKIM)
	if len(idx) > maxListedSignatures {
		return idx[:maxListedSignatures], len(idx) - maxListedSignatures
	}
	return idx, 0
}

// notChecked is the result of a signature offline.
func notChecked(d *DKIM) { setResult(d, StatusNotChecked, ProblemNotChecked, reasonOffline) }

// hashesBody reports whether the body hashes are computed: always, but
// on a header-only check without DNS, where no verdict needs them.
func hashesBody(o Options, l *lookups) bool { return !o.HeaderOnly || l.r != nil }

// bodyNotChecked is DKIM.BodyHash when the body was left unread.
const bodyNotChecked = "not-checked"

// describeDKIM fills d, a zero DKIM in the result, with what the
// signature says of itself, and returns the signature read, with the
// reason when this package cannot use it. The body hash is left to
// compareBody. fromOrg is the From domain's organisational domain.
//
// d is filled where it stands, field by field: a DKIM made apart and
// stored into the result would take a write barrier for each of its
// pointer slots, nil ones included, while the collector marks.
func describeDKIM(d *DKIM, m *message, fi, n int, from, fromOrg string) (msgSig, *sigError) {
	f := m.fields[fi]
	s, serr := readMsgSig(f, requiredDKIMTags)
	d.Index, d.Headers = n, s.signed
	d.Domain, d.Selector, d.Algorithm, d.Line = s.domain, s.selector, s.algorithm, f.Line
	d.Identity = s.tags.stripped(tagI)
	d.b = fwsPrefix(s.tags.value(tagB), bKept)
	if d.Headers == nil {
		d.Headers = colonList(s.tags.value(tagH))
	}
	if d.Headers == nil {
		d.Headers = []string{} // a signature without h=: an array, as docs/json.md has it
	}
	if d.signedCount = len(d.Headers); d.signedCount > maxSignedFields {
		// Past the limit (a ProblemLimit), the names are not all listed.
		d.Headers = slices.Clone(d.Headers[:maxSignedFields])
	}
	if s.canonRead {
		d.Canon = canonName(s.headerC, s.bodyC, true)
	} else {
		d.Canon = canonName(s.tags.canon())
	}
	d.Signed = unixTag(s.tags.get(tagT))
	d.Expires = unixTag(s.tags.get(tagX))
	if s.bodyLimit >= 0 {
		n := s.bodyLimit // a copy: a pointer into s would move every s to the heap
		d.BodyLength = &n
	}
	d.Alignment = alignment(d.Domain, from, fromOrg)
	d.Aligned = d.Alignment != alignNone
	if serr == nil {
		d.BodyHash = bodyNotChecked // until compareBody hashes it
	}
	return s, serr
}

// compareBody compares the body hash of a usable signature with the body.
func compareBody(d *DKIM, s *msgSig, serr *sigError, m *message) {
	if serr != nil {
		return
	}
	c := s.checkBody(m)
	d.BodyHash = "mismatch"
	if c.match {
		d.BodyHash = "match"
	}
	d.UnsignedBytes = c.unsigned
}

// bKept is how much of a signature's b= a DKIM result keeps: receivers
// record 8 to a dozen characters of it as header.b (RFC 6008).
const bKept = 32

// fwsPrefix returns the first n characters of v that are not folding
// whitespace.
func fwsPrefix(v string, n int) string {
	end, kept := 0, 0
	for end < len(v) && kept < n {
		if isFWS(v[end]) {
			break
		}
		end++
		kept++
	}
	if kept == n || end == len(v) {
		return v[:end] // unfolded so far: no copy
	}
	var buf [bKept]byte
	out := append(buf[:0], v[:end]...)
	for i := end; i < len(v) && len(out) < n; i++ {
		if !isFWS(v[i]) {
			out = append(out, v[i])
		}
	}
	return string(out)
}

// plainSeconds reads a value of decimal digits without a leading zero,
// what signers write, as fmt.Sscan would; anything else (a sign, a base
// prefix, a leading zero that makes it octal, trailing text) is left to
// fmt.Sscan.
func plainSeconds(v string) (int64, bool) {
	if v == "" || len(v) > 18 || v[0] == '0' && len(v) > 1 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// canonName is "header/body" as DKIM.Canon shows it; the valid pairs
// need no new string.
func canonName(header, body string, _ bool) string {
	switch {
	case header == canonRelaxed && body == canonRelaxed:
		return "relaxed/relaxed"
	case header == canonRelaxed && body == canonSimple:
		return "relaxed/simple"
	case header == canonSimple && body == canonSimple:
		return "simple/simple"
	case header == canonSimple && body == canonRelaxed:
		return "simple/relaxed"
	}
	return header + "/" + body
}

// unixTag reads a time in seconds since the epoch (t=, x=), nil when the
// tag is absent (ok false) or no such time.
func unixTag(v string, ok bool) *time.Time {
	if !ok {
		return nil
	}
	sec, ok := plainSeconds(stripFWS(v))
	if !ok {
		// A variable of its own: the one Sscan writes to lives on the
		// heap, and most values never need it.
		var scanned int64
		if _, err := fmt.Sscan(stripFWS(v), &scanned); err != nil {
			return nil
		}
		sec = scanned
	}
	if sec < 0 || sec > 1<<40 {
		return nil
	}
	t := time.Unix(sec, 0).UTC()
	return &t
}

// libraryVerify runs go-msgauth over the message. Signatures past the
// limits get a "limit" result in out and a nil verification.
func (v *Verifier) libraryVerify(l *lookups, m *message, n int, out []DKIM) []*dkim.Verification {
	if len(m.fields) > v.opts.MaxHeaderFields {
		for i := range out {
			setResult(&out[i], StatusPolicy, ProblemLimit, fmt.Sprintf("not verified: header has %d fields (limit %d)", len(m.fields), v.opts.MaxHeaderFields))
		}
		return nil
	}
	for _, d := range out {
		if d.signedCount > maxSignedFields {
			for i := range out {
				setResult(&out[i], StatusPolicy, ProblemLimit, fmt.Sprintf("not verified: a signature lists %d header fields (limit %d)", d.signedCount, maxSignedFields))
			}
			return nil
		}
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(m.verifyInput), &dkim.VerifyOptions{
		LookupTXT:        l.netTXT,
		MaxVerifications: v.opts.MaxSignatures,
	})
	for i := range out {
		switch {
		case i < len(verifs):
		case err != nil && err != dkim.ErrTooManySignatures:
			setResult(&out[i], StatusPermError, ProblemMalformed, "not verified: "+err.Error())
		default:
			setResult(&out[i], StatusPolicy, ProblemLimit, fmt.Sprintf("not verified: more than %d signatures", v.opts.MaxSignatures))
		}
	}
	return verifs
}

func setResult(d *DKIM, st Status, p Problem, reason string) {
	d.Result, d.Problem, d.Reason = st, p, reason
}

// judgeDKIM turns go-msgauth's error into a result. Policy refusals
// (expired, l=) are re-checked cryptographically so the reader learns
// whether the signature was otherwise good. Expiry is judged as of now,
// the analysis time (Options.Now, which --now sets), not by go-msgauth's
// clock, the machine's: a report made as of a date must say what held
// then, and say it again when it is made later.
func (l *lookups) judgeDKIM(d *DKIM, s *msgSig, err error, m *message, now time.Time) {
	switch {
	case err == nil:
		setResult(d, StatusPass, ProblemNone, "")
		if expiredAt(d, now) {
			setResult(d, StatusPolicy, ProblemExpired, expiredReason(d))
		}
		l.noteKeyBits(d)
	case strings.Contains(err.Error(), "domain mismatch") && identityWithin(d.Identity, d.Domain) && s != nil:
		l.verifyIdentityCase(d, s, m, now)
	default:
		l.judgeError(d, s, err, m, now)
	}
	l.judgeKeyFlags(d)
}

// judgeError is judgeDKIM of a signature go-msgauth did not pass.
func (l *lookups) judgeError(d *DKIM, s *msgSig, err error, m *message, now time.Time) {
	p, st := classifyDKIMError(err)
	reason := strings.TrimPrefix(err.Error(), "dkim: ")
	switch p {
	case ProblemBodyHashMismatch:
		reason = reasonBodyHash
	case ProblemSignatureInvalid:
		reason = reasonSignature + " (" + reason + ")"
	}
	if p.DNSDependent() {
		// The library only says "no key" or "unavailable": the lookup's own
		// error says which (NXDOMAIN, revoked, offline, timeout).
		if _, kerr := l.fetchKey(d.Selector, d.Domain); kerr != nil {
			p, st, reason = kerr.problem, keyStatus(kerr.problem), kerr.reason
		}
	}
	setResult(d, st, p, reason)
	if (p == ProblemExpired || p == ProblemBodyLength) && s != nil {
		l.recheck(d, s, m, now)
	}
	if d.BodyHash == "mismatch" && d.Problem != ProblemBodyHashMismatch && d.Result != StatusPass {
		d.Reason += "; the body hash does not match the body either"
	}
	if d.Problem.DNSDependent() || d.Problem.Cryptographic() {
		l.noteKeyBits(d)
	}
}

// identityWithin reports whether the domain of i= (the AUID) is d= or a
// subdomain of it (RFC 6376 §3.5), compared without regard to case as
// domain names are (RFC 4343). go-msgauth compares the bytes, and calls
// "i=@ACME.CO.UK; d=acme.co.uk" a domain mismatch. An empty i= stands
// for "@" plus d=.
func identityWithin(i, d string) bool {
	at := strings.LastIndexByte(i, '@')
	if at < 0 {
		return false
	}
	dom := strings.TrimSuffix(i[at+1:], ".")
	return strings.EqualFold(dom, d) || len(dom) > len(d) && dom[len(dom)-len(d)-1] == '.' && strings.EqualFold(dom[len(dom)-len(d):], d)
}

// identityDomain is the domain of i=, d= when i= is absent.
func identityDomain(d *DKIM) string {
	if at := strings.LastIndexByte(d.Identity, '@'); at >= 0 {
		return strings.TrimSuffix(d.Identity[at+1:], ".")
	}
	return d.Domain
}

// verifyIdentityCase verifies a signature go-msgauth refused as a domain
// mismatch when i= is in d= but for letter case. go-msgauth stops before
// any crypto, and its copy of the field cannot be made to agree: the
// signature covers the DKIM-Signature field itself (RFC 6376 §3.7), so
// an i= lower-cased for it would no longer verify. This package's
// verifier checks the same things go-msgauth does after that point: From
// signed (§5.4), the key and its algorithm, both hashes; then x= as of
// now and l=, which go-msgauth refuses on policy grounds.
func (l *lookups) verifyIdentityCase(d *DKIM, s *msgSig, m *message, now time.Time) {
	if !slices.ContainsFunc(s.signed, func(h string) bool { return strings.EqualFold(h, "from") }) {
		setResult(d, StatusPermError, ProblemFromNotSigned, "From field not signed")
		return
	}
	r := l.verifyMsgSig(s, m)
	d.KeyBits = r.keyBits
	setResult(d, r.status, r.problem, r.reason)
	switch {
	case r.status != StatusPass:
	case expiredAt(d, now):
		setResult(d, StatusPolicy, ProblemExpired, expiredReason(d))
	case s.bodyLimit >= 0 && r.body.unsigned > 0:
		// With l= covering the whole body as it is, the signature
		// authenticates all of it: a pass, as verifiers and DMARC take it
		// (the dkim-body-length rule still says l= is there).
		setResult(d, StatusPolicy, ProblemBodyLength, fmt.Sprintf("signature valid for the first %d body bytes only; %d bytes follow unsigned", s.bodyLimit, r.body.unsigned))
	}
}

// judgeKeyFlags applies the key record's t= flags (RFC 6376 §3.6.1) to
// a judged signature. go-msgauth reads them and enforces neither.
//
// t=s: "the i= domain MUST NOT be a subdomain of d=". A signature that
// verifies but has i= below d= is a permerror with a key problem, as a
// key whose h= or s= refuses the signature is (§6.1.2 PERMFAIL): the
// signature is not a failed one (no bytes changed), and the flag is read
// from today's key record, so the result rests on DNS as of today.
//
// t=y: the domain is testing DKIM, and verifiers "MUST NOT treat messages
// from Signers in testing mode differently from unsigned email". The
// result is what the signature and key make it, as a receiver records
// it; the reason says the signer is testing, for whoever weighs it.
func (l *lookups) judgeKeyFlags(d *DKIM) {
	switch {
	case d.Result == StatusPass, d.Problem.Cryptographic(), d.Problem == ProblemExpired, d.Problem == ProblemBodyLength:
	default:
		return // the key was not fetched, or not usable: ask nothing more
	}
	k, kerr := l.fetchKey(d.Selector, d.Domain)
	if kerr != nil {
		return
	}
	if k.strict && d.Result == StatusPass && !strings.EqualFold(identityDomain(d), d.Domain) {
		setResult(d, StatusPermError, ProblemKeyInvalid, fmt.Sprintf(
			"key %s has t=s, but i= is in %s, a subdomain of d=%s (RFC 6376 §3.6.1); the signature is otherwise valid",
			keyName(d.Selector, d.Domain), identityDomain(d), d.Domain))
	}
	if k.testing {
		const note = "the key is in testing mode (t=y): receivers treat the message as unsigned (RFC 6376 §3.6.1)"
		if d.Reason == "" {
			d.Reason = note
		} else {
			d.Reason += "; " + note
		}
	}
}

// judgeTimes makes a signature whose x= is not after its t= a permerror
// (RFC 6376 §3.5: x= MUST be greater than t=). go-msgauth only compares
// x= with the clock, so it passes such a signature or calls it merely
// expired. A cryptographic failure is kept, being the stronger evidence
// (the bytes changed); the time defect is added to its reason.
func judgeTimes(d *DKIM) {
	if d.Signed == nil || d.Expires == nil || d.Expires.After(*d.Signed) {
		return
	}
	defect := fmt.Sprintf("x= (%s) is not after t= (%s): the signature is invalid (RFC 6376 §3.5)",
		d.Expires.Format(time.RFC3339), d.Signed.Format(time.RFC3339))
	switch {
	case d.Problem.Cryptographic():
		d.Reason += "; and " + defect
	case d.Problem.DNSDependent(), d.Result == StatusTempError:
		// The signature is unusable whatever DNS says: say that first.
		setResult(d, StatusPermError, ProblemMalformed, defect+" (and "+d.Reason+")")
	case d.Problem == ProblemMalformed || d.Problem == ProblemUnsupported || d.Problem == ProblemFromNotSigned:
		d.Reason += "; and " + defect // already unusable for its own reason
	default:
		// Pass, expired, l=: whatever the crypto said, the signature is
		// not one (an "otherwise valid" would mislead).
		setResult(d, StatusPermError, ProblemMalformed, defect)
	}
}

// recheck verifies a signature go-msgauth refused on policy grounds.
func (l *lookups) recheck(d *DKIM, s *msgSig, m *message, now time.Time) {
	r := l.verifyMsgSig(s, m)
	d.KeyBits = r.keyBits
	switch {
	case d.Problem == ProblemExpired && d.Expires != nil && !expiredAt(d, now):
		// The machine's clock is past x=, the analysis time is not: the
		// signature is what its cryptography and its key make it.
		setResult(d, r.status, r.problem, r.reason)
	case r.status == StatusPass && d.Problem == ProblemExpired:
		d.Reason = expiredReason(d)
	case r.status == StatusPass && r.body.unsigned == 0:
		// l= covers the whole body as it is: the signature authenticates
		// all of it, a pass as verifiers and DMARC take it (the
		// dkim-body-length rule still says l= is there).
		setResult(d, StatusPass, ProblemNone, "")
	case r.status == StatusPass:
		d.Reason = fmt.Sprintf("signature valid for the first %d body bytes only; %d bytes follow unsigned", s.bodyLimit, r.body.unsigned)
	case r.problem.Cryptographic():
		d.Result, d.Problem = StatusFail, r.problem
		d.Reason = fmt.Sprintf("%s (and %s)", r.reason, d.Reason)
	default:
		d.Reason = fmt.Sprintf("%s; not otherwise verifiable: %s", d.Reason, r.reason)
	}
}

// expiredAt reports whether the signature's x= is before t.
func expiredAt(d *DKIM, t time.Time) bool { return d.Expires != nil && t.After(*d.Expires) }

// expiredReason is the reason of an expired signature that is otherwise
// valid.
func expiredReason(d *DKIM) string {
	if d.Expires == nil {
		return "signature expired; it is otherwise valid"
	}
	return fmt.Sprintf("signature expired at %s; it is otherwise valid", d.Expires.Format(time.RFC3339))
}

// noteKeyBits records the key size when the key can be had (from the
// lookup cache: no new question is asked for a key already fetched).
func (l *lookups) noteKeyBits(d *DKIM) {
	if d.KeyBits != 0 || d.Selector == "" || d.Domain == "" {
		return
	}
	if k, kerr := l.fetchKey(d.Selector, d.Domain); kerr == nil {
		d.KeyBits = k.bits
	}
}

// dkimErrors maps go-msgauth's error texts (it has no error values for
// them) to problems, most specific first.
var dkimErrors = []struct {
	text    string
	problem Problem
	status  Status
}{
	{"body hash did not verify", ProblemBodyHashMismatch, StatusFail},
	{"signature did not verify", ProblemSignatureInvalid, StatusFail},
	{"signature has expired", ProblemExpired, StatusPolicy},
	{"insecure body length tag", ProblemBodyLength, StatusPolicy},
	{"From field not signed", ProblemFromNotSigned, StatusPermError},
	{"key revoked", ProblemKeyRevoked, StatusPermError},
	{"key unavailable", ProblemKeyUnavailable, StatusTempError},
	{"no key for signature", ProblemKeyNotFound, StatusPermError},
	{"no valid key found", ProblemKeyNotFound, StatusPermError},
	{"multiple TXT records", ProblemKeyInvalid, StatusPermError},
	{"key syntax error", ProblemKeyInvalid, StatusPermError},
	{"key record error", ProblemKeyInvalid, StatusPermError},
	{"key is too short", ProblemKeyInvalid, StatusPermError},
	{"public key version", ProblemKeyInvalid, StatusPermError},
	{"Ed25519 public key size", ProblemKeyInvalid, StatusPermError},
	{"unsupported key algorithm", ProblemKeyInvalid, StatusPermError},
	{"inappropriate", ProblemKeyInvalid, StatusPermError},
	{"hash algorithm too weak", ProblemUnsupported, StatusPermError},
	{"unsupported", ProblemUnsupported, StatusPermError},
	{"malformed algorithm", ProblemUnsupported, StatusPermError},
}

func classifyDKIMError(err error) (Problem, Status) {
	msg := err.Error()
	for _, e := range dkimErrors {
		if strings.Contains(msg, e.text) {
			return e.problem, e.status
		}
	}
	if dkim.IsTempFail(err) {
		return ProblemKeyUnavailable, StatusTempError
	}
	return ProblemMalformed, StatusPermError
}
