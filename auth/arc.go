package auth

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxARCInstance is the highest instance RFC 8617 §4.2.1 allows.
const maxARCInstance = 50

// ARC is the state of the message's ARC chain (RFC 8617).
type ARC struct {
	// Result is the chain validation status (RFC 8617 §4.4): "pass"
	// (intact), "fail" (broken), "none" (no ARC fields), or temperror /
	// permerror / not-checked when a key could not be had.
	Result    Status `json:"result"`
	Instances int    `json:"instances"`
	// Structure is "ok" or what is wrong with the sets themselves
	// (RFC 8617 §5.2 steps 2-3); it needs no DNS.
	Structure string `json:"structure"`
	BrokenAt  int    `json:"broken_at,omitempty"` // instance where validation failed
	Reason    string `json:"reason,omitempty"`
	// OldestPass is the lowest instance whose ARC-Message-Signature still
	// verifies (RFC 8617 §5.2 step 5): the message is unchanged since
	// that intermediary signed it. 0 when none does.
	OldestPass int      `json:"oldest_pass,omitempty"`
	Sets       []ARCSet `json:"sets"`
}

// ARCSet is one instance: an ARC-Authentication-Results,
// ARC-Message-Signature and ARC-Seal with the same i= (RFC 8617 §4.1).
type ARCSet struct {
	Instance    int        `json:"instance"`
	Complete    bool       `json:"complete"` // all three fields present, once each
	CV          string     `json:"cv"`       // the seal's chain validation tag
	AuthServID  string     `json:"authserv_id,omitempty"`
	AuthResults string     `json:"auth_results,omitempty"` // what that intermediary found, as written
	Message     *Signature `json:"message_signature,omitempty"`
	Seal        *Signature `json:"seal,omitempty"`
	// Sealed is the seal's t=, when it has one: the sealer seals as it
	// receives the message. Not in the report.
	Sealed *time.Time `json:"-"`
}

// arcSet holds the fields of one instance.
type arcSet struct {
	n              int
	aar, ams, seal setFields
	// amsTags and sealTags are the tags of the first AMS and seal, read
	// once for their instance.
	amsTags, sealTags sigTags
}

// setFields are the fields of one kind of a set: the index of the
// first, and how many there are (more than one is a structure error).
// Only the first is ever read, so the others are only counted: a list of
// indexes would be an allocation per kind and set.
type setFields struct{ first, n int }

// add records the field at index i.
func (sf *setFields) add(i int) {
	if sf.n == 0 {
		sf.first = i
	}
	sf.n++
}

var requiredAMSTags = []sigTag{tagI, tagA, tagB, tagBH, tagD, tagH, tagS}
var requiredSealTags = []sigTag{tagI, tagA, tagB, tagCV, tagD, tagS}

// checkARC validates the chain as RFC 8617 §5.2 describes, verifying every
// signature it can so the report shows where the chain breaks; into res
// (zero).
func (v *Verifier) checkARC(l *lookups, m *message, res *ARC) *ARC {
	sets, ask := describeARC(m, res)
	switch {
	case !ask:
		return res
	case l.r == nil:
		arcOffline(res)
		return res
	}
	verifyARCSets(l, m, sets, res)
	res.decide()
	return res
}

// describeARC fills in res what the ARC fields say of themselves and of
// the chain's structure (RFC 8617 §5.2 steps 2-3), which needs no DNS; it
// returns the sets, and whether there are any signatures to verify.
func describeARC(m *message, res *ARC) (_ []*arcSet, ask bool) {
	sets, structErr := collectARC(m)
	// res is zero (a new result's part): set field by field, as in describeSPF.
	res.Result, res.Structure, res.Sets = StatusNone, "ok", []ARCSet{}
	if len(sets) == 0 && structErr == "" {
		return nil, false
	}
	res.Instances = len(sets)
	if structErr != "" {
		res.Structure = structErr
	}
	if len(sets) > 0 {
		res.Sets = make([]ARCSet, len(sets))
	}
	// Each set's message signature and seal, made at once.
	sigs := make([]Signature, 2*len(sets))
	for i, s := range sets {
		describeSet(&res.Sets[i], m, s, &sigs[2*i], &sigs[2*i+1])
	}
	if res.Structure == "ok" {
		res.Structure = chainStructure(res.Sets)
	}
	return sets, true
}

