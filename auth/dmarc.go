package auth

import (
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"

	"github.com/mailtrace/mailtrace/dns"
)

// DMARC is the From domain's policy and how the message fares under it
// today (RFC 7489).
type DMARC struct {
	FromDomain   string `json:"from_domain"`
	OrgDomain    string `json:"org_domain"`
	RecordDomain string `json:"record_domain,omitempty"` // where the record was found, "_dmarc.<domain>"
	Record       string `json:"record,omitempty"`
	Result       Status `json:"result"`
	Reason       string `json:"reason,omitempty"`
	// Policy is what the domain asks for failing mail from this From
	// domain: p=, or sp= when the record is the organisational domain's
	// and the From domain is below it (RFC 7489 §6.3, §6.6.3).
	Policy    string `json:"policy,omitempty"`
	PolicyTag string `json:"policy_tag,omitempty"` // "p" or "sp"
	Percent   int    `json:"pct"`                  // pct=, 100 by default
	// Disposition is the policy this message would meet today: "none"
	// when it passes, Policy when it fails (pct= not rolled).
	Disposition  string `json:"disposition,omitempty"`
	DKIMMode     string `json:"adkim,omitempty"` // "r" or "s"
	SPFMode      string `json:"aspf,omitempty"`
	DKIMAligned  bool   `json:"dkim_aligned"` // a passing DKIM signature aligns
	DKIMDomain   string `json:"dkim_domain,omitempty"`
	SPFAligned   bool   `json:"spf_aligned"`   // SPF passed and its domain aligns
	DNSDependent bool   `json:"dns_dependent"` // a fail that rests on DNS answers missing today
	Note         string `json:"note,omitempty"`
}

// checkDMARC discovers the policy and evaluates alignment, into res (zero).
// fromOrg is the From domain's organisational domain.
func checkDMARC(l *lookups, from, fromOrg string, sigs []DKIM, s *SPF, res *DMARC) *DMARC {
	switch {
	case !describeDMARC(from, fromOrg, res):
		return res
	case l.r == nil:
		res.Result, res.Reason = StatusNotChecked, reasonOffline
		return res
	}
	rec, st, reason := l.discoverPolicy(res)
	if rec == nil {
		res.Result, res.Reason = st, reason
		return res
	}
	res.Note = noteToday
	res.applyRecord(rec)
	res.evaluate(sigs, s)
	return res
}

// describeDMARC fills in res what needs no DNS, and the result when there
// is no From domain to evaluate; it reports whether there is one.
func describeDMARC(from, fromOrg string, res *DMARC) bool {
	// res is zero (a new result's part): set field by field, as in describeSPF.
	res.FromDomain, res.OrgDomain, res.Percent = from, fromOrg, 100
	if from == "" {
		res.Result, res.Reason = StatusNone, "no From domain to evaluate"
		return false
	}
	return true
}

// discoverPolicy finds the record (RFC 7489 §6.6.3): first at the From
// domain, then at its organisational domain.
func (l *lookups) discoverPolicy(res *DMARC) (*dmarc.Record, Status, string) {
	domains := []string{res.FromDomain}
	if res.OrgDomain != res.FromDomain {
		domains = append(domains, res.OrgDomain)
	}
	for _, d := range domains {
		rec, raw, st, reason := l.dmarcRecord(d)
		if st == StatusNone && reason == "" {
			continue // nothing here: ask the organisational domain
		}
		if rec != nil {
			res.RecordDomain, res.Record = "_dmarc."+d, raw
		}
		return rec, st, reason
	}
	return nil, StatusNone, "no DMARC record for " + res.FromDomain
}

// dmarcRecord fetches and parses the record of one domain. StatusNone
// without a reason means "look further"; with one, discovery stops.
func (l *lookups) dmarcRecord(domain string) (*dmarc.Record, string, Status, string) {
	name := "_dmarc." + domain
	txts, err := l.lookupTXT(name)
	if err != nil {
		st := Status(dns.StatusOf(err))
		if st == StatusNone {
			return nil, "", StatusNone, ""
		}
		return nil, "", st, "DMARC lookup at " + name + " failed: " + err.Error()
	}
	var records []string
	for _, t := range txts {
		if tags, _ := parseTagList(t); len(tags) > 0 && tags[0].Name == "v" && tags[0].Value == "DMARC1" {
			records = append(records, t)
		}
	}
	switch len(records) {
	case 0:
		return nil, "", StatusNone, ""
	case 1:
	default:
		// RFC 7489 §6.6.3 step 5: several records, no DMARC processing.
		return nil, "", StatusNone, fmt.Sprintf("%d DMARC records at %s: none applies", len(records), name)
	}
	rec, err := dmarc.Parse(lowerKeywords(records[0]))
	if err != nil {
		// RFC 7489 §6.6.3 step 6: a bad p= or sp= with a reporting address
		// reads as p=none; otherwise no DMARC processing.
		if tags, _ := parseTagList(records[0]); tags.value("rua") != "" {
			return &dmarc.Record{Policy: dmarc.PolicyNone, DKIMAlignment: dmarc.AlignmentRelaxed, SPFAlignment: dmarc.AlignmentRelaxed}, records[0], StatusPass, ""
		}
		return nil, records[0], StatusPermError, fmt.Sprintf("DMARC record at %s is invalid: %v", name, err)
	}
	return rec, records[0], StatusPass, ""
}

// keywordTags are the DMARC tags whose values are keywords.
var keywordTags = map[string]bool{"p": true, "sp": true, "adkim": true, "aspf": true, "fo": true, "rf": true}

