package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailtrace/mailtrace/auth"
	"github.com/mailtrace/mailtrace/received"
)

// Authentication findings: DKIM, SPF, DMARC and ARC checked now by package
// auth, and the receiver's own claims beside them. Every DNS-based result
// is judged against DNS as it is today, not at delivery: a key rotated
// away or a changed SPF record says little about the message, so such
// results are info or low, and only a cryptographic mismatch of the
// message's own bytes is high. Offline, nothing is checked and nothing is
// found.
func init() {
	for _, r := range []*Rule{
		{ID: "dkim-fail", Severity: SeverityHigh, Title: "DKIM signature does not verify",
			Explain: "A DKIM signature (RFC 6376) no longer matches the message: the body hash differs (the body was changed after signing) or the signature over the signed header fields fails (a signed field was changed, or the signature was never genuine). High when the signature is the From domain's and no other From-aligned signature passes; medium for a third party's signature, and for a message a mailing list passed on (RFC 6377: lists add footers and subject tags); low when another aligned signature passes; info for the author's signature on mail a list rewrote to its own From and signed itself (DMARC mitigation). A list counts when it handled the message: a hop or a passing DKIM signature of the organisation its List-Id, List-Post or Mailing-List names; those fields alone are anyone's to add.",
			Example: "DKIM-Signature: d=example.com; ... with the body edited after signing", Check: checkDKIMFail},
		{ID: "dkim-key-missing", Severity: SeverityLow, Title: "DKIM key not published today",
			Explain: "The key a DKIM signature names is not in DNS today, or is revoked (empty p=). Keys are rotated after delivery, so this alone says little; it is medium when the body hash does not match either.",
			Example: "s=2019._domainkey.example.com: NXDOMAIN", Check: checkDKIMKeyMissing},
		{ID: "dkim-temperror", Severity: SeverityInfo, Title: "DKIM key lookup failed",
			Explain: "DNS did not answer for a DKIM key (timeout, SERVFAIL): the signature could not be checked.",
			Example: "sel._domainkey.example.com: timeout", Check: checkDKIMTemp},
		{ID: "dkim-invalid", Severity: SeverityLow, Title: "Unusable DKIM signature",
			Explain: "A DKIM signature cannot be used at all: malformed tags, an unsupported or weak algorithm (rsa-sha1, RFC 8301), From not signed, an unusable key record, or past mailtrace's limits. Broken signers exist, but a signature that authenticates nothing authenticates nothing.",
			Example: "DKIM-Signature: v=1; a=rsa-sha1; ...", Check: checkDKIMInvalid},
		{ID: "dkim-expired", Severity: SeverityInfo, Title: "DKIM signature expired",
			Explain: "The signature's x= time has passed (RFC 6376 §3.5) at the analysis time: now, or the time --now gives, so that a report made again later says the same. mailtrace checks it anyway and says whether it is otherwise valid; a message read long after delivery is expected to have expired signatures.",
			Example: "DKIM-Signature: ...; x=1700000000", Check: checkDKIMExpired},
		{ID: "dkim-body-length", Severity: SeverityMedium, Title: "DKIM signature covers part of the body",
			Explain: "The signature carries l= (RFC 6376 §3.5): only the first l bytes of the body are signed, so anyone can append content that still verifies. Medium when content follows the signed part, info when l= covers the whole body.",
			Example: "DKIM-Signature: ...; l=120 with text appended", Check: checkDKIMBodyLength},
		{ID: "dkim-misaligned", Severity: SeverityLow, Title: "DKIM signed only by another domain",
			Explain: "Signatures verify, but none is from the From domain's organisation (DMARC alignment, RFC 7489 §3.1.1): an email service signed for itself. Common for bulk senders; a spoofed From with a valid third-party signature looks the same.",
			Example: "From: ceo@example.com with DKIM d=mailer.example.net only", Check: checkDKIMMisaligned},
		{ID: "spf-fail", Severity: SeverityMedium, Title: "SPF fails for the entry hop",
			Explain: "The envelope sender's domain does not authorise the IP that handed the message to the receiving side (RFC 7208 -all). Checked against today's SPF record; low when an aligned DKIM signature or an intact ARC chain explains it as forwarding (an ARC chain counts when its newest sealer is a big provider, the receiving side or one --trusted names, and the first of the sealers to trust on top of the chain recorded a pass for this envelope domain or for the From domain: anyone can seal, a provider seals spoofs too, what an untrusted sealer below it recorded is its own word, and a pass for the sealer's own domain says nothing of the sender's).",
			Example: "example.com: v=spf1 ip4:192.0.2.0/24 -all, client 203.0.113.5", Check: checkSPFFail},
		{ID: "spf-softfail", Severity: SeverityLow, Title: "SPF softfail for the entry hop",
			Explain: "The envelope sender's domain says the entry IP is probably not authorised (~all, RFC 7208 §8.5). Checked against today's record.",
			Example: "v=spf1 ~all", Check: checkSPFSoftFail},
		{ID: "spf-error", Severity: SeverityInfo, Title: "SPF could not be evaluated",
			Explain: "SPF gave temperror (DNS failed) or permerror (a broken record, more than 10 lookups, RFC 7208 §4.6.4).",
			Example: "v=spf1 include:a include:b ... (11 lookups)", Check: checkSPFError},
		{ID: "dmarc-fail", Severity: SeverityMedium, Title: "DMARC fails",
			Explain: "Neither an aligned DKIM signature nor aligned SPF authenticates the From domain (RFC 7489 §4.2), and the domain publishes DMARC. Medium under p=quarantine or reject, low under p=none or when an intact ARC chain sealed by an intermediary to trust (a big provider, the receiving side, --trusted) vouches for earlier results that passed, info when the failure rests on DNS answers missing today.",
			Example: "From: x@example.com, _dmarc.example.com p=reject, no aligned pass", Check: checkDMARCFail},
		{ID: "arc-broken", Severity: SeverityMedium, Title: "ARC chain broken",
			Explain: "The ARC sets (RFC 8617) that intermediaries added do not validate: a set is missing or duplicated, a cv= is wrong, the newest message signature or a seal fails. The finding names the instance where it breaks; info when only a key lookup failed today. Without DNS too: medium when the sets themselves are wrong (a missing, duplicated or incomplete instance, a wrong cv=), when a set's ARC-Authentication-Results records a DKIM pass for a signature the message does not carry (a planted set, or a message changed after sealing; list mail is not judged, since lists may strip signatures), and when no Received line of the sealer's organisation sits below its seal (the sealer never took the message in).",
			Example: "ARC-Seal: i=2; cv=pass ... over an edited ARC-Authentication-Results", Check: checkARCBroken},
		{ID: "authres-disagrees", Severity: SeverityLow, Title: "Receiver's results disagree with mailtrace",
			Explain: "A trusted Authentication-Results field (RFC 8601) records a pass where mailtrace now finds a failure, or the reverse. Medium when mailtrace finds a cryptographic mismatch the receiver did not (the message changed after it was checked), when the receiver records a DKIM pass for a signature the message does not carry (removed since, or a result the message never earned; seen without DNS), and when an SPF pass names an envelope sender (smtp.mailfrom) of another domain than the message's Return-Path, which the receiver writes from the same MAIL FROM; info when the difference rests on DNS as it is today.",
			Example: "Authentication-Results: mx.example.net; dkim=pass header.d=example.com, body edited since", Check: checkAuthResDisagrees},
	} {
		register(r)
	}
}

