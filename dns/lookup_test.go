package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

type lookupFunc func(ctx context.Context, r dns.Resolver) (any, error)

func ipOf(name string) lookupFunc {
	return func(ctx context.Context, r dns.Resolver) (any, error) { return r.LookupIP(ctx, name) }
}

func mxOf(name string) lookupFunc {
	return func(ctx context.Context, r dns.Resolver) (any, error) { return r.LookupMX(ctx, name) }
}

func txtOf(name string) lookupFunc {
	return func(ctx context.Context, r dns.Resolver) (any, error) { return r.LookupTXT(ctx, name) }
}

func cnameOf(name string) lookupFunc {
	return func(ctx context.Context, r dns.Resolver) (any, error) { return r.LookupCNAME(ctx, name) }
}

func ptrOf(ip string) lookupFunc {
	return func(ctx context.Context, r dns.Resolver) (any, error) {
		addr, _ := netip.ParseAddr(ip) // "" gives the invalid address on purpose
		return r.LookupPTR(ctx, addr)
	}
}

// TestLookups runs the same questions against the Zone resolver, the
// Network resolver talking to a dnstest server serving the same file, and a
// Cache over the latter. Records are in testdata/dns/test.zone.
func TestLookups(t *testing.T) {
	tests := []struct {
		name    string
		lookup  lookupFunc
		want    string // fmt.Sprint of the result, when no error
		wantErr error
		errText string // part of the error message
	}{
		{name: "A and AAAA", lookup: ipOf("www.mt.test"), want: "[192.0.2.10 2001:db8::10]"},
		{name: "A only", lookup: ipOf("v4only.mt.test"), want: "[192.0.2.11]"},
		{name: "AAAA only", lookup: ipOf("v6only.mt.test"), want: "[2001:db8::11]"},
		{name: "final dot and case ignored", lookup: ipOf("WWW.Mt.Test."), want: "[192.0.2.10 2001:db8::10]"},
		{name: "CNAME chain followed", lookup: ipOf("alias2.mt.test"), want: "[192.0.2.10 2001:db8::10]"},
		{name: "CNAME target in upper case", lookup: ipOf("upper.mt.test"), want: "[192.0.2.10 2001:db8::10]"},
		{name: "nine CNAMEs inside one answer", lookup: ipOf("c1.mt.test"), want: "[192.0.2.60]"},
		{name: "NXDOMAIN", lookup: ipOf("nope.mt.test"), wantErr: dns.ErrNotFound, errText: "lookup A nope.mt.test"},
		{name: "NODATA", lookup: ipOf("textonly.mt.test"), wantErr: dns.ErrNoData},
		{name: "empty non-terminal is NODATA", lookup: ipOf("ent.mt.test"), wantErr: dns.ErrNoData},
		// RFC 6604: the RCODE is about the last name of the chain.
		{name: "dangling CNAME", lookup: ipOf("dangling.mt.test"), wantErr: dns.ErrNotFound},
		{name: "CNAME loop", lookup: ipOf("loop1.mt.test"), wantErr: dns.ErrPermanent, errText: "CNAME loop"},
		{name: "invalid name not sent", lookup: ipOf("bad name.mt.test"), wantErr: dns.ErrPermanent},
		{name: "empty name", lookup: mxOf(""), wantErr: dns.ErrPermanent},
		{name: "label too long", lookup: txtOf(strings.Repeat("a", 64) + ".mt.test"), wantErr: dns.ErrPermanent},
		{name: "IDN sent as A-label", lookup: mxOf("bücher.mt.test"), wantErr: dns.ErrNotFound, errText: "xn--bcher-kva.mt.test"},

		{name: "MX in answer order", lookup: mxOf("mt.test"), want: "[{10 mx1.mt.test} {20 mx2.mt.test} {10 mx1b.mt.test}]"},
		{name: "MX through CNAME", lookup: mxOf("maildom.mt.test"), want: "[{10 mx1.mt.test} {20 mx2.mt.test} {10 mx1b.mt.test}]"},
		{name: "null MX", lookup: mxOf("nomail.mt.test"), want: "[{0 .}]"},
		{name: "no MX", lookup: mxOf("textonly.mt.test"), wantErr: dns.ErrNoData, errText: "lookup MX textonly.mt.test"},
		{name: "MX of missing domain", lookup: mxOf("nope.mt.test"), wantErr: dns.ErrNotFound},

		{name: "TXT strings joined", lookup: txtOf("mt.test"), want: "[v=spf1 ip4:192.0.2.0/24 -all]"},
		{name: "TXT one string per record", lookup: txtOf("multi.mt.test"), want: "[abc second record]"},
		{name: "TXT escapes undone", lookup: txtOf("quoted.mt.test"), want: `[say "hi" \ A]`},
		{name: "TXT none", lookup: txtOf("www.mt.test"), wantErr: dns.ErrNoData},

		{name: "CNAME one step", lookup: cnameOf("alias2.mt.test"), want: "alias.mt.test"},
		{name: "CNAME none", lookup: cnameOf("www.mt.test"), wantErr: dns.ErrNoData},
		{name: "CNAME of missing name", lookup: cnameOf("nope.mt.test"), wantErr: dns.ErrNotFound},

		{name: "PTR IPv4, two names", lookup: ptrOf("192.0.2.42"), want: "[www.mt.test multi42.mt.test]"},
		{name: "PTR IPv6 (ip6.arpa)", lookup: ptrOf("2001:db8::10"), want: "[www.mt.test]"},
		{name: "PTR IPv4-mapped IPv6", lookup: ptrOf("::ffff:192.0.2.25"), want: "[mx1.mt.test]"},
		{name: "PTR none", lookup: ptrOf("192.0.2.99"), wantErr: dns.ErrNotFound, errText: "99.2.0.192.in-addr.arpa"},
		{name: "PTR of invalid address", lookup: ptrOf(""), wantErr: dns.ErrPermanent},
	}
	for wname, r := range worlds(t) {
		for _, tt := range tests {
			t.Run(wname+"/"+tt.name, func(t *testing.T) {
				got, err := tt.lookup(ctxT(t), r)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("error = %v, want %v (result %v)", err, tt.wantErr, got)
					}
					if !strings.Contains(err.Error(), tt.errText) {
						t.Errorf("error %q does not contain %q", err, tt.errText)
					}
					return
				}
				if err != nil {
					t.Fatalf("error = %v", err)
				}
				if s := fmt.Sprint(got); s != tt.want {
					t.Errorf("got %s, want %s", s, tt.want)
				}
			})
		}
	}
}

