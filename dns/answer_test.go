package dns

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

// TestMergeFamilies: addresses win over the other family's failure, as with
// net.LookupIP; without addresses the most telling error is reported.
func TestMergeFamilies(t *testing.T) {
	addr := answer{addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	temp := fmt.Errorf("lookup AAAA x: %w", ErrTemporary)
	nx := fmt.Errorf("lookup A x: %w", ErrNotFound)
	nodata := fmt.Errorf("lookup AAAA x: %w", ErrNoData)
	perm := fmt.Errorf("lookup A x: %w", ErrPermanent)
	tests := []struct {
		name   string
		v4, v6 familyResult
		addrs  int
		want   error
	}{
		{"v4 only", familyResult{a: addr}, familyResult{err: nodata}, 1, nil},
		{"v6 failed", familyResult{a: addr}, familyResult{err: temp}, 1, nil},
		{"temporary wins", familyResult{err: nx}, familyResult{err: temp}, 0, ErrTemporary},
		{"permanent over nodata", familyResult{err: perm}, familyResult{err: nodata}, 0, ErrPermanent},
		{"nodata over nxdomain", familyResult{err: nx}, familyResult{err: nodata}, 0, ErrNoData},
		{"both nxdomain", familyResult{err: nx}, familyResult{err: nx}, 0, ErrNotFound},
		{"nothing at all", familyResult{}, familyResult{}, 0, ErrNoData},
	}
	for _, tt := range tests {
		addrs, err := mergeFamilies(tt.v4, tt.v6)
		if len(addrs) != tt.addrs || !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: %v, %v", tt.name, addrs, err)
		}
	}
}

func TestRouteStatusDescribe(t *testing.T) {
	for _, s := range []RouteStatus{RouteMX, RouteImplicitMX, RouteNullMX, RouteNoDomain, RouteNoRoute,
		RouteNoUsableMX, RouteAddressLiteral, RouteTempError, RoutePermError, RouteNotChecked} {
		if d := s.Describe(); d == "" || d == string(s) {
			t.Errorf("%s has no description", s)
		}
	}
	if RouteNullMX.Describe() != "accepts no mail (null MX)" {
		t.Errorf("null MX: %q", RouteNullMX.Describe())
	}
}

// TestHostsStatus: MX hosts none of which has an address make no route
// (RFC 5321 §5.1); one with an address, or one that failed only for now,
// leaves it open.
func TestHostsStatus(t *testing.T) {
	nx := RouteHost{Host: "missing.example", Outcome: OutcomeNXDomain}
	ok := RouteHost{Host: "mx.example", Outcome: OutcomeAnswer}
	temp := RouteHost{Host: "slow.example", Outcome: OutcomeTempError}
	broken := RouteHost{Host: "loop.example", Outcome: OutcomePermError}
	for _, tc := range []struct {
		hosts []RouteHost
		want  RouteStatus
	}{
		{[]RouteHost{nx}, RouteNoUsableMX},
		{[]RouteHost{nx, broken}, RouteNoUsableMX},
		{[]RouteHost{nx, ok}, RouteMX},
		{[]RouteHost{broken, temp}, RouteTempError},
		{[]RouteHost{temp, ok}, RouteMX},
	} {
		if got := hostsStatus(tc.hosts); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.hosts, got, tc.want)
		}
	}
}