// authBudget bounds the DNS of one message's authentication checks: keys,
// SPF (up to 10 lookups in a row, RFC 7208 §4.6.4) and DMARC.
const authBudget = 10 * time.Second

// authResult runs package auth once per message and records the result in
// the report. Most of the rules that read it ask for it again: the test
// inlines where they ask, and the work (checkAuth) takes a frame only once.
func (c *Context) authResult() *auth.Result {
	if c.authRes != nil {
		return c.authRes
	}
	return c.checkAuth()
}

// checkAuth is authResult the first time it is asked for.
func (c *Context) checkAuth() *auth.Result {
	in := authInput(c)
	resolver := c.Opts.Resolver
	if c.Opts.DNSMode == "offline" {
		resolver = nil
	}
	if resolver == nil {
		// Offline auth reads a few fields and takes them from Split;
		// with DNS it splits the message as the verifier does.
		in.Header, in.Body = authHeader(c.Msg, c.fields().auth, c.authFields[:0]), c.Msg.Body
	}
	ctx := c.Ctx
	if resolver != nil {
		// Offline nothing waits on DNS, and a timer per message costs.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(c.Ctx, authBudget)
		defer cancel()
	}
	res := auth.New(auth.Options{Resolver: resolver, Now: c.Opts.Now, HeaderOnly: c.Opts.HeaderOnly}).Check(ctx, in)
	if in.Header == nil && c.lineOffset > 0 {
		// auth split the message itself: its lines count from the message.
		for i := range res.DKIM {
			if res.DKIM[i].Line > 0 {
				res.DKIM[i].Line += c.lineOffset
			}
		}
		if res.ARC != nil {
			for i := range res.ARC.Sets {
				for _, sig := range [2]*auth.Signature{res.ARC.Sets[i].Seal, res.ARC.Sets[i].Message} {
					if sig != nil && sig.Line > 0 {
						sig.Line += c.lineOffset
					}
				}
			}
		}
	}
	if claims := authClaims(c); len(claims) > 0 {
		auth.Compare(res, claims)
	}
	c.Report.Auth = res
	c.authRes = res
	return res
}

