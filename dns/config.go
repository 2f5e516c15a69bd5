package dns

import (
	"context"
	"errors"
	"time"
)

// Config is what the command line says about DNS.
type Config struct {
	Offline   bool          // no DNS at all: every check is not-checked
	Servers   []string      // recursive servers; empty: /etc/resolv.conf
	ZoneFiles []string      // RFC 1035 master files answering first
	Timeout   time.Duration // per try; 0: the Network default
}

// New builds the resolver of a run, always wrapped in a Cache (so StatsOf
// works on it):
//   - Offline: Offline.
//   - zone files and no servers: the files alone, so the run is
//     reproducible without network. Under a SOA of the files a missing
//     name is NXDOMAIN; a name no SOA of theirs encloses is ErrTemporary
//     (unknown, never evidence), see closedWorld.
//   - zone files and servers: the files first, the network for the names
//     the files know nothing about (not in them, no SOA of theirs above).
//   - otherwise: the network.
func New(cfg Config) (Resolver, error) {
	if cfg.Offline {
		return NewCache(Offline{}, CacheOptions{}), nil
	}
	var zone *Zone
	if len(cfg.ZoneFiles) > 0 {
		z, err := LoadZones(cfg.ZoneFiles...)
		if err != nil {
			return nil, err
		}
		if len(cfg.Servers) == 0 {
			return NewCache(newClosedWorld(z), CacheOptions{}), nil
		}
		zone = z
	}
	n, err := NewNetwork(Options{Servers: cfg.Servers, Timeout: cfg.Timeout})
	if err != nil {
		return nil, err
	}
	if zone == nil {
		return NewCache(n, CacheOptions{}), nil
	}
	return NewCache(newOverlay(zone, n), CacheOptions{}), nil
}

// overlay answers from a Zone and falls back to another resolver for names
// the zone is not authoritative for.
type overlay struct {
	front
	zone *Zone
	next looker
}

func newOverlay(z *Zone, next looker) *overlay {
	o := &overlay{zone: z, next: next}
	o.front = front{o}
	return o
}

// lookup asks the zone first. A negative answer that is not the files' to
// give, because no SOA of theirs encloses the name it is about, goes to the
// next resolver: about the question's name, or, when the files lead from it
// through CNAMEs to a name outside them, about that last name (a zone's
// alias of a host elsewhere).
func (o *overlay) lookup(ctx context.Context, q question) (answer, error) {
	a, final, err := o.zone.lookupFinal(ctx, q)
	if final || !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNoData) {
		return a, err
	}
	return o.next.lookup(ctx, question{name: o.zone.chainEnd(q), qtype: q.qtype})
}
