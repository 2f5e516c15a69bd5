// Package auth checks a message's authentication as a receiver would today:
// DKIM signatures (RFC 6376, with RFC 8301 and RFC 8463 algorithms), the
// sender's SPF policy (RFC 7208), the From domain's DMARC policy
// (RFC 7489) and the ARC chain (RFC 8617).
//
// Every DNS question goes through mailtrace's dns.Resolver, so the checks
// run against the network, zone files or nothing at all (offline: every
// result is "not-checked", but an ARC chain whose sets are wrong, which
// fails without DNS). DKIM signatures are verified by
// github.com/emersion/go-msgauth/dkim, SPF is evaluated by
// blitiri.com.ar/go/spf and DMARC records are parsed by go-msgauth/dmarc.
// ARC signatures are verified here, with the same key records and the same
// algorithms (rsa-sha256, ed25519-sha256), since no library at hand does.
//
// Results are values: a failed signature is a Status with a Problem, never
// an error. Everything that depends on DNS is judged against DNS as it is
// now, which may differ from DNS when the message was delivered (keys are
// rotated and revoked, SPF records change): a forensic reader must weigh
// "key not found today" very differently from "body hash mismatch".
//
// Departures from the RFCs, all in favour of a forensic reading:
//   - DKIM signatures that go-msgauth refuses on policy grounds (expired x=,
//     a body length l=) are also checked cryptographically here, so the
//     report says whether they were otherwise valid.
//   - The body hash of each DKIM signature is compared even when its key
//     cannot be fetched: a mismatch then shows the body changed, though the
//     signature itself cannot be authenticated. A header-only check
//     without DNS (Options.HeaderOnly) leaves the body unread and says so.
//   - DMARC "pct" sampling is reported, not rolled: the policy shown is the
//     one the domain asks for.
package auth

import (
	"context"
	"net/netip"
	"time"

	"github.com/mailtrace/mailtrace/dns"
)

// Status is a verification result, as RFC 8601 §2.7 names them, plus
// "not-checked" for checks that could not run (offline).
type Status string

const (
	StatusPass       Status = "pass"
	StatusFail       Status = "fail"
	StatusSoftFail   Status = "softfail" // SPF only
	StatusNeutral    Status = "neutral"  // SPF only
	StatusNone       Status = "none"
	StatusPolicy     Status = "policy" // signed, but refused by local policy (RFC 8601 §2.7.1)
	StatusTempError  Status = "temperror"
	StatusPermError  Status = "permerror"
	StatusNotChecked Status = "not-checked"
)

// Problem says why a signature did not pass, in words rules branch on.
type Problem string

const (
	ProblemNone             Problem = ""
	ProblemBodyHashMismatch Problem = "body-hash-mismatch" // body changed after signing
	ProblemSignatureInvalid Problem = "signature-mismatch" // signed header fields changed, or a forged signature
	ProblemKeyNotFound      Problem = "key-not-found"      // no key record today (NXDOMAIN, NODATA)
	ProblemKeyRevoked       Problem = "key-revoked"        // key record with an empty p= (RFC 6376 §3.6.1)
	ProblemKeyInvalid       Problem = "key-invalid"        // key record unusable: syntax, size, algorithm, several records
	ProblemKeyUnavailable   Problem = "key-unavailable"    // DNS failed: timeout, SERVFAIL
	ProblemNotChecked       Problem = "not-checked"        // offline
	ProblemExpired          Problem = "expired"            // x= is in the past (RFC 6376 §3.5)
	ProblemBodyLength       Problem = "body-length"        // l= signs only part of the body
	ProblemFromNotSigned    Problem = "from-not-signed"    // h= lacks From (RFC 6376 §5.4)
	ProblemMalformed        Problem = "malformed"          // tag syntax, missing or invalid tags
	ProblemUnsupported      Problem = "unsupported"        // algorithm, canonicalization or query method
	ProblemLimit            Problem = "limit"              // not verified: past mailtrace's limits
)

// DNSDependent reports whether the problem rests on a DNS answer (or its
// absence) as of today, rather than on the message's own bytes.
func (p Problem) DNSDependent() bool {
	switch p {
	case ProblemKeyNotFound, ProblemKeyRevoked, ProblemKeyInvalid, ProblemKeyUnavailable, ProblemNotChecked:
		return true
	}
	return false
}

