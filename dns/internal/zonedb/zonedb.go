// Package zonedb holds records read from RFC 1035 master files and answers
// questions about them the way an authoritative server would (RFC 1034
// §4.3.2 with the wildcards of RFC 4592 and the DNAMEs of RFC 6672, without
// delegations).
//
// It is shared by the dns package's Zone resolver and by the dnstest
// server, so that offline analysis and wire tests see the same world.
package zonedb

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	mdns "github.com/miekg/dns"
)

// MaxChain bounds how many CNAMEs one answer follows. Loops are cut as soon
// as a name repeats; the bound only stops very long honest chains.
const MaxChain = 16

// DefaultTTL is the TTL of records that give none when no $TTL came before.
const DefaultTTL = 3600

// DB is a set of records indexed by owner name. The zero value is not
// usable: call New. A DB is safe for concurrent reads once loading is done.
type DB struct {
	nodes  map[string]map[uint16][]mdns.RR // lower-case FQDN -> type -> RRset
	exists map[string]bool                 // owner names and their ancestors (empty non-terminals)
	soas   map[string]*mdns.SOA            // zone apex -> SOA
}

// New returns an empty DB.
func New() *DB {
	return &DB{
		nodes:  make(map[string]map[uint16][]mdns.RR),
		exists: make(map[string]bool),
		soas:   make(map[string]*mdns.SOA),
	}
}

// Load parses a master file and adds its records. origin may be empty
// (then "." is used, so relative names need a $ORIGIN). $INCLUDE is
// refused. Errors carry filename:line:column.
func (db *DB) Load(r io.Reader, origin, filename string) error {
	if origin == "" {
		origin = "."
	}
	zp := mdns.NewZoneParser(r, mdns.Fqdn(origin), filename)
	zp.SetDefaultTTL(DefaultTTL) // RFC 1035 lets the TTL be left out; $TTL overrides
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		db.Add(rr)
	}
	if err := zp.Err(); err != nil {
		return positioned(err, filename)
	}
	return nil
}

// miekg's ParseError has no accessors; its text ends in
// `"token" at line: L:C`. We rewrite it as the usual file:line:col prefix.
var parseErrRE = regexp.MustCompile(`^(?:.*?: )?dns: (.*) at line: (\d+):(\d+)$`)

func positioned(err error, filename string) error {
	var pe *mdns.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", filename, err)
	}
	m := parseErrRE.FindStringSubmatch(pe.Error())
	if m == nil {
		return err
	}
	if filename == "" {
		filename = "zone"
	}
	return fmt.Errorf("%s:%s:%s: %s", filename, m[2], m[3], m[1])
}

// Add inserts one record; exact duplicates are dropped (an RRset is a set,
// RFC 2181 §5).
func (db *DB) Add(rr mdns.RR) {
	h := rr.Header()
	if h.Class != mdns.ClassINET {
		return
	}
	name := strings.ToLower(mdns.Fqdn(h.Name))
	node := db.nodes[name]
	if node == nil {
		node = make(map[uint16][]mdns.RR)
		db.nodes[name] = node
	}
	for _, old := range node[h.Rrtype] {
		if mdns.IsDuplicate(old, rr) {
			return
		}
	}
	node[h.Rrtype] = append(node[h.Rrtype], rr)
	if soa, ok := rr.(*mdns.SOA); ok {
		db.soas[name] = soa
	}
	// mdns.Split knows about escaped dots inside labels.
	for _, off := range mdns.Split(name) {
		db.exists[name[off:]] = true
	}
}