// authInput picks what SPF is evaluated for: the hop where the message
// entered the receiving side (the oldest trusted hop's from-clause), or,
// without a trust boundary, the newest hop with a public client IP.
func authInput(c *Context) auth.Input {
	in := auth.Input{Message: c.Msg.Raw, MailFrom: c.Report.Envelope.MailFrom}
	h, f := entryHop(c)
	if h == nil {
		return in
	}
	in.Hop, in.HELO = h.Index, h.From.HELO
	if f.ip.IsValid() {
		in.IP = f.ip.Unmap()
	}
	if h.EnvelopeFrom != "" && c.Report.Envelope.Source != "smtp" {
		in.MailFrom = angleAddr(h.EnvelopeFrom)
	}
	if f.authed {
		in.SkipSPF = fmt.Sprintf("hop %d is an authenticated submission: SPF does not apply", h.Index)
	}
	return in
}

// authHeader hands package auth the fields Split found, so that it does
// not split the header again. Auth ends lines at LF only and reads every
// line up to the empty one as a field or a continuation, so the fields are
// handed over only when Split read the header the same way: no defect (a
// line that is not a field, a continuation before the first field, a cut
// field, no empty line) and no line ended by a CR alone. nil means auth
// splits the message itself.
//
// Only the fields auth reads without DNS are handed over (idx, their
// indexes; auth.ReadsOffline).
func authHeader(m *Message, idx []int, buf []auth.Field) []auth.Field {
	if len(m.Defects) > 0 || len(m.Fields) == 0 || m.bareCR {
		return nil
	}
	out := buf[:0]
	for _, i := range idx {
		f := &m.Fields[i]
		out = append(out, auth.Field{Name: f.Name, Value: f.Value, Line: f.Line})
	}
	if out == nil {
		out = []auth.Field{} // no field auth reads: still its split, not none
	}
	return out
}

// entryHop returns the hop whose client is the first one outside the
// receiving side, and its facts, or nil.
func entryHop(c *Context) (*received.Hop, *hopFacts) {
	hops, hf := c.Report.Hops, c.hopFacts()
	if c.Trust != nil && c.Trust.Boundary > 0 && c.Trust.Boundary <= len(hops) {
		i := c.Trust.Boundary - 1
		if spfClient(&hf[i]) || hf[i].authed {
			return &hops[i], &hf[i]
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if spfClient(&hf[i]) {
			return &hops[i], &hf[i]
		}
	}
	return nil, nil
}

// spfClient reports a client address SPF can be evaluated for: not
// loopback, private, shared (RFC 6598) or link-local. Documentation
// ranges are kept: anonymised samples and test zones use them.
func spfClient(f *hopFacts) bool {
	return f.ip.IsValid() && !f.ip.IsUnspecified() && !f.internal
}

// authClaims turns the receiving side's trusted Authentication-Results
// (rules_authres.go) into claims to compare with.
func authClaims(c *Context) []auth.Claim {
	var out []auth.Claim
	ars := c.authResults()
	for i, a := range ars {
		if !a.Trusted {
			continue
		}
		if out == nil {
			out = make([]auth.Claim, 0, trustedResults(ars[i:]))
		}
		for _, r := range a.Results {
			if cl, ok := claimOf(a.AuthServID, a.Line, r); ok {
				out = append(out, cl)
			}
		}
	}
	return out
}

// trustedResults counts the results of the trusted fields of ars: room
// for every claim they make, made at once.
func trustedResults(ars []AuthResults) int {
	n := 0
	for i := range ars {
		if ars[i].Trusted {
			n += len(ars[i].Results)
		}
	}
	return n
}

// claimOf is one result a receiver or an intermediary recorded, as a
// claim about the identity it names; false for methods mailtrace does not
// compare.
func claimOf(authServID string, line int, r AuthResult) (auth.Claim, bool) {
	cl := auth.Claim{AuthServID: authServID, Method: r.Method, Result: r.Result, Line: line}
	switch r.Method {
	case "dkim":
		cl.Domain, cl.Selector, cl.B = r.Props.Get("header.d"), r.Props.Get("header.s"), r.Props.Get("header.b")
		if cl.Domain == "" {
			cl.Domain = domainOf(r.Props.Get("header.i"))
		}
	case "spf":
		cl.Domain = firstOf(r.Props.Get("smtp.mailfrom"), r.Props.Get("smtp.helo"))
	case "dmarc":
		cl.Domain = r.Props.Get("header.from")
	case "arc":
	default:
		return cl, false
	}
	return cl, true
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// authChecked returns the result when DNS was available; offline there is
// nothing to judge.
func authChecked(c *Context) *auth.Result {
	res := c.authRes // authResult, spelt out so that this inlines too
	if res == nil {
		res = c.checkAuth()
	}
	if !res.Checked {
		return nil
	}
	return res
}

// alignedPass reports whether a From-aligned DKIM signature passes.
func alignedPass(res *auth.Result) bool {
	for _, d := range res.DKIM {
		if d.Aligned && d.Result == auth.StatusPass {
			return true
		}
	}
	return false
}

// dkimFindings applies fn to every signature of a checked message, res
// (authChecked, which the rules ask first: it inlines there, and offline,
// with nothing checked, they end before this call).
func dkimFindings(res *auth.Result, fn func(res *auth.Result, d *auth.DKIM) *Finding) []Finding {
	var out []Finding
	for i := range res.DKIM {
		if f := fn(res, &res.DKIM[i]); f != nil {
			f.Line = res.DKIM[i].Line
			out = append(out, *f)
		}
	}
	return out
}

// sigEvidence names a signature compactly for evidence.
func sigEvidence(d *auth.DKIM) string {
	return fmt.Sprintf("DKIM-Signature d=%s s=%s a=%s (line %d): %s %s", d.Domain, d.Selector, d.Algorithm, d.Line, d.Result, d.Reason)
}

func checkDKIMFail(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		if !d.Problem.Cryptographic() {
			return nil
		}
		sev, whose := SeverityHigh, "the From domain's"
		what := "the body was changed after signing"
		if d.Problem == auth.ProblemSignatureInvalid {
			what = "signed header fields were changed, or the signature is not genuine"
		}
		switch {
		case receiverSawPass(res, d):
			// Changed after delivery (a filter, the store, an editor): the
			// sender is not in question; authres-disagrees says so too.
			sev, what = SeverityMedium, what+"; the receiver recorded a pass, so it changed after delivery"
		case !d.Aligned && alignedPass(res) && c.listCarried(res):
			// The author's signature on mail a list rewrote to its own From
			// (DMARC mitigation, RFC 7489 §6.6): the footer and subject tag
			// break it (RFC 6377 §3), the list's own signature stands.
			sev, whose, what = SeverityInfo, "a third party's", what+", as a mailing list's changes do; the list's own signature authenticates the message"
		case !d.Aligned:
			sev, whose = SeverityMedium, "a third party's"
		case alignedPass(res):
			sev = SeverityLow // another aligned signature authenticates the message
		case c.listCarried(res):
			// A list's footer breaks the body hash of honest mail, its
			// subject tag the header hash (RFC 6377 §3): no more than a
			// signature that is absent.
			sev, what = SeverityMedium, what+", as a mailing list's changes do"
		}
		return &Finding{Severity: sev, Message: fmt.Sprintf("DKIM signature %d of %s (s=%s, %s) does not verify: %s", d.Index, d.Domain, d.Selector, whose, what), Evidence: sigEvidence(d)}
	})
}