// Cryptographic reports whether the problem is a real cryptographic
// mismatch between the signature and the message.
func (p Problem) Cryptographic() bool {
	return p == ProblemBodyHashMismatch || p == ProblemSignatureInvalid
}

// Signature is what every DKIM-style signature reports (DKIM-Signature,
// ARC-Message-Signature, ARC-Seal).
type Signature struct {
	Domain    string  `json:"domain"`    // d=
	Selector  string  `json:"selector"`  // s=
	Algorithm string  `json:"algorithm"` // a=
	Result    Status  `json:"result"`
	Problem   Problem `json:"problem,omitempty"`
	Reason    string  `json:"reason,omitempty"`   // one line for people
	KeyBits   int     `json:"key_bits,omitempty"` // size of the public key found
	Line      int     `json:"line,omitempty"`     // line of the field in the input
}

// Result is the authentication of one message as checked now.
type Result struct {
	// Checked is false when no DNS was available (offline): every result
	// below is then "not-checked" apart from what needs no DNS.
	Checked   bool      `json:"checked"`
	CheckedAt time.Time `json:"checked_at"`
	Note      string    `json:"note"`
	From      string    `json:"from_domain"` // RFC5322.From domain used for alignment
	FromNote  string    `json:"from_note,omitempty"`
	DKIM      []DKIM    `json:"dkim"`
	// DKIMOmitted counts the DKIM-Signature fields past the first 50,
	// which DKIM does not list.
	DKIMOmitted int        `json:"dkim_omitted,omitempty"`
	SPF         *SPF       `json:"spf"`
	DMARC       *DMARC     `json:"dmarc"`
	ARC         *ARC       `json:"arc"`
	Lookups     int        `json:"dns_lookups"`   // questions put to the resolver (its cache may have answered them)
	Claims      []Claim    `json:"claims"`        // always a list, [] when none
	Compared    []Mismatch `json:"disagreements"` // always a list, [] when none
}

// Options configure a Verifier. The zero value checks nothing ("not
// checked") and uses the real clock.
type Options struct {
	Resolver dns.Resolver // nil: offline
	Now      func() time.Time
	// MaxSignatures bounds the DKIM signatures verified per message (the
	// rest report "limit"); 0 means 8.
	MaxSignatures int
	// MaxHeaderFields bounds the header size a signature is verified
	// over: hashing a header of a million fields per h= entry would
	// stall. 0 means 2000.
	MaxHeaderFields int
	// HeaderOnly is for a header-only analysis: the body is read only
	// where a result needs it. Offline no signature is verified, so the
	// body hash otherwise compared for forensics is not computed and each
	// DKIM signature's BodyHash says "not-checked". With DNS, verifying a
	// signature needs its body hash, which is then computed as usual.
	HeaderOnly bool
}

// Input is one message and what its receiver saw of the SMTP session.
type Input struct {
	Message []byte // the raw message, header and body, as stored
	// IP is the client address of the hop where the message entered the
	// receiving side; invalid means SPF is not checked.
	IP netip.Addr
	// HELO is the name that client gave; MailFrom the envelope sender,
	// "" or "<>" for the null reverse-path or when it is unknown (SPF then
	// checks the HELO identity, RFC 7208 §2.4).
	HELO     string
	MailFrom string
	// SkipSPF, when set, says why SPF does not apply to this message (an
	// authenticated submission): SPF is then "none" with that reason.
	SkipSPF string
	// Hop is the index of that hop in the report (1 = oldest), recorded
	// in the SPF result for findings; 0 when unknown.
	Hop int
	// Header, when not nil, holds the fields of Message's header as the
	// caller already split it (see Field for what they must be), in
	// order, and Body is the rest of Message after the empty line that
	// ends the header: a check without DNS then reads them instead of
	// splitting Message again. It reads only the fields ReadsOffline
	// accepts, so Header may leave out the others. With DNS, Message is
	// split here, as the signature verifier splits it.
	Header []Field
	Body   []byte
}

// Verifier checks messages. It is safe for concurrent use.
type Verifier struct {
	opts Options
	// keys is made only with a resolver: offline no key is fetched, and a
	// Verifier that points at nothing of its own need not leave the
	// caller's stack.
	keys *keyCache
}

