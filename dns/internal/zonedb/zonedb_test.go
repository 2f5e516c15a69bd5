package zonedb

import (
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

const text = `$ORIGIN z.test.
$TTL 300
@     SOA  ns host 1 3600 600 86400 900   ; MINIMUM above the TTL: negative TTL is 300
a.b   A    192.0.2.1
c1    CNAME c2
c2    CNAME a.b
l1    CNAME l2
l2    CNAME l1
out   CNAME elsewhere.test.
`

func load(t *testing.T) *DB {
	t.Helper()
	db := New()
	if err := db.Load(strings.NewReader(text), "", "z"); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestAnswer(t *testing.T) {
	db := load(t)
	tests := []struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
		soa     bool
	}{
		{"a.b.z.test.", mdns.TypeA, mdns.RcodeSuccess, 1, false},
		{"A.B.Z.TEST", mdns.TypeA, mdns.RcodeSuccess, 1, false},
		{"b.z.test.", mdns.TypeA, mdns.RcodeSuccess, 0, true}, // empty non-terminal: NODATA
		{"x.z.test.", mdns.TypeA, mdns.RcodeNameError, 0, true},
		{"c1.z.test.", mdns.TypeA, mdns.RcodeSuccess, 3, false}, // two CNAMEs then the A
		{"c1.z.test.", mdns.TypeCNAME, mdns.RcodeSuccess, 1, false},
		{"c1.z.test.", mdns.TypeMX, mdns.RcodeSuccess, 2, true},    // chain, then NODATA
		{"l1.z.test.", mdns.TypeA, mdns.RcodeSuccess, 2, false},    // loop: the chain, once
		{"out.z.test.", mdns.TypeA, mdns.RcodeNameError, 1, false}, // RFC 6604: about elsewhere.test
		{"other.test.", mdns.TypeA, mdns.RcodeNameError, 0, false},
	}
	for _, tt := range tests {
		rcode, ans, ns := db.Answer(tt.name, tt.qtype)
		if rcode != tt.rcode || len(ans) != tt.answers || (len(ns) == 1) != tt.soa {
			t.Errorf("%s %s: rcode %d, %d answers, authority %v", tt.name, mdns.TypeToString[tt.qtype], rcode, len(ans), ns)
		}
		if len(ns) == 1 && ns[0].Header().Ttl != 300 {
			t.Errorf("%s: negative TTL %d, want min(TTL, MINIMUM) = 300", tt.name, ns[0].Header().Ttl)
		}
	}
	if !db.Authoritative("x.z.test") || db.Authoritative("other.test") {
		t.Error("Authoritative wrong")
	}
}

func TestLoadErrors(t *testing.T) {
	err := New().Load(strings.NewReader("$ORIGIN z.test.\n\nx A 1.2.3\n"), "", "f.zone")
	if err == nil || !strings.HasPrefix(err.Error(), "f.zone:3:") {
		t.Errorf("error = %v, want it at f.zone:3", err)
	}
}