// listCarried reports a message a mailing list passed on and that the list
// really handled: besides its List-Id, List-Post or Mailing-List field
// (which anyone can add) the receiving side took it from a server of the
// list's organisation, or a DKIM signature of it passes. A list sends from
// its own servers and signs for itself (a provider's list, such as Google
// Groups, from the provider's: organisations are compared by provider
// family); a forger who adds a List-Id to excuse a broken signature names
// a list that never saw the message.
func (c *Context) listCarried(res *auth.Result) bool {
	return c.handledBy(c.listFamilies(), res)
}

// handledBy is listCarried for the list organisations fams (listFamilies).
func (c *Context) handledBy(fams []string, res *auth.Result) bool {
	if len(fams) == 0 {
		return false
	}
	hf := c.hopFacts()
	for i := range hf {
		// Only what the receiving side wrote: a line below the boundary
		// naming the list is the sender's to paste. The HELO is left out:
		// it is the client's own word, and the by-host is the receiving
		// side's own: a List-Id naming the recipient's domain (or, for a
		// Gmail recipient, googlegroups.com) matched every message.
		if !c.Report.Hops[i].Trusted || c.Trust != nil && c.Trust.hasFamily(hf[i].rdns.family) {
			continue
		}
		if slices.Contains(fams, hf[i].rdns.family) {
			return true
		}
	}
	if res == nil {
		return false
	}
	for _, d := range res.DKIM {
		if d.Result == auth.StatusPass && slices.Contains(fams, family(strings.ToLower(d.Domain))) {
			return true
		}
	}
	return false
}

