package auth

import (
	"fmt"
	"strings"
)

// Claim is one result a receiver recorded in a trusted
// Authentication-Results field (RFC 8601 §2.2).
type Claim struct {
	AuthServID string `json:"authserv_id,omitempty"`
	Method     string `json:"method"` // dkim, spf, dmarc, arc
	Result     string `json:"result"`
	// Domain is the identity the result is about: header.d for DKIM,
	// smtp.mailfrom (or smtp.helo) for SPF, header.from for DMARC.
	Domain   string `json:"domain,omitempty"`
	Selector string `json:"selector,omitempty"` // header.s, DKIM only
	// B is header.b (RFC 6008): the first characters of the signature's
	// b=, which tell apart two signatures of one domain and selector.
	B    string `json:"-"`
	Line int    `json:"line,omitempty"`
}

// Mismatch is a claim that disagrees with what mailtrace computed now.
type Mismatch struct {
	Claim    Claim  `json:"claim"`
	Computed Status `json:"computed"` // "" when mailtrace found nothing to compare (no such signature)
	// Dated is set when mailtrace's side rests on what has changed since
	// delivery: DNS as it is today (a key no longer published, a changed
	// SPF or DMARC record, a failed lookup), the clock (an expired
	// signature) or algorithms retired since (rsa-sha1, RFC 8301). The
	// disagreement may only mean that time has passed.
	Dated bool `json:"dated"`
	// Cryptographic is set when mailtrace's side is a cryptographic
	// mismatch of the message's own bytes where the receiver saw a pass:
	// the message changed after the receiver checked it.
	Cryptographic bool   `json:"cryptographic"`
	Reason        string `json:"reason"`
}

// Compare sets res.Claims and res.Compared: every claim whose pass/fail
// sense differs from the result computed now. Claims mailtrace cannot
// compare (methods it does not check, results it did not compute because
// DNS was offline) are kept but yield no mismatch.
func Compare(res *Result, claims []Claim) {
	res.Claims, res.Compared = claims, []Mismatch{}
	if claims == nil {
		res.Claims = []Claim{}
	}
	for _, c := range claims {
		c.Method = strings.ToLower(c.Method)
		c.Result = strings.ToLower(c.Result)
		var m *Mismatch
		switch c.Method {
		case "dkim":
			m = compareDKIM(res.DKIM, c)
		case "spf":
			m = compareSPF(res.SPF, c)
		case "dmarc":
			m = compareDMARC(res.DMARC, res.DKIM, c)
		case "arc":
			m = compareARC(res.ARC, c)
		}
		if m != nil {
			res.Compared = append(res.Compared, *m)
		}
	}
}

// sense reduces a result to the distinction that matters for a
// disagreement: "pass", "fail" (fail, softfail, policy), "error"
// (temperror, permerror, neutral, none) or "" (not computed).
func sense(s string) string {
	// Results are lower case as a rule (analyze lowers the receiver's, and
	// Status values are): one of those is told without lowering it.
	if r, known := senseOf(Status(s)); known {
		return r
	}
	r, _ := senseOf(Status(strings.ToLower(s)))
	return r
}

// senseOf is sense of a result as written; known is false for a result
// that is none of the Status values ("error" then, as for an unknown one).
func senseOf(s Status) (r string, known bool) {
	switch s {
	case StatusPass:
		return "pass", true
	case StatusFail, StatusSoftFail, StatusPolicy:
		return "fail", true
	case StatusNotChecked, "":
		return "", true
	case StatusNone, StatusNeutral, StatusTempError, StatusPermError:
		return "error", true
	}
	return "error", false
}

// disagree reports whether two results differ in a way worth a finding:
// one side passes and the other does not.
func disagree(claimed string, computed Status) bool {
	a, b := sense(claimed), sense(string(computed))
	if a == "" || b == "" || a == b {
		return false
	}
	return a == "pass" || b == "pass"
}