// TestStatusOf checks the mapping of lookup errors to check statuses and
// route outcomes, including the errors real lookups produce.
func TestStatusOf(t *testing.T) {
	z := loadZone(t, testZone)
	ctx := ctxT(t)
	_, nx := z.LookupMX(ctx, "nope.mt.test")
	_, nodata := z.LookupMX(ctx, "textonly.mt.test")
	_, loop := z.LookupMX(ctx, "loop1.mt.test")
	_, off := dns.Offline{}.LookupMX(ctx, "mt.test")
	tests := []struct {
		err     error
		status  dns.Status
		outcome dns.Outcome
	}{
		{nil, dns.StatusPass, dns.OutcomeAnswer},
		{nx, dns.StatusNone, dns.OutcomeNXDomain},
		{nodata, dns.StatusNone, dns.OutcomeNoData},
		{loop, dns.StatusPermError, dns.OutcomePermError},
		{off, dns.StatusNotChecked, dns.OutcomeOffline},
		{fmt.Errorf("x: %w", dns.ErrTemporary), dns.StatusTempError, dns.OutcomeTempError},
		{context.DeadlineExceeded, dns.StatusTempError, dns.OutcomeTempError},
	}
	for _, tt := range tests {
		if got := dns.StatusOf(tt.err); got != tt.status {
			t.Errorf("StatusOf(%v) = %s, want %s", tt.err, got, tt.status)
		}
		if got := dns.OutcomeOf(tt.err); got != tt.outcome {
			t.Errorf("OutcomeOf(%v) = %s, want %s", tt.err, got, tt.outcome)
		}
	}
}

func TestOffline(t *testing.T) {
	ctx := ctxT(t)
	var r dns.Resolver = dns.Offline{}
	calls := map[string]lookupFunc{
		"ip": ipOf("www.mt.test"), "mx": mxOf("mt.test"), "txt": txtOf("mt.test"),
		"cname": cnameOf("alias.mt.test"), "ptr": ptrOf("192.0.2.10"),
	}
	for name, call := range calls {
		if _, err := call(ctx, r); !errors.Is(err, dns.ErrOffline) {
			t.Errorf("%s: error = %v, want ErrOffline", name, err)
		}
	}
}