// listFamilies are the organisations (provider families, family) a list
// names itself by: the
// domain that ends its List-Id (RFC 2919 §2: a name its owner controls),
// and the domains of the mailto addresses of List-Post (RFC 2369 §3.4) and
// of the older Mailing-List ("list x@example.org; contact ...").
func (c *Context) listFamilies() []string {
	var out []string
	add := func(d string) {
		d = strings.ToLower(strings.Trim(d, " .<>"))
		if o := family(d); strings.Contains(d, ".") && o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	// Only the list fields' values are asked for (unfolded, from the
	// header summary): unfolding every field copied each folded one
	// (signatures, Received) for nothing.
	for i := range c.Msg.Fields {
		f := &c.Msg.Fields[i]
		switch {
		case equalFoldASCII(f.Name, "List-Id"):
			v := c.unfolded(i)
			if j := strings.LastIndexByte(v, '<'); j >= 0 {
				v = v[j+1:]
			}
			id, _, _ := strings.Cut(v, ">")
			add(id)
		case equalFoldASCII(f.Name, "List-Post"), equalFoldASCII(f.Name, "Mailing-List"):
			for _, w := range strings.FieldsFunc(c.unfolded(i), func(r rune) bool { return r == '<' || r == '>' || r == ' ' || r == ',' || r == ';' || r == '?' }) {
				if d := domainOf(strings.TrimPrefix(strings.ToLower(w), "mailto:")); d != "" {
					add(d)
				}
			}
		}
	}
	return out
}

// receiverSawPass reports a trusted claim of dkim=pass for the signature's
// domain that mailtrace now contradicts cryptographically.
func receiverSawPass(res *auth.Result, d *auth.DKIM) bool {
	for _, m := range res.Compared {
		if m.Claim.Method == "dkim" && m.Cryptographic && strings.EqualFold(strings.TrimSuffix(m.Claim.Domain, "."), d.Domain) {
			return true
		}
	}
	return false
}

func checkDKIMKeyMissing(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		if d.Problem != auth.ProblemKeyNotFound && d.Problem != auth.ProblemKeyRevoked {
			return nil
		}
		f := &Finding{Message: fmt.Sprintf("DKIM key %s._domainkey.%s is not published today (%s); it may have been rotated since delivery", d.Selector, d.Domain, d.Problem), Evidence: sigEvidence(d)}
		if d.BodyHash == "mismatch" {
			f.Severity = SeverityMedium
			f.Message = fmt.Sprintf("DKIM key %s._domainkey.%s is not published today, and the signature's body hash does not match the body", d.Selector, d.Domain)
		}
		return f
	})
}

func checkDKIMTemp(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		if d.Result != auth.StatusTempError {
			return nil
		}
		return &Finding{Message: fmt.Sprintf("DKIM key %s._domainkey.%s could not be looked up; the signature is unchecked", d.Selector, d.Domain), Evidence: sigEvidence(d)}
	})
}

func checkDKIMInvalid(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		switch d.Problem {
		case auth.ProblemMalformed, auth.ProblemUnsupported, auth.ProblemFromNotSigned, auth.ProblemKeyInvalid, auth.ProblemLimit:
			return &Finding{Message: fmt.Sprintf("DKIM signature %d (d=%s) cannot be used: %s", d.Index, orDash(d.Domain), d.Reason), Evidence: sigEvidence(d)}
		}
		return nil
	})
}

func checkDKIMExpired(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		if d.Problem != auth.ProblemExpired {
			return nil
		}
		return &Finding{Message: fmt.Sprintf("DKIM signature of %s: %s", d.Domain, d.Reason), Evidence: sigEvidence(d)}
	})
}

func checkDKIMBodyLength(c *Context) []Finding {
	res := authChecked(c)
	if res == nil {
		return nil
	}
	return dkimFindings(res, func(res *auth.Result, d *auth.DKIM) *Finding {
		if d.BodyLength == nil {
			return nil
		}
		f := &Finding{Message: fmt.Sprintf("DKIM signature of %s signs only the first %d body bytes; %d bytes follow unsigned", d.Domain, *d.BodyLength, d.UnsignedBytes), Evidence: sigEvidence(d)}
		if d.UnsignedBytes == 0 {
			f.Severity = SeverityInfo
			f.Message = fmt.Sprintf("DKIM signature of %s carries l=%d (it covers the whole body as it is)", d.Domain, *d.BodyLength)
		}
		return f
	})
}

func checkDKIMMisaligned(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || res.From == "" || alignedPass(res) {
		return nil
	}
	var signers []string
	for _, d := range res.DKIM {
		if d.Result == auth.StatusPass {
			signers = append(signers, d.Domain)
		}
	}
	if len(signers) == 0 {
		return nil
	}
	return []Finding{{Message: fmt.Sprintf("DKIM signatures verify only for %s, not for the From domain %s", strings.Join(signers, ", "), res.From),
		Evidence: "From domain " + res.From + "; passing d= " + strings.Join(signers, ", ")}}
}

// spfFinding builds the finding of an SPF result, s (res.SPF of
// authChecked, which the rules ask first: offline they end there).
func spfFinding(s *auth.SPF, want ...auth.Status) []Finding {
	for _, w := range want {
		if s.Result != w {
			continue
		}
		f := Finding{Message: fmt.Sprintf("SPF %s for %s from %s (%s identity)", s.Result, s.Domain, s.IP, s.Scope),
			Evidence: fmt.Sprintf("%s; record today: %s", s.Reason, orDash(s.Record))}
		if s.Hop > 0 {
			f.Hops = []int{s.Hop}
		}
		return []Finding{f}
	}
	return nil
}

func checkSPFFail(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || res.SPF == nil {
		return nil
	}
	out := spfFinding(res.SPF, auth.StatusFail)
	if len(out) > 0 && c.forwardingExplains(res) {
		out[0].Severity = SeverityLow
		out[0].Message += "; an aligned DKIM signature or an intact ARC chain points to forwarding"
	}
	return out
}

