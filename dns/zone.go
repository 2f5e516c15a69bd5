package dns

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mailtrace/mailtrace/dns/internal/zonedb"
)

// Zone answers from RFC 1035 master files, as if it were the authoritative
// server of every name in them: a name with no record at all (nor below
// it) is ErrNotFound, a name with records but none of the type ErrNoData.
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
	if err := ctx.Err(); err != nil {
		return answer{}, fmt.Errorf("lookup %s: %w: %w", q, ErrTemporary, err)
	}
	rcode, ans, ns := z.db.Answer(q.name, q.qtype)
	a, err := interpret(q, rcode, ans, ns)
	if err != nil {
		return a, fmt.Errorf("lookup %s: %w", q, err)
	}
	return a, nil
}

// authoritative reports whether the files hold a SOA enclosing name, so
// that their silence about it is final.
func (z *Zone) authoritative(name string) bool { return z.db.Authoritative(name) }
