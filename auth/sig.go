package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// maxSignedFields bounds h=: real signers list a few dozen names.
const maxSignedFields = 256

// msgSig is a parsed DKIM-Signature or ARC-Message-Signature: both sign
// selected header fields and the body the same way (RFC 8617 §4.1.2 reuses
// RFC 6376 §3.5 for the AMS).
type msgSig struct {
	field              field
	tags               sigTags
	keyAlg             string
	headerC, bodyC     string
	canonRead          bool // headerC and bodyC are c='s, read by parseValues
	signed             []string
	sig                []byte // b=: set by parseSeal, or by signature when needed
	bodyLimit          int64  // l=, -1 when absent
	domain, selector   string
	algorithm, rawSpec string
}

// sigError is why a signature is unusable before any crypto is done.
type sigError struct {
	problem Problem
	reason  string
}

// parseMsgSig reads the tags of f. required lists the tags the kind of
// signature must carry.
func parseMsgSig(f field, required []sigTag) (*msgSig, *sigError) {
	s, serr := readMsgSig(f, required)
	return &s, serr
}

// readMsgSig is parseMsgSig returning the signature itself: one that is
// only described, never verified, takes no allocation.
func readMsgSig(f field, required []sigTag) (msgSig, *sigError) {
	s, serr := parseMsgSigValue(f, f.value(), required)
	if serr != nil && f.requote(serr.reason) {
		// The reason may quote the text: quote it as the verifier reads it.
		return parseMsgSigValue(f, f.quotedValue(), required)
	}
	return s, serr
}

// parseMsgSigValue is readMsgSig of f's value v.
func parseMsgSigValue(f field, v string, required []sigTag) (msgSig, *sigError) {
	tags, err := parseSigTags(v)
	s := msgSig{field: f, tags: tags, bodyLimit: -1}
	s.domain = normDomain(tags.stripped(tagD))
	s.selector = tags.lowered(tagS)
	s.algorithm = tags.lowered(tagA)
	if err != nil {
		return s, &sigError{ProblemMalformed, err.Error()}
	}
	if k, ok := tags.missing(required); ok {
		return s, &sigError{ProblemMalformed, "no " + k.String() + "= tag"}
	}
	return s, s.parseValues()
}

func (s *msgSig) parseValues() *sigError {
	var err error
	if s.keyAlg, err = loweredAlgorithm(s.algorithm); err != nil {
		return &sigError{ProblemUnsupported, err.Error()}
	}
	var ok bool
	s.headerC, s.bodyC, ok = s.tags.canon()
	s.canonRead = true
	if !ok {
		return &sigError{ProblemUnsupported, fmt.Sprintf("canonicalization %q", s.tags.value(tagC))}
	}
	s.signed = colonList(s.tags.value(tagH))
	if len(s.signed) > maxSignedFields {
		return &sigError{ProblemLimit, fmt.Sprintf("h= lists %d fields", len(s.signed))}
	}
	if !validB64(s.tags.value(tagBH)) {
		return &sigError{ProblemMalformed, "bh= is not base64"}
	}
	if !validB64(s.tags.value(tagB)) {
		return &sigError{ProblemMalformed, "b= is not base64"}
	}
	if l, ok := s.tags.get(tagL); ok {
		n, err := strconv.ParseInt(stripFWS(l), 10, 64)
		if err != nil || n < 0 {
			return &sigError{ProblemMalformed, fmt.Sprintf("l=%q", l)}
		}
		s.bodyLimit = n
	}
	if q, ok := s.tags.get(tagQ); ok && !strings.Contains(strings.ToLower(stripFWS(q)), "dns/txt") {
		return &sigError{ProblemUnsupported, fmt.Sprintf("query method q=%q", q)}
	}
	return nil
}

// bodyCheck is the outcome of comparing bh= with the body.
type bodyCheck struct {
	match     bool
	canonLen  int64 // length of the whole canonical body
	unsigned  int64 // canonical bytes past l=, 0 without l=
	truncated bool  // l= is longer than the body (RFC 6376 §6.1.3: fail)
}

// bodyKey names one way of hashing a body: signatures that share it (most
// of a message's signatures do) share the work.
type bodyKey struct {
	canon string
	limit int64
}

type bodySum struct {
	sum []byte
	n   int64
}

// bodyHash returns the SHA-256 of the canonical body and its full
// canonical length, computing it once per canonicalization and limit.
func (m *message) bodyHash(canon string, limit int64) ([]byte, int64) {
	k := bodyKey{canon, limit}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.sums[k]; ok {
		return b.sum, b.n
	}
	h := sha256.New()
	n := canonBody(h, m.body, canon, limit)
	if m.sums == nil {
		m.sums = map[bodyKey]bodySum{}
	}
	m.sums[k] = bodySum{h.Sum(nil), n}
	return m.sums[k].sum, n
}

// checkBody hashes the body as the signature says.
func (s *msgSig) checkBody(m *message) bodyCheck {
	sum, n := m.bodyHash(s.bodyC, s.bodyLimit)
	c := bodyCheck{canonLen: n}
	if s.bodyLimit >= 0 {
		if s.bodyLimit > n {
			c.truncated = true
			return c
		}
		c.unsigned = n - s.bodyLimit
	}
	bh, _ := decodeB64(s.tags.value(tagBH)) // valid: parseValues saw to it
	c.match = bytes.Equal(sum, bh)
	return c
}

