package dns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	mdns "github.com/miekg/dns"

	"github.com/mailtrace/mailtrace/dns/internal/zonedb"
)

// Zone answers from RFC 1035 master files, as if it were the authoritative
// server of every name in them: a name with no record at all (nor below
// it, nor a wildcard for it) is ErrNotFound, a name with records but none
// of the type ErrNoData. Wildcards (RFC 4592), DNAMEs (RFC 6672) and
// CNAMEs are followed inside the data, TXT character-strings are joined.
// It never touches the network, so an analysis run on it is reproducible.
// A Zone is safe for concurrent use.
type Zone struct {
	front
	db *zonedb.DB
}

// LoadZones reads master files. Names in them should be absolute or follow
// a $ORIGIN; $INCLUDE is refused. Errors say file:line:column.
func LoadZones(paths ...string) (*Zone, error) {
	z := newZone()
	for _, p := range paths {
		if err := z.loadFile(p); err != nil {
			return nil, err
		}
	}
	return z, nil
}

// ParseZone reads one master file from r; origin is the initial $ORIGIN
// ("" for the root) and filename is used in error messages.
func ParseZone(r io.Reader, origin, filename string) (*Zone, error) {
	z := newZone()
	if err := z.db.Load(r, origin, filename); err != nil {
		return nil, fmt.Errorf("dns: %w", err)
	}
	return z, nil
}

func newZone() *Zone {
	z := &Zone{db: zonedb.New()}
	z.front = front{z}
	return z
}

func (z *Zone) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	defer f.Close()
	if err := z.db.Load(f, "", path); err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	return nil
}

func (z *Zone) lookup(ctx context.Context, q question) (answer, error) {
	a, _, err := z.lookupFinal(ctx, q)
	return a, err
}

// lookupFinal is lookup that also reports whether a negative answer is
// the final word: whether a SOA of the files encloses the name the answer
// is about, the last of the CNAME chain (the data puts that SOA in the
// authority section, RFC 2308 §3).
func (z *Zone) lookupFinal(ctx context.Context, q question) (answer, bool, error) {
	if err := ctx.Err(); err != nil {
		return answer{}, false, fmt.Errorf("lookup %s: %w: %w", q, ErrTemporary, err)
	}
	rcode, ans, ns := z.db.Answer(q.name, q.qtype)
	a, err := interpret(q, rcode, ans, ns)
	if err != nil {
		return a, len(ns) > 0, fmt.Errorf("lookup %s: %w", q, err)
	}
	return a, len(ns) > 0, nil
}

// chainEnd is the last name of the CNAME chain the files hold from q's name
// (q's name itself when they hold none), as far as they answer q.
func (z *Zone) chainEnd(q question) string {
	_, ans, _ := z.db.Answer(q.name, q.qtype)
	name := q.name
	for range len(ans) {
		next := ""
		for _, rr := range ans {
			if c, ok := rr.(*mdns.CNAME); ok && canonTarget(c.Hdr.Name) == name {
				next = canonTarget(c.Target)
				break
			}
		}
		if next == "" || next == name {
			break
		}
		name = next
	}
	return name
}

// closedWorld is the resolver of a run whose only DNS is zone files. The
// files are the whole world only where they say so: a negative answer
// about a name under one of their SOAs is final (NXDOMAIN, NODATA), one
// about a name no SOA of theirs encloses is unknown, ErrTemporary, for
// nobody was asked (the files are not authoritative for it).
type closedWorld struct {
	front
	zone *Zone
}

func newClosedWorld(z *Zone) *closedWorld {
	c := &closedWorld{zone: z}
	c.front = front{c}
	return c
}

func (c *closedWorld) lookup(ctx context.Context, q question) (answer, error) {
	a, final, err := c.zone.lookupFinal(ctx, q)
	if !final && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoData)) {
		return answer{}, fmt.Errorf("lookup %s: %w: no zone file is authoritative for it", q, ErrTemporary)
	}
	return a, err
}