// arcOffline is the chain's result without DNS. A chain whose structure
// is broken fails (RFC 8617 §5.2 steps 2-3 need no key, and the chain
// cannot pass whatever its signatures say); an intact one is not
// checked, since only its signatures can decide it.
func arcOffline(res *ARC) {
	markSetsNotChecked(res.Sets)
	if res.Structure != "ok" {
		res.Result, res.Reason = StatusFail, res.Structure+" (signatures not checked: DNS is offline)"
		res.BrokenAt = structureBreak(res.Sets)
		return
	}
	res.Result, res.Reason = StatusNotChecked, "signatures not checked: DNS is offline"
}

// collectARC groups the ARC fields by instance. The error is a structure
// problem found while reading (bad or duplicate instance numbers).
func collectARC(m *message) ([]*arcSet, string) {
	var sets []*arcSet // by instance; made for the first ARC field: most messages have none
	// A set has one seal in all but broken chains: the sets are made at
	// once, one per seal, and one at a time past that.
	var made []arcSet
	var problems []string
	more := 0 // problems past maxProblemsListed
	get := func(n int) *arcSet {
		i, found := slices.BinarySearchFunc(sets, n, func(s *arcSet, n int) int { return cmp.Compare(s.n, n) })
		if !found {
			if sets == nil {
				seals := max(1, m.count(sealField))
				made, sets = make([]arcSet, 0, seals), make([]*arcSet, 0, seals)
			}
			if len(made) == cap(made) {
				made = make([]arcSet, 0, 1)
			}
			made = append(made, arcSet{n: n})
			sets = slices.Insert(sets, i, &made[len(made)-1])
		}
		return sets[i]
	}
	for i := range m.fields {
		f := &m.fields[i]
		kind := f.arcKind()
		if kind == notARC {
			continue
		}
		var list *setFields
		var n int
		var err error
		if kind == aarField {
			if n, err = aarInstance(f.value()); err == nil {
				list = &get(n).aar
			}
		} else {
			var tags sigTags
			tags, n, err = tagInstance(f.value())
			if err != nil && f.requote(err.Error()) {
				// The error may quote the text: quote it as the verifier reads it.
				tags, n, err = tagInstance(f.quotedValue())
			}
			switch {
			case err != nil:
			case kind == sealField:
				s := get(n)
				if list = &s.seal; s.seal.n == 0 {
					s.sealTags = tags
				}
			default:
				s := get(n)
				if list = &s.ams; s.ams.n == 0 {
					s.amsTags = tags
				}
			}
		}
		if err != nil {
			if len(problems) < maxProblemsListed {
				problems = append(problems, fmt.Sprintf("%s at line %d: %v", f.Name, f.Line, err))
			} else {
				more++
			}
			continue
		}
		list.add(i)
	}
	if more > 0 {
		problems = append(problems, fmt.Sprintf("and %d more", more))
	}
	return sets, strings.Join(problems, "; ")
}

// maxProblemsListed is how many unreadable ARC fields collectARC names
// before it counts the rest.
const maxProblemsListed = 10

// arcField is which of the three ARC fields a field is.
type arcField uint8

const (
	notARC    arcField = iota
	aarField           // ARC-Authentication-Results
	amsField           // ARC-Message-Signature
	sealField          // ARC-Seal
)

// arcKind tells the ARC fields apart by name.
func arcKind(name string) arcField {
	switch {
	case !maybeARC(name):
		return notARC
	case strings.EqualFold(name, "ARC-Seal"):
		return sealField
	case strings.EqualFold(name, "ARC-Message-Signature"):
		return amsField
	case strings.EqualFold(name, "ARC-Authentication-Results"):
		return aarField
	}
	return notARC
}

