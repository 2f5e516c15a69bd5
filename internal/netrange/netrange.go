// Package netrange classifies addresses by the networks they belong to,
// for the packages that judge a client by its address (analyze's hop
// facts, smtpd's HELO checks).
package netrange

import "net/netip"

// sharedSpace is the carrier-grade NAT range (RFC 6598).
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// BehindNAT reports an address of a network behind a NAT: private (RFC
// 1918, fc00::/7), shared (RFC 6598) or link-local. Such an address is a
// host's own view of itself, not what a server on the internet sees. a is
// taken as it is: unmap a v4-mapped address first.
func BehindNAT(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLinkLocalUnicast() || sharedSpace.Contains(a)
}