func compareDKIM(sigs []DKIM, c Claim) *Mismatch {
	domain := normDomain(c.Domain)
	// One passing signature satisfies a "pass" claim; a "fail" claim is
	// contradicted only if every matching signature passes now: the first
	// matching signature that passes is compared, or else the first.
	var best *DKIM
	for i := range sigs {
		d := &sigs[i]
		if (domain == "" || signsFor(d.Domain, domain)) && (c.Selector == "" || strings.EqualFold(d.Selector, c.Selector)) &&
			(c.B == "" || strings.HasPrefix(c.B, d.b) && len(d.b) == bKept || strings.HasPrefix(d.b, c.B)) &&
			(best == nil || d.Result == StatusPass && best.Result != StatusPass) {
			best = d
		}
	}
	if best == nil {
		if sense(c.Result) != "pass" {
			return nil
		}
		which := orAny(domain)
		if c.B != "" {
			which += " starting b=" + c.B
		}
		return &Mismatch{Claim: c, Reason: fmt.Sprintf("the receiver says a DKIM signature of %s passed, but the message has no such signature now", which)}
	}
	if !disagree(c.Result, best.Result) {
		return nil
	}
	dated := best.Problem.DNSDependent() || best.Problem == ProblemExpired || best.Problem == ProblemUnsupported || best.Result == StatusTempError
	return &Mismatch{Claim: c, Computed: best.Result, Dated: dated, Cryptographic: best.Problem.Cryptographic(),
		Reason: fmt.Sprintf("the receiver says dkim=%s for %s; mailtrace finds %s now%s", c.Result, best.Domain, best.Result, because(best.Reason))}
}

// signsFor reports whether a signature of domain d can be the one a claim
// about domain claimed means: the same domain, or a parent of it, since
// receivers that record only the signing identity (header.i, RFC 6376
// §3.5: d= or a subdomain of it) name the subdomain.
func signsFor(d, claimed string) bool {
	return d == claimed || d != "" && strings.HasSuffix(claimed, "."+d)
}

func compareSPF(s *SPF, c Claim) *Mismatch {
	if s == nil {
		return nil
	}
	if d := claimDomain(c.Domain); d != "" && d != s.Domain {
		return nil // the receiver checked another identity
	}
	if !disagree(c.Result, s.Result) {
		return nil
	}
	return &Mismatch{Claim: c, Computed: s.Result, Dated: true,
		Reason: fmt.Sprintf("the receiver says spf=%s for %s; mailtrace finds %s now for %s%s", c.Result, s.Domain, s.Result, s.IP, because(s.Reason))}
}

func compareDMARC(d *DMARC, sigs []DKIM, c Claim) *Mismatch {
	if d == nil {
		return nil
	}
	if dom := claimDomain(c.Domain); dom != "" && dom != d.FromDomain {
		return nil
	}
	if !disagree(c.Result, d.Result) {
		return nil
	}
	crypto := false
	for _, s := range sigs {
		crypto = crypto || (d.Result == StatusFail && s.Aligned && s.Problem.Cryptographic())
	}
	// Only a fail that owes nothing to missing DNS, or a pass, stands on
	// the message itself; none, temperror and permerror are today's DNS.
	dated := d.DNSDependent || (d.Result != StatusFail && d.Result != StatusPass)
	return &Mismatch{Claim: c, Computed: d.Result, Dated: dated, Cryptographic: crypto,
		Reason: fmt.Sprintf("the receiver says dmarc=%s for %s; mailtrace finds %s now%s", c.Result, d.FromDomain, d.Result, because(d.Reason))}
}

func compareARC(a *ARC, c Claim) *Mismatch {
	if a == nil || !disagree(c.Result, a.Result) {
		return nil
	}
	dated := a.Result != StatusPass && a.Result != StatusFail
	crypto := a.Result == StatusFail && a.Structure == "ok"
	return &Mismatch{Claim: c, Computed: a.Result, Dated: dated, Cryptographic: crypto,
		Reason: fmt.Sprintf("the receiver says arc=%s; mailtrace finds the chain %s now%s", c.Result, a.Result, because(a.Reason))}
}

// claimDomain reads a domain from an A-R property value that may be an
// address (smtp.mailfrom=user@example.com).
func claimDomain(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "@") {
		return domainOf(v)
	}
	return normDomain(v)
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

func orAny(d string) string {
	if d == "" {
		return "any domain"
	}
	return d
}