// arcKind is arcKind of the field's name, from its kind.
func (f *field) arcKind() arcField {
	switch f.kind {
	case kindSeal:
		return sealField
	case kindAMS:
		return amsField
	case kindAAR:
		return aarField
	}
	return notARC
}

// count counts the ARC fields of a kind.
func (m *message) count(kind arcField) int {
	n := 0
	for i := range m.fields {
		if m.fields[i].arcKind() == kind {
			n++
		}
	}
	return n
}

// isARCField reports the name of one of the three ARC fields.
func isARCField(name string) bool { return arcKind(name) != notARC }

// maybeARC reports a name that could equal an ARC field name ignoring case:
// eight bytes or more (no rune folds to an ASCII letter in fewer bytes than
// it) starting with "a" or "A" (the only runes that fold to them).
func maybeARC(name string) bool {
	return len(name) >= len("ARC-Seal") && name[0]|0x20 == 'a'
}

// tagInstance reads i= of an ARC-Message-Signature or ARC-Seal.
func tagInstance(v string) (sigTags, int, error) {
	tags, err := parseSigTags(v)
	if err != nil {
		return sigTags{}, 0, err
	}
	iv, ok := tags.get(tagI)
	if !ok {
		return sigTags{}, 0, fmt.Errorf("no i= tag")
	}
	n, err := parseInstance(iv)
	return tags, n, err
}

// aarInstance reads the "i=N;" that starts an ARC-Authentication-Results
// value (RFC 8617 §4.1.1).
func aarInstance(v string) (int, error) {
	v = strings.TrimLeft(v, " \t\r\n")
	if !strings.HasPrefix(v, "i") {
		return 0, fmt.Errorf("does not start with i=")
	}
	v = strings.TrimLeft(v[1:], " \t\r\n")
	if !strings.HasPrefix(v, "=") {
		return 0, fmt.Errorf("does not start with i=")
	}
	num, _, _ := strings.Cut(v[1:], ";")
	return parseInstance(num)
}