// lowerKeywords lower-cases the values of keywordTags in a record, split
// on ";" and "=" as go-msgauth's parser splits it. The values are ABNF
// quoted strings (RFC 7489 §6.4), so case-insensitive (RFC 5234 §2.3):
// "p=REJECT" is p=reject, which go-msgauth refuses. v=DMARC1 is
// case-sensitive (its ABNF spells the octets), and the URIs of rua= and
// ruf= are left as written; pct= and ri= are numbers.
func lowerKeywords(rec string) string {
	parts := strings.Split(rec, ";")
	changed := false
	for i, part := range parts {
		name, value, ok := strings.Cut(part, "=")
		if !ok || !keywordTags[strings.TrimSpace(name)] {
			continue
		}
		if lower := strings.ToLower(value); lower != value {
			parts[i], changed = name+"="+lower, true
		}
	}
	if !changed {
		return rec
	}
	return strings.Join(parts, ";")
}

// applyRecord picks the policy that applies to the From domain.
func (res *DMARC) applyRecord(rec *dmarc.Record) {
	res.Policy, res.PolicyTag = string(rec.Policy), "p"
	if res.RecordDomain != "_dmarc."+res.FromDomain && rec.SubdomainPolicy != "" {
		res.Policy, res.PolicyTag = string(rec.SubdomainPolicy), "sp"
	}
	if rec.Percent != nil {
		res.Percent = *rec.Percent
	}
	res.DKIMMode, res.SPFMode = string(rec.DKIMAlignment), string(rec.SPFAlignment)
}

// evaluate decides pass or fail from aligned identifiers (RFC 7489 §4.2).
// Alignment is judged against res.FromDomain, which need not be the
// domain the signatures' Alignment fields were worked out for (a From
// field with several domains, checkEveryFrom).
func (res *DMARC) evaluate(sigs []DKIM, s *SPF) {
	dnsMissing := false
	for _, d := range sigs {
		if !res.aligned(d.Domain, res.DKIMMode) {
			continue
		}
		if d.Result == StatusPass {
			res.DKIMAligned, res.DKIMDomain = true, d.Domain
			break
		}
		dnsMissing = dnsMissing || d.MightHavePassed()
	}
	spfAligned := s != nil && res.aligned(s.Domain, res.SPFMode)
	if spfAligned && s.Result == StatusPass {
		res.SPFAligned = true
	}
	if spfAligned && (s.Result == StatusTempError || s.Result == StatusNotChecked) {
		dnsMissing = true
	}
	if res.DKIMAligned || res.SPFAligned {
		res.Result, res.Disposition = StatusPass, "none"
		return
	}
	res.Result, res.Disposition, res.DNSDependent = StatusFail, res.Policy, dnsMissing
	res.Reason = res.failReason(sigs, s)
}

// aligned reports whether an authenticated domain aligns with the From
// domain in the record's mode ("s" or "r").
func (res *DMARC) aligned(domain, mode string) bool {
	return aligned(alignment(domain, res.FromDomain, res.OrgDomain), mode)
}

// failReason says in one line why nothing aligned.
func (res *DMARC) failReason(sigs []DKIM, s *SPF) string {
	var parts []string
	nAligned := 0
	for _, d := range sigs {
		if res.aligned(d.Domain, res.DKIMMode) {
			nAligned++
		}
	}
	switch {
	case len(sigs) == 0:
		parts = append(parts, "no DKIM signature")
	case nAligned == 0:
		parts = append(parts, "no DKIM signature aligned with "+res.FromDomain)
	default:
		parts = append(parts, "no aligned DKIM signature passed")
	}
	switch {
	case s == nil || s.Result == StatusNotChecked:
		parts = append(parts, "SPF not checked")
	case s.Result != StatusPass:
		parts = append(parts, "SPF "+string(s.Result))
	default:
		parts = append(parts, "SPF domain "+s.Domain+" not aligned")
	}
	if res.Percent < 100 {
		parts = append(parts, fmt.Sprintf("policy applies to %d%% of failing mail", res.Percent))
	}
	return strings.Join(parts, "; ")
}

// fromDomains returns the domains of a From field that lists several,
// with DNS to check them; nil otherwise.
func (l *lookups) fromDomains(m *message) []string {
	if l.r == nil {
		return nil
	}
	return m.fromDomains()
}

// checkEveryFrom applies DMARC to the other domains of a From field that
// lists several (RFC 7489 §6.6.1: "apply the DMARC check using each of
// those domains ... and apply the most strict policy selected among the
// checks that fail"). first is the result for the From domain; the result
// is the failing check with the strictest policy, or first when none
// fails. Without it, "From: eve@attacker.example, ceo@victim.example"
// passed on the attacker's own domain.
func checkEveryFrom(l *lookups, domains []string, sigs []DKIM, s *SPF, first *DMARC) *DMARC {
	worst := first
	for _, d := range domains {
		if d == first.FromDomain {
			continue
		}
		res := checkDMARC(l, d, orgDomain(d), sigs, s, &DMARC{})
		if res.Result == StatusFail && (worst.Result != StatusFail || policyRank(res.Policy) > policyRank(worst.Policy)) {
			worst = res
		}
	}
	note := fmt.Sprintf("From lists %d domains (%s); DMARC checks each and keeps the strictest policy among those that fail (RFC 7489 §6.6.1)",
		len(domains), strings.Join(domains, ", "))
	if worst.Note == "" {
		worst.Note = note
	} else {
		worst.Note = note + "; " + worst.Note
	}
	return worst
}

// policyRank orders DMARC policies by strictness.
func policyRank(p string) int {
	switch p {
	case "reject":
		return 2
	case "quarantine":
		return 1
	}
	return 0
}
