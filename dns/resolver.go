// Package dns is mailtrace's resolver: the only package that speaks DNS
// (RFC 1034/1035) and the only one that imports github.com/miekg/dns.
//
// It hands back net/netip types and its own results so callers never see
// miekg types. Implementations: a network client (servers from
// /etc/resolv.conf or given), answers from RFC 1035 master files (offline,
// reproducible), and a cache shared by every message of a run. New builds
// the one a run uses from a Config.
//
// On top of any Resolver: Route follows RFC 5321 §5.1 (CNAMEs, MX by
// preference, implicit MX, RFC 7505 null MX) and records every step;
// CheckIPRev is RFC 8601 §3 iprev; CheckHostIP says whether a name
// resolves to an address. Checks return a Status, never an error.
//
// Where it departs from the RFCs, on purpose:
//   - MX records of equal preference keep their answer order instead of
//     being shuffled (RFC 5321 §5.1), so that reports are reproducible.
//   - iprev without any PTR record is "none", where RFC 8601 §2.7.3 says
//     permerror.
//   - Names are fully qualified: the resolv.conf search list and ndots
//     are ignored. Names that cannot be host names (anything but letters,
//     digits, '-', '_' and '/') are refused before any query; U-labels are
//     sent as A-labels (RFC 5891).
//   - No DNSSEC validation: the AD bit is not asked for nor trusted.
//   - LookupIP, like net.LookupIP, returns the addresses of one family
//     even when the other family's lookup failed; the checks ask the
//     family of the address they test, so they are not misled by that.
package dns

import (
	"context"
	"errors"
	"net/netip"
)

// Sentinel errors callers branch on with errors.Is.
var (
	ErrNotFound  = errors.New("dns: name not found") // NXDOMAIN (RFC 1035 RCODE 3)
	ErrNoData    = errors.New("dns: no records")     // name exists, no record of that type (RFC 2308 NODATA)
	ErrTemporary = errors.New("dns: temporary failure")
	ErrPermanent = errors.New("dns: permanent failure")
	ErrOffline   = errors.New("dns: offline, not checked")

	// ErrUnreachable is wrapped together with ErrTemporary when no server
	// answered at all (every try timed out or hit a network error): the
	// sign that DNS was unavailable rather than one name being broken.
	ErrUnreachable = errors.New("dns: no server answered")
)

// MX is one mail exchanger record.
type MX struct {
	Preference uint16 `json:"preference"`
	Host       string `json:"host"` // without the final dot, lower case
}

// Resolver is the small interface every lookup in mailtrace goes through.
// Names are given and returned without the final dot. Errors wrap the
// sentinels above: ErrNotFound and ErrNoData mean DNS answered "nothing";
// ErrTemporary (timeouts, any RCODE but NOERROR and NXDOMAIN, malformed or
// bogus replies, names no zone file covers) means DNS could not decide;
// ErrPermanent is kept for broken data: CNAME loops, chains too long,
// invalid names.
type Resolver interface {
	LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error)
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error) // A and AAAA together
	LookupMX(ctx context.Context, domain string) ([]MX, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupCNAME returns the target of one CNAME step, or ErrNoData when
	// the name has no CNAME.
	LookupCNAME(ctx context.Context, name string) (string, error)
}

// Status is the outcome of a DNS-based check, as RFC 7208 §2.6 names them.
type Status string

const (
	StatusPass       Status = "pass"
	StatusFail       Status = "fail"
	StatusNone       Status = "none"
	StatusTempError  Status = "temperror"
	StatusPermError  Status = "permerror"
	StatusNotChecked Status = "not-checked"
)

// StatusOf maps a lookup error to the status a check reports when it cannot
// go on: not found is "none", DNS failures are "temperror".
func StatusOf(err error) Status {
	switch {
	case err == nil:
		return StatusPass
	case errors.Is(err, ErrOffline):
		return StatusNotChecked
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoData):
		return StatusNone
	case errors.Is(err, ErrPermanent):
		return StatusPermError
	default:
		return StatusTempError
	}
}