func checkSPFSoftFail(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || res.SPF == nil {
		return nil
	}
	out := spfFinding(res.SPF, auth.StatusSoftFail)
	if len(out) > 0 && c.forwardingExplains(res) {
		out[0].Severity = SeverityInfo
	}
	return out
}

func checkSPFError(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || res.SPF == nil {
		return nil
	}
	return spfFinding(res.SPF, auth.StatusTempError, auth.StatusPermError)
}

// forwardingExplains reports authentication that survives forwarding
// while SPF does not: an aligned DKIM pass, or an intact ARC chain sealed
// by intermediaries to trust, the first of which saw the envelope domain
// (or the From domain) pass (arcVouches).
func (c *Context) forwardingExplains(res *auth.Result) bool {
	spfDomain := ""
	if res.SPF != nil {
		spfDomain = res.SPF.Domain
	}
	return alignedPass(res) || c.arcVouches(res, spfDomain)
}

// arcVouches reports an intact ARC chain whose newest sealer is one to
// take at its word: a big provider's (Google, Microsoft, Yahoo...), the
// receiving side's own, or one --trusted names. RFC 8617 §7.2 leaves the
// choice to the receiver, and anyone can seal: a forger's own relay adding
// "spf=pass; dmarc=pass" under its own key makes an intact chain too.
// Microsoft 365 and Gmail likewise honour only sealers they are told to.
// The chain vouches for the From domain, and for spfDomain when it is not
// "" (see arcFirstPassed).
func (c *Context) arcVouches(res *auth.Result, spfDomain string) bool {
	if res.ARC == nil || res.ARC.Result != auth.StatusPass {
		return false
	}
	set := c.firstTrustedSet(res)
	return set != nil && arcFirstPassed(res, set, spfDomain)
}

// firstTrustedSet is the oldest set of the run of sets, ending at the
// newest, that sealers to trust added; nil when the newest is not one.
// What a sealer below that run recorded is its own word only: a forger
// seals a spoof with "dmarc=pass" under its own key and sends it out
// through a provider (a Microsoft 365 tenant of its own), whose seal on
// top keeps the chain intact while its own results record the failure.
func (c *Context) firstTrustedSet(res *auth.Result) *auth.ARCSet {
	byInstance := make(map[int]*auth.ARCSet, len(res.ARC.Sets))
	newest := 0
	for i := range res.ARC.Sets {
		s := &res.ARC.Sets[i]
		byInstance[s.Instance] = s
		newest = max(newest, s.Instance)
	}
	var first *auth.ARCSet
	for n := newest; n >= 1; n-- {
		s := byInstance[n]
		if s == nil || s.Seal == nil || !c.sealerTrusted(s.Seal.Domain) {
			break
		}
		first = s
	}
	return first
}

// sealerTrusted reports an ARC sealer to take at its word (arcVouches).
func (c *Context) sealerTrusted(domain string) bool {
	if domain == "" {
		return false
	}
	sealer := facts(domain)
	return sealer.provider || c.Trust != nil && c.Trust.isSideFacts(sealer)
}

// arcFirstPassed reports whether set, the first intermediary to trust
// (firstTrustedSet), recorded a pass for the identity at stake: DMARC
// for the From domain, or else (the set records no DMARC) an SPF or DKIM
// pass of the From domain's organisation; and an SPF pass for spfDomain,
// the envelope domain that fails now, when it is not "". A provider seals
// what it relays, spoofs included (Microsoft 365 seals its tenants'
// outbound mail), and then records the failure it saw; and a pass it
// recorded for another domain (the forger's own, whose SPF passes for its
// own servers) says nothing of the From domain.
func arcFirstPassed(res *auth.Result, set *auth.ARCSet, spfDomain string) bool {
	var ar AuthResults
	ar.parseResults(stripComments(set.AuthResults))
	return aarVouches(ar.Results, res.From, spfDomain)
}

// aarVouches is arcFirstPassed for the results of one set.
func aarVouches(results []AuthResult, from, spfDomain string) bool {
	fromOrg := orgDomain(strings.ToLower(from))
	aligned := func(d string) bool {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		return d != "" && fromOrg != "" && orgDomain(d) == fromOrg
	}
	dmarc, passed := false, false
	for _, r := range results {
		pass := r.Result == "pass"
		switch r.Method {
		case "dmarc":
			if !dmarc { // the first DMARC result decides
				dmarc = true
				hf := r.Props.Get("header.from")
				passed = pass && (hf == "" || aligned(domainOrSelf(hf)))
			}
		case "spf":
			d := domainOrSelf(r.Props.Get("smtp.mailfrom"))
			if pass && spfDomain != "" && strings.EqualFold(d, spfDomain) {
				return true
			}
			if !dmarc && pass && aligned(d) {
				passed = true
			}
		case "dkim":
			d := firstOf(r.Props.Get("header.d"), domainOf(r.Props.Get("header.i")))
			if !dmarc && pass && aligned(d) {
				passed = true
			}
		}
	}
	return passed
}