// headerDigest is the SHA-256 of the signed header fields followed by the
// signature field itself with its b= value blanked and no final CRLF
// (RFC 6376 §3.7).
func (s *msgSig) headerDigest(fields []field) []byte {
	h := sha256.New()
	p := newHeaderPicker(fields)
	for _, name := range s.signed {
		if i := p.pick(name); i >= 0 {
			h.Write([]byte(canonHeader(fields[i].Raw, s.headerC)))
		}
	}
	self := canonHeader(s.blankedRaw(), s.headerC)
	h.Write([]byte(strings.TrimSuffix(self, "\r\n")))
	return h.Sum(nil)
}

// blankedRaw is the raw field (name and colon included) with b='s value
// blank: the tags were read from the value, after the colon.
func (s *msgSig) blankedRaw() string {
	if !s.tags.has(tagB) {
		return s.field.Raw
	}
	colon := strings.IndexByte(s.field.Raw, ':') + 1
	return blankValue(s.field.Raw, colon+s.tags.bEq, colon+s.tags.bEnd)
}

// Reasons of the cryptographic failures, worded the same whichever
// verifier found them.
const (
	reasonBodyHash  = "body hash did not verify: the body changed after signing"
	reasonSignature = "signature did not verify: signed header fields changed, or the signature is not genuine"
)

// verifyResult is the outcome of a full check of a message signature.
type verifyResult struct {
	status  Status
	problem Problem
	reason  string
	keyBits int
	body    bodyCheck
}

// verifyMsgSig verifies s over the message with the key from DNS.
func (l *lookups) verifyMsgSig(s *msgSig, m *message) verifyResult {
	var r verifyResult
	r.body = s.checkBody(m)
	key, kerr := l.fetchKey(s.selector, s.domain)
	if kerr != nil {
		r.status, r.problem, r.reason = keyStatus(kerr.problem), kerr.problem, kerr.reason
		return r
	}
	r.keyBits = key.bits
	if key.alg != s.keyAlg {
		return failWith(r, StatusPermError, ProblemKeyInvalid, fmt.Sprintf("key is %s, signature says %s", key.alg, s.algorithm))
	}
	if !key.allows() {
		return failWith(r, StatusPermError, ProblemKeyInvalid, "key record's h= excludes sha256")
	}
	if r.body.truncated {
		return failWith(r, StatusFail, ProblemBodyHashMismatch, fmt.Sprintf("l=%d is longer than the body (%d bytes)", s.bodyLimit, r.body.canonLen))
	}
	if !r.body.match {
		return failWith(r, StatusFail, ProblemBodyHashMismatch, reasonBodyHash)
	}
	if err := key.verify(s.headerDigest(m.fields), s.signature()); err != nil {
		return failWith(r, StatusFail, ProblemSignatureInvalid, reasonSignature)
	}
	r.status = StatusPass
	return r
}

func failWith(r verifyResult, st Status, p Problem, reason string) verifyResult {
	r.status, r.problem, r.reason = st, p, reason
	return r
}

// keyStatus is the result a key problem gives (RFC 8601 §2.7.1).
func keyStatus(p Problem) Status {
	switch p {
	case ProblemNotChecked:
		return StatusNotChecked
	case ProblemKeyUnavailable:
		return StatusTempError
	}
	return StatusPermError
}

// decodeB64 decodes a base64 tag value, folding white space removed.
func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(stripFWS(s))
}

// validB64 reports whether decodeB64(s) succeeds, without decoding:
// most signatures are only described, and b= is decoded (signature) when
// one is verified. With the white space gone, standard padded base64 is
// quanta of four alphabet bytes, the last of which may end in "=" or
// "==" (encoding/base64 does not check the bits padding leaves over).
func validB64(s string) bool {
	n, pad := 0, 0 // bytes counted, and "=" among them
	for i := 0; i < len(s); {
		// A b= value is a few hundred bytes of data between folds: eight
		// bytes of it are checked at once, without a branch each.
		// The eight are sliced out first: indexed by constants, they take
		// no bounds check each.
		if pad == 0 && i+8 <= len(s) {
			if b := s[i : i+8]; b64Alphabet[b[0]]&b64Alphabet[b[1]]&b64Alphabet[b[2]]&b64Alphabet[b[3]]&
				b64Alphabet[b[4]]&b64Alphabet[b[5]]&b64Alphabet[b[6]]&b64Alphabet[b[7]] != 0 {
				i += 8
				n += 8
				continue
			}
		}
		// The eight bytes are not all data: one at a time up to the end
		// of the next run of white space (a fold: signers fold b= every
		// line, and most of its eight-byte windows would fail too), then
		// eight at a time again.
	oneByOne:
		for fws := false; i < len(s); i++ {
			switch c := s[i]; {
			case b64Alphabet[c] != 0 && pad == 0:
				if fws {
					break oneByOne
				}
			case isFWS(c):
				fws = true
				continue
			case c == '=':
				pad++
			default:
				return false // data after padding, or not base64
			}
			n++
		}
	}
	return n%4 == 0 && pad <= 2
}

// b64Alphabet is 1 for the bytes of the standard base64 alphabet, 0 for
// the others.
var b64Alphabet = func() (t [256]uint8) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = 1
	}
	return t
}()

// signature returns the decoded b= of a message signature, which
// parseValues found valid.
func (s *msgSig) signature() []byte {
	if s.sig == nil {
		s.sig, _ = decodeB64(s.tags.value(tagB))
	}
	return s.sig
}