// Answer answers one question: the response code, the answer section (the
// CNAME chain followed within the data, then the records of the type) and,
// for a negative answer, the authority section with the enclosing SOA whose
// TTL is min(SOA TTL, MINIMUM) as RFC 2308 §3 asks. A CNAME loop yields the
// looping chain and NOERROR; telling it apart is the client's job.
//
// A name that does not exist takes the records of the wildcard at its
// closest encloser, if there is one, with its own name as their owner
// (RFC 4592 §3.3.1): "*.example.com" answers for "a.example.com" and
// "b.a.example.com", but not for an existing name, an empty non-terminal
// or a name below either. A DNAME above a name redirects it (RFC 6672
// §3.1): the answer holds the DNAME and the CNAME it stands for, and goes
// on at the new name.
func (db *DB) Answer(qname string, qtype uint16) (rcode int, answer, authority []mdns.RR) {
	name := strings.ToLower(mdns.Fqdn(qname))
	seen := map[string]bool{name: true}
	for range MaxChain {
		if dname, ok := db.dnameAbove(name); ok {
			cname, ok := synthesize(name, dname)
			answer = append(answer, dname)
			if !ok {
				return mdns.RcodeYXDomain, answer, nil // the new name is too long (RFC 6672 §2.2)
			}
			answer = append(answer, cname)
			if qtype == mdns.TypeCNAME {
				return mdns.RcodeSuccess, answer, nil
			}
			name = cname.Target
			if seen[name] {
				return mdns.RcodeSuccess, answer, nil
			}
			seen[name] = true
			continue
		}
		node, _ := db.node(name)
		if rrs := node[qtype]; len(rrs) > 0 {
			return mdns.RcodeSuccess, append(answer, ownedBy(rrs, name)...), nil
		}
		cnames := node[mdns.TypeCNAME]
		if qtype == mdns.TypeCNAME || len(cnames) == 0 {
			break
		}
		answer = append(answer, ownedBy(cnames[:1], name)...)
		name = strings.ToLower(mdns.Fqdn(cnames[0].(*mdns.CNAME).Target))
		if seen[name] {
			return mdns.RcodeSuccess, answer, nil
		}
		seen[name] = true
	}
	rcode = mdns.RcodeSuccess
	if _, found := db.node(name); !found {
		rcode = mdns.RcodeNameError // RFC 6604: the code is about the last name of the chain
	}
	if soa := db.enclosingSOA(name); soa != nil {
		authority = []mdns.RR{soa}
	}
	return rcode, answer, authority
}

// node returns the records of name, and whether it exists: its own when
// it does (an empty non-terminal has none), else those of the wildcard at
// its closest encloser, the longest of its ancestors that exists
// (RFC 4592 §3.3.1).
func (db *DB) node(name string) (map[uint16][]mdns.RR, bool) {
	if db.exists[name] {
		return db.nodes[name], true
	}
	encloser := "."
	if offs := mdns.Split(name); len(offs) > 1 {
		for _, off := range offs[1:] {
			if db.exists[name[off:]] {
				encloser = name[off:]
				break
			}
		}
	}
	source := "*." + encloser
	if encloser == "." {
		source = "*."
	}
	wild, ok := db.nodes[source]
	return wild, ok
}

// dnameAbove returns the DNAME of the nearest proper ancestor of name
// that has one.
func (db *DB) dnameAbove(name string) (*mdns.DNAME, bool) {
	offs := mdns.Split(name)
	if len(offs) < 2 {
		return nil, false
	}
	for _, off := range offs[1:] {
		if rrs := db.nodes[name[off:]][mdns.TypeDNAME]; len(rrs) > 0 {
			return rrs[0].(*mdns.DNAME), true
		}
	}
	return nil, false
}

// synthesize is the CNAME a DNAME stands for at name, which is below the
// DNAME's owner: the owner replaced by the target (RFC 6672 §2.2); false
// when the result is not a domain name (too long).
func synthesize(name string, dname *mdns.DNAME) (*mdns.CNAME, bool) {
	owner := strings.ToLower(mdns.Fqdn(dname.Hdr.Name))
	target := name[:len(name)-len(owner)] // the labels below the owner, with their final dot
	if dname.Target != "." && dname.Target != "" {
		target += strings.ToLower(mdns.Fqdn(dname.Target))
	}
	if _, ok := mdns.IsDomainName(target); !ok || len(target) > 255 {
		return nil, false
	}
	return &mdns.CNAME{Hdr: mdns.RR_Header{Name: name, Rrtype: mdns.TypeCNAME, Class: mdns.ClassINET, Ttl: dname.Hdr.Ttl}, Target: target}, true
}

// ownedBy returns rrs with name as their owner: a wildcard's records are
// copied under the name asked (RFC 4592 §3.3.1); other records are
// returned as they are.
func ownedBy(rrs []mdns.RR, name string) []mdns.RR {
	if len(rrs) == 0 || strings.EqualFold(rrs[0].Header().Name, name) {
		return rrs
	}
	out := make([]mdns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = mdns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

func (db *DB) enclosingSOA(name string) mdns.RR {
	for _, off := range mdns.Split(name) {
		soa := db.soas[name[off:]]
		if soa == nil {
			continue
		}
		neg := mdns.Copy(soa).(*mdns.SOA)
		neg.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
		return neg
	}
	return nil
}

// Authoritative reports whether a SOA in the data encloses name, that is
// whether "no data here" is the final word about it.
func (db *DB) Authoritative(name string) bool {
	name = strings.ToLower(mdns.Fqdn(name))
	for _, off := range mdns.Split(name) {
		if db.soas[name[off:]] != nil {
			return true
		}
	}
	return false
}