// domainOrSelf is the domain of an address, or s itself when it is a bare
// domain (smtp.mailfrom and header.from may be either, RFC 8601 §2.7).
func domainOrSelf(s string) string {
	if d := domainOf(s); d != "" {
		return d
	}
	return strings.ToLower(strings.Trim(s, " <>"))
}

func checkDMARCFail(c *Context) []Finding {
	res := authChecked(c)
	if res == nil || res.DMARC == nil || res.DMARC.Result != auth.StatusFail {
		return nil
	}
	d := res.DMARC
	f := Finding{Message: fmt.Sprintf("DMARC fails for %s (policy %s=%s, pct %d): %s", d.FromDomain, d.PolicyTag, d.Policy, d.Percent, d.Reason),
		Evidence: fmt.Sprintf("%s: %s", d.RecordDomain, d.Record)}
	switch {
	case d.DNSDependent:
		f.Severity = SeverityInfo
		f.Message += "; a signature might have passed with the keys published at delivery"
	case c.arcVouches(res, ""):
		f.Severity = SeverityLow
		f.Message += "; an intact ARC chain sealed by " + arcSealer(res) + " vouches for the results of earlier hops"
	case d.Policy == "none":
		f.Severity = SeverityLow
	}
	return []Finding{f}
}

// arcSealer is the domain of the newest ARC seal, "" when there is none.
func arcSealer(res *auth.Result) string {
	if res.ARC == nil || len(res.ARC.Sets) == 0 {
		return ""
	}
	newest := res.ARC.Sets[0]
	for _, set := range res.ARC.Sets[1:] {
		if set.Instance > newest.Instance {
			newest = set
		}
	}
	if newest.Seal == nil {
		return ""
	}
	return newest.Seal.Domain
}

func checkARCBroken(c *Context) []Finding {
	res := c.authResult()
	out := append(c.arcSealerAbsent(res), c.arcPassForMissing(res)...)
	if res.ARC == nil {
		return out
	}
	// Offline the chain is not-checked, or fail when its structure is
	// broken (RFC 8617 §5.2 steps 2-3 need no DNS).
	a := res.ARC
	switch a.Result {
	case auth.StatusPass, auth.StatusNone, auth.StatusNotChecked:
		return out
	}
	f := Finding{Message: fmt.Sprintf("ARC chain of %d set(s) broken at instance %d: %s", a.Instances, a.BrokenAt, a.Reason), Evidence: arcEvidence(a)}
	if a.BrokenAt == 0 {
		f.Message = fmt.Sprintf("ARC chain of %d set(s) broken: %s", a.Instances, a.Reason)
	}
	if a.Result != auth.StatusFail {
		f.Severity = SeverityInfo // a key could not be had today
	}
	return append(out, f)
}

// arcSealerAbsent reports ARC sets whose sealer never handled the message:
// an intermediary seals as it takes the message in, so a Received line of
// its organisation (the seal's d= or the set's authserv-id) sits below the
// seal. A set with none was pasted in. It needs no DNS.
func (c *Context) arcSealerAbsent(res *auth.Result) []Finding {
	if res.ARC == nil {
		return nil
	}
	var out []Finding
	for _, set := range res.ARC.Sets {
		if set.Seal == nil || set.Seal.Line <= 0 || set.Seal.Domain == "" ||
			sealerHop(c.Report.Hops, set, set.Seal.Line) != nil {
			continue
		}
		out = append(out, Finding{Severity: SeverityMedium, Line: set.Seal.Line,
			Message: fmt.Sprintf("ARC set %d is sealed by %s (%s), but no Received line of that organisation sits below it: the sealer never took the message in, so the set was pasted in",
				set.Instance, set.Seal.Domain, orDash(set.AuthServID)),
			Evidence: fmt.Sprintf("ARC-Seal: i=%d; d=%s; s=%s", set.Instance, set.Seal.Domain, set.Seal.Selector)})
	}
	return out
}

// arcPassForMissing reports ARC sets whose intermediary records a DKIM
// pass for a signature the message does not carry (by d=, s= and the start
// of b=, as a receiver's own claims are read): the set was planted to
// vouch for the message, or the message was changed after it was sealed.
// Mailing lists may strip signatures after sealing, so list mail is not
// judged. It needs no DNS.
func (c *Context) arcPassForMissing(res *auth.Result) []Finding {
	if res.ARC == nil || len(res.ARC.Sets) == 0 || c.listCarried(res) {
		return nil
	}
	var out []Finding
	for _, set := range res.ARC.Sets {
		var claims []auth.Claim
		for _, r := range dkimPasses(stripComments(set.AuthResults)) {
			cl, _ := claimOf(set.AuthServID, 0, r)
			claims = append(claims, cl)
		}
		if len(claims) == 0 {
			continue
		}
		cmp := auth.Result{DKIM: res.DKIM}
		auth.Compare(&cmp, claims)
		for _, m := range cmp.Compared {
			if m.Computed != "" {
				continue // a signature it carries: judged with DNS, by the chain's validation
			}
			out = append(out, Finding{Severity: SeverityMedium,
				Message: fmt.Sprintf("ARC set %d (%s) records a DKIM pass for %s, but the message carries no such signature: the set was planted, or the message changed after it was sealed",
					set.Instance, orDash(set.AuthServID), orDash(m.Claim.Domain)),
				Evidence: fmt.Sprintf("ARC-Authentication-Results: i=%d; %s; %s", set.Instance, orDash(set.AuthServID), set.AuthResults)})
		}
	}
	return out
}