func parseInstance(s string) (int, error) {
	s = stripFWS(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxARCInstance || len(s) > 2 {
		return 0, fmt.Errorf("instance %q is not 1 to %d", s, maxARCInstance)
	}
	return n, nil
}

// describeSet fills out, a zero ARCSet in the result, with what a set
// says of itself; field by field, as describeDKIM fills a DKIM. ams and
// seal are where its message signature and seal are described, when the
// set has them.
func describeSet(out *ARCSet, m *message, s *arcSet, ams, seal *Signature) {
	out.Instance, out.Complete = s.n, s.aar.n == 1 && s.ams.n == 1 && s.seal.n == 1
	if s.aar.n > 0 {
		out.AuthServID, out.AuthResults = splitAAR(m.fields[s.aar.first].value())
	}
	if s.ams.n > 0 {
		out.Message = sigOfTags(ams, m.fields[s.ams.first], &s.amsTags)
	}
	if s.seal.n > 0 {
		// The seal's tags parsed (collectARC), or it would not be here.
		out.Seal = sigOfTags(seal, m.fields[s.seal.first], &s.sealTags)
		out.CV = s.sealTags.lowered(tagCV)
		out.Sealed = unixTag(s.sealTags.get(tagT))
	}
}

// sigOfTags fills sig, a zero Signature, with the parts a field's tags
// state, and returns it.
func sigOfTags(sig *Signature, f field, tags *sigTags) *Signature {
	sig.Domain = normDomain(tags.stripped(tagD))
	sig.Selector = tags.lowered(tagS)
	sig.Algorithm = tags.lowered(tagA)
	sig.Line = f.Line
	return sig
}

// maxAARText bounds the intermediary's results kept in the report.
const maxAARText = 4096

// splitAAR returns the authserv-id and the results of an AAR value.
func splitAAR(v string) (id, results string) {
	_, rest, _ := strings.Cut(unfold(v), ";")
	id, results, _ = strings.Cut(strings.TrimSpace(rest), ";")
	results = strings.TrimSpace(results)
	if len(results) > maxAARText {
		results = strings.ToValidUTF8(results[:maxAARText], "") + "…"
	}
	return strings.TrimSpace(id), results
}

// chainStructure checks RFC 8617 §5.2 steps 2 and 3: instances 1..N
// without gaps, each complete, cv=none at 1 and cv=pass above, and no
// sealer having recorded a failure.
func chainStructure(sets []ARCSet) string {
	for i, s := range sets {
		switch {
		case s.Instance != i+1:
			return fmt.Sprintf("instance %d is missing", i+1)
		case !s.Complete:
			return fmt.Sprintf("instance %d does not have exactly one of each ARC field", s.Instance)
		case s.CV == "fail":
			return fmt.Sprintf("the sealer of instance %d recorded cv=fail", s.Instance)
		case s.Instance == 1 && s.CV != "none":
			return fmt.Sprintf("instance 1 has cv=%s, not none", s.CV)
		case s.Instance > 1 && s.CV != "pass":
			return fmt.Sprintf("instance %d has cv=%s, not pass", s.Instance, s.CV)
		}
	}
	return "ok"
}

func markSetsNotChecked(sets []ARCSet) {
	for i := range sets {
		for _, sig := range []*Signature{sets[i].Message, sets[i].Seal} {
			if sig != nil {
				sig.Result, sig.Problem = StatusNotChecked, ProblemNotChecked
			}
		}
	}
}

// verifyARCSets verifies the message signature and seal of every
// complete set.
func verifyARCSets(l *lookups, m *message, sets []*arcSet, res *ARC) {
	for i, s := range sets {
		out := &res.Sets[i]
		if out.Message != nil && s.ams.n == 1 {
			applyVerify(out.Message, l.verifyAMS(m, s.ams.first))
		}
		if out.Seal != nil && s.seal.n == 1 {
			applyVerify(out.Seal, l.verifySeal(m, sets, i))
		}
	}
	for _, s := range res.Sets {
		if s.Message != nil && s.Message.Result == StatusPass {
			res.OldestPass = s.Instance
			break
		}
	}
}

func applyVerify(sig *Signature, r verifyResult) {
	sig.Result, sig.Problem, sig.Reason, sig.KeyBits = r.status, r.problem, r.reason, r.keyBits
}

// verifyAMS verifies an ARC-Message-Signature like a DKIM signature
// (RFC 8617 §4.1.2).
func (l *lookups) verifyAMS(m *message, fi int) verifyResult {
	s, serr := parseMsgSig(m.fields[fi], requiredAMSTags)
	if serr != nil {
		return verifyResult{status: StatusPermError, problem: serr.problem, reason: serr.reason}
	}
	return l.verifyMsgSig(s, m)
}

// verifySeal verifies the ARC-Seal of sets[k] over the ARC fields of
// instances 1..k (RFC 8617 §5.1.1).
func (l *lookups) verifySeal(m *message, sets []*arcSet, k int) verifyResult {
	seal := m.fields[sets[k].seal.first]
	tags := sets[k].sealTags
	fail := func(st Status, p Problem, reason string) verifyResult {
		return verifyResult{status: st, problem: p, reason: reason}
	}
	if k, ok := tags.missing(requiredSealTags); ok {
		return fail(StatusPermError, ProblemMalformed, "no "+k.String()+"= tag")
	}
	if tags.has(tagH) {
		return fail(StatusPermError, ProblemMalformed, "h= is not allowed in an ARC-Seal (RFC 8617 §4.1.3)")
	}
	ss := &msgSig{field: seal, tags: tags, bodyLimit: -1}
	if err := ss.parseSeal(); err != nil {
		return fail(StatusPermError, err.problem, err.reason)
	}
	digest, ok := sealDigest(m, sets, k, ss)
	if !ok {
		return fail(StatusFail, ProblemMalformed, "an earlier instance is incomplete")
	}
	key, kerr := l.fetchKey(ss.selector, ss.domain)
	if kerr != nil {
		return fail(keyStatus(kerr.problem), kerr.problem, kerr.reason)
	}
	r := verifyResult{keyBits: key.bits}
	switch {
	case key.alg != ss.keyAlg:
		return failWith(r, StatusPermError, ProblemKeyInvalid, fmt.Sprintf("key is %s, seal says %s", key.alg, ss.algorithm))
	case key.verify(digest, ss.sig) != nil:
		return failWith(r, StatusFail, ProblemSignatureInvalid, "seal did not verify: ARC fields of this or an earlier instance changed")
	}
	r.status = StatusPass
	return r
}

// parseSeal reads the algorithm, domain, selector and b= of a seal.
func (s *msgSig) parseSeal() *sigError {
	s.domain = normDomain(s.tags.stripped(tagD))
	s.selector = s.tags.lowered(tagS)
	s.algorithm = s.tags.lowered(tagA)
	var err error
	if s.keyAlg, err = loweredAlgorithm(s.algorithm); err != nil {
		return &sigError{ProblemUnsupported, err.Error()}
	}
	if s.sig, err = decodeB64(s.tags.value(tagB)); err != nil {
		return &sigError{ProblemMalformed, "b= is not base64"}
	}
	return nil
}

// sealDigest hashes, for instances 1..k in order, the AAR, the AMS and the
// seal, relaxed (RFC 8617 §5.1.1.1); the seal of k itself with b= blank
// and no final CRLF.
func sealDigest(m *message, sets []*arcSet, k int, ss *msgSig) ([]byte, bool) {
	h := sha256.New()
	for j := 0; j <= k; j++ {
		s := sets[j]
		if s.aar.n != 1 || s.ams.n != 1 || s.seal.n != 1 {
			return nil, false
		}
		h.Write([]byte(canonHeader(m.fields[s.aar.first].Raw, canonRelaxed)))
		h.Write([]byte(canonHeader(m.fields[s.ams.first].Raw, canonRelaxed)))
		if j < k {
			h.Write([]byte(canonHeader(m.fields[s.seal.first].Raw, canonRelaxed)))
		}
	}
	self := canonHeader(ss.blankedRaw(), canonRelaxed)
	h.Write([]byte(strings.TrimSuffix(self, "\r\n")))
	return h.Sum(nil), true
}

// decide sets the chain result (RFC 8617 §5.2): structure first, then the
// newest message signature, then the seals. RFC 8617 stops at the first
// failure from the newest seal down; for the reader the break is the
// oldest failing seal, since a change to an instance's fields breaks its
// own seal and every later one.
func (a *ARC) decide() {
	if a.Structure != "ok" {
		a.Result, a.Reason = StatusFail, a.Structure
		a.BrokenAt = structureBreak(a.Sets)
		return
	}
	last := a.Sets[len(a.Sets)-1]
	if a.judge(last.Instance, last.Message, "message signature") {
		return
	}
	// A seal that does not verify outweighs one whose key is missing today.
	for _, dnsOnly := range []bool{false, true} {
		for _, s := range a.Sets {
			if s.Seal != nil && s.Seal.Problem.DNSDependent() == dnsOnly && a.judge(s.Instance, s.Seal, "seal") {
				return
			}
		}
	}
	a.Result = StatusPass
}

// judge records a failed signature as the chain's break; it reports
// whether it did.
func (a *ARC) judge(n int, sig *Signature, what string) bool {
	if sig == nil || sig.Result == StatusPass {
		return false
	}
	a.BrokenAt = n
	a.Result = StatusFail
	if sig.Problem.DNSDependent() {
		a.Result = sig.Result // temperror, permerror, not-checked: DNS today
	}
	a.Reason = fmt.Sprintf("%s of instance %d: %s", what, n, sig.Reason)
	return true
}

// structureBreak is the first instance the structure check faults.
func structureBreak(sets []ARCSet) int {
	for i, s := range sets {
		if s.Instance != i+1 {
			return i + 1
		}
		if !s.Complete || s.CV == "fail" || (s.Instance == 1 && s.CV != "none") || (s.Instance > 1 && s.CV != "pass") {
			return s.Instance
		}
	}
	return 0 // a field outside every set (bad i=)
}