// New returns a Verifier with defaults filled in.
func New(opts Options) *Verifier {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSignatures <= 0 {
		opts.MaxSignatures = 8
	}
	if opts.MaxHeaderFields <= 0 {
		opts.MaxHeaderFields = 2000
	}
	v := &Verifier{opts: opts}
	if opts.Resolver != nil {
		v.keys = &keyCache{}
	}
	return v
}

// noteToday is said of every DNS-based result.
const noteToday = "checked against DNS as it is now; keys and policies may have changed since delivery"

// reasonOffline is the reason of every result that needed DNS, offline.
const reasonOffline = "not checked: DNS is offline"

// Check verifies one message. It never fails: what could not be decided
// is a status in the result. Check sets no deadline of its own: DNS waits
// as long as ctx and the resolver allow (SPF alone may ask ten questions
// in a row), so callers bound ctx.
func (v *Verifier) Check(ctx context.Context, in Input) *Result {
	if v.opts.Resolver == nil && v.opts.HeaderOnly && in.Header != nil {
		return v.checkHeaderOffline(&in)
	}
	// Every message gets all four parts of a result, its lookups and,
	// offline, its message: one allocation instead of six.
	parts := &struct {
		resultParts
		lk  lookups
		msg offlineMessage
	}{}
	lk := &parts.lk
	lk.ctx, lk.r, lk.keys = ctx, v.opts.Resolver, v.keys
	m := messageOf(&in, lk.r != nil, &parts.msg)
	res := &parts.res
	res.CheckedAt, res.DKIM = v.opts.Now().UTC(), []DKIM{}
	res.Claims, res.Compared = []Claim{}, []Mismatch{}
	res.From, res.FromNote = m.fromDomain()
	fromOrg := orgDomain(res.From)
	res.DKIM, res.DKIMOmitted = v.checkDKIM(lk, m, res.From, fromOrg)
	res.SPF = checkSPF(lk, &in, res.From, fromOrg, &parts.spf)
	res.DMARC = checkDMARC(lk, res.From, fromOrg, res.DKIM, res.SPF, &parts.dmarc)
	if domains := lk.fromDomains(m); len(domains) > 1 {
		res.DMARC = checkEveryFrom(lk, domains, res.DKIM, res.SPF, res.DMARC)
	}
	res.ARC = v.checkARC(lk, m, &parts.arc)
	res.Lookups = lk.count()
	res.Checked = lk.online()
	if res.Checked {
		res.Note = noteToday
	} else {
		res.Note = offlineNote(hashesBody(v.opts, lk), res.DKIM)
	}
	return res
}

// resultParts are the parts of every message's result.
type resultParts struct {
	res   Result
	spf   SPF
	dmarc DMARC
	arc   ARC
}

// checkHeaderOffline is Check of a header-only check without DNS, of the
// caller's split (Input.Header): what the header says of itself is
// described, nothing is verified or hashed. The message and its fields
// are read where they are, so only the result takes an allocation:
// nothing here keeps them (as verifying and hashing do) past the call.
func (v *Verifier) checkHeaderOffline(in *Input) *Result {
	parts := &resultParts{}
	res := &parts.res
	res.CheckedAt = v.opts.Now().UTC()
	res.Claims, res.Compared = []Claim{}, []Mismatch{}
	var fields [4]field // most messages: From and a signature or two
	m := &message{body: in.Body, fields: adoptFields(in.Header, fields[:0])}
	res.From, res.FromNote = m.fromDomain()
	fromOrg := orgDomain(res.From)
	res.DKIM, res.DKIMOmitted = describeDKIMs(m, res.From, fromOrg)
	res.SPF = &parts.spf
	if describeSPF(in, res.From, fromOrg, res.SPF) {
		res.SPF.Result, res.SPF.Reason = StatusNotChecked, reasonOffline
	}
	res.DMARC = &parts.dmarc
	if describeDMARC(res.From, fromOrg, res.DMARC) {
		res.DMARC.Result, res.DMARC.Reason = StatusNotChecked, reasonOffline
	}
	res.ARC = &parts.arc
	if _, ask := describeARC(m, res.ARC); ask {
		arcOffline(res.ARC)
	}
	res.Note = offlineNote(false, res.DKIM)
	return res
}

// offlineNote is a result's note without DNS; hashed says whether the DKIM
// body hashes were computed.
func offlineNote(hashed bool, sigs []DKIM) string {
	if !hashed && len(sigs) > 0 {
		return reasonOffline + "; DKIM body hashes not computed (header-only)"
	}
	return reasonOffline
}
