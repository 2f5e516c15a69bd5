package dns

import (
	"context"
	"fmt"
	"net/netip"
)

// Offline is the resolver of a run told not to use DNS: every lookup
// fails with ErrOffline, which checks report as "not-checked".
type Offline struct{}

var _ Resolver = Offline{}

// LookupPTR returns ErrOffline.
func (Offline) LookupPTR(_ context.Context, ip netip.Addr) ([]string, error) {
	return nil, fmt.Errorf("lookup PTR %s: %w", ip, ErrOffline)
}

// LookupIP returns ErrOffline.
func (Offline) LookupIP(_ context.Context, host string) ([]netip.Addr, error) {
	return nil, fmt.Errorf("lookup A/AAAA %q: %w", host, ErrOffline)
}

// LookupMX returns ErrOffline.
func (Offline) LookupMX(_ context.Context, domain string) ([]MX, error) {
	return nil, fmt.Errorf("lookup MX %q: %w", domain, ErrOffline)
}

// LookupTXT returns ErrOffline.
func (Offline) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, fmt.Errorf("lookup TXT %q: %w", name, ErrOffline)
}

// LookupCNAME returns ErrOffline.
func (Offline) LookupCNAME(_ context.Context, name string) (string, error) {
	return "", fmt.Errorf("lookup CNAME %q: %w", name, ErrOffline)
}