// dkimPasses are the dkim=pass results of v, an ARC set's results without
// comments, as parseResults reads them (with no authserv-id to skip): only
// the parts that may be DKIM results (mayBeDKIM) are read.
func dkimPasses(v string) []AuthResult {
	var out []AuthResult
	for parts := newResultParts(v); ; {
		part, ok := parts.next()
		if !ok {
			break
		}
		if !mayBeDKIM(part) {
			continue
		}
		if r, ok := parseResInfo(part); ok && r.Method == "dkim" && r.Result == "pass" {
			out = append(out, r)
		}
	}
	return out
}

// mayBeDKIM reports a part whose method parseResInfo may read as "dkim":
// its first word starts with "dkim" in any case and then "=" or "/", or
// it holds a byte past ASCII before its first ASCII white space (Unicode
// white space ends a word too, and the Kelvin sign lowers to "k").
func mayBeDKIM(part string) bool {
	i := 0
	for i < len(part) && resByte[part[i]] == rbSpace {
		i++
	}
	w := part[i:]
	for j := 0; j < len(w) && resByte[w[j]] != rbSpace; j++ {
		if w[j] >= utf8.RuneSelf {
			return true
		}
	}
	return len(w) > 4 && w[0]|0x20 == 'd' && w[1]|0x20 == 'k' && w[2]|0x20 == 'i' && w[3]|0x20 == 'm' &&
		(w[4] == '=' || w[4] == '/')
}

func arcEvidence(a *auth.ARC) string {
	var parts []string
	for _, s := range a.Sets {
		seal := "-"
		if s.Seal != nil {
			seal = fmt.Sprintf("%s seal %s", s.Seal.Domain, s.Seal.Result)
		}
		ams := "-"
		if s.Message != nil {
			ams = string(s.Message.Result)
		}
		parts = append(parts, fmt.Sprintf("i=%d cv=%s %s, message signature %s", s.Instance, orDash(s.CV), seal, ams))
	}
	return strings.Join(parts, "; ")
}

func checkAuthResDisagrees(c *Context) []Finding {
	out := c.envelopeClaimMismatch()
	res := c.authResult()
	for _, m := range res.Compared {
		// A pass for a signature the message does not carry needs no DNS
		// to see; every other disagreement needs results computed now.
		missing := m.Claim.Method == "dkim" && m.Computed == ""
		if !res.Checked && !missing {
			continue
		}
		f := Finding{Message: m.Reason, Line: m.Claim.Line,
			Evidence: fmt.Sprintf("%s: %s=%s %s", orDash(m.Claim.AuthServID), m.Claim.Method, m.Claim.Result, m.Claim.Domain)}
		switch {
		case m.Cryptographic, missing:
			f.Severity = SeverityMedium
		case m.Dated:
			f.Severity = SeverityInfo
		}
		out = append(out, f)
	}
	return out
}

// envelopeClaimMismatch reports a trusted SPF pass for an envelope sender
// (smtp.mailfrom) of another domain than the message's Return-Path. The
// receiver writes both from the same MAIL FROM, so they agree on every
// message that went the way the claim says (forwarding with SRS changes
// both); no DNS is needed to see it.
func (c *Context) envelopeClaimMismatch() []Finding {
	rp := domainOf(c.Report.Envelope.MailFrom)
	if rp == "" {
		return nil
	}
	var out []Finding
	for _, a := range c.authResults() {
		if !a.Trusted {
			continue
		}
		for _, r := range a.Results {
			mf := domainOf(r.Props.Get("smtp.mailfrom"))
			if r.Method != "spf" || r.Result != "pass" || mf == "" || strings.EqualFold(mf, rp) {
				continue
			}
			out = append(out, Finding{Severity: SeverityMedium, Line: a.Line,
				Message: fmt.Sprintf("%s records an SPF pass for envelope sender %s, but the message's envelope sender is %s: the claim is not about this message",
					orDash(a.AuthServID), r.Props.Get("smtp.mailfrom"), c.Report.Envelope.MailFrom),
				Evidence: fmt.Sprintf("%s: spf=pass smtp.mailfrom=%s | MAIL FROM:<%s>", orDash(a.AuthServID), r.Props.Get("smtp.mailfrom"), c.Report.Envelope.MailFrom)})
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
