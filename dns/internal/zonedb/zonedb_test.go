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

// wildText has the wildcards of RFC 4592 §2.2.1's example, shortened.
const wildText = `$ORIGIN w.test.
$TTL 300
@          SOA   ns host 1 3600 600 86400 300
*          TXT   "the wildcard"
*          MX    10 host1.w.test.
host1      A     192.0.2.1
sub.*      TXT   "under the wildcard"
_ssh._tcp.host1  SRV 0 0 22 host1
*.cn       CNAME host1
`

func TestAnswerWildcard(t *testing.T) {
	db := New()
	if err := db.Load(strings.NewReader(wildText), "", "w"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  string // the answer's records, owner first; "" for none
	}{
		{"a.w.test.", mdns.TypeTXT, mdns.RcodeSuccess, `a.w.test. TXT "the wildcard"`},
		{"b.a.w.test.", mdns.TypeMX, mdns.RcodeSuccess, "b.a.w.test. MX 10 host1.w.test."},
		{"A.W.TEST.", mdns.TypeTXT, mdns.RcodeSuccess, `a.w.test. TXT "the wildcard"`},
		{"a.w.test.", mdns.TypeA, mdns.RcodeSuccess, ""},               // the wildcard has no A: NODATA
		{"host1.w.test.", mdns.TypeMX, mdns.RcodeSuccess, ""},          // an existing name takes no wildcard
		{"_tcp.host1.w.test.", mdns.TypeA, mdns.RcodeSuccess, ""},      // an empty non-terminal exists
		{"host1.host1.w.test.", mdns.TypeTXT, mdns.RcodeNameError, ""}, // the closest encloser, host1, has no wildcard
		{"_foo._tcp.host1.w.test.", mdns.TypeTXT, mdns.RcodeNameError, ""},
		{"*.w.test.", mdns.TypeTXT, mdns.RcodeSuccess, `*.w.test. TXT "the wildcard"`},
		{"sub.*.w.test.", mdns.TypeTXT, mdns.RcodeSuccess, `sub.*.w.test. TXT "under the wildcard"`},
		{"x.cn.w.test.", mdns.TypeA, mdns.RcodeSuccess, "x.cn.w.test. CNAME host1.w.test. | host1.w.test. A 192.0.2.1"},
		{"x.other.test.", mdns.TypeTXT, mdns.RcodeNameError, ""},
	}
	for _, tt := range tests {
		rcode, ans, ns := db.Answer(tt.name, tt.qtype)
		if got := answerText(ans); rcode != tt.rcode || got != tt.want {
			t.Errorf("%s %s: rcode %d, answer %q; want rcode %d, %q", tt.name, mdns.TypeToString[tt.qtype], rcode, got, tt.rcode, tt.want)
		}
		if len(ans) == 0 && tt.name != "x.other.test." && len(ns) != 1 {
			t.Errorf("%s %s: negative answer without the SOA: %v", tt.name, mdns.TypeToString[tt.qtype], ns)
		}
	}
	// The wildcard's own records keep their owner.
	_, ans, _ := db.Answer("a.w.test.", mdns.TypeTXT)
	if len(ans) != 1 {
		t.Fatalf("a.w.test. TXT: %d answers, want 1", len(ans))
	}
	if db.nodes["*.w.test."][mdns.TypeTXT][0].Header().Name != "*.w.test." || ans[0].Header().Name != "a.w.test." {
		t.Error("synthesising an answer changed the wildcard's own record")
	}
}

func TestAnswerDNAME(t *testing.T) {
	text := `$ORIGIN d.test.
$TTL 300
@         SOA    ns host 1 3600 600 86400 300
old       DNAME  new.d.test.
old       A      192.0.2.9
a.new     A      192.0.2.1
loop      DNAME  loop2.d.test.
loop2     DNAME  loop.d.test.
long      DNAME  ` + strings.Repeat("a123456789.", 22) + `
`
	db := New()
	if err := db.Load(strings.NewReader(text), "", "d"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  string
	}{
		{"a.old.d.test.", mdns.TypeA, mdns.RcodeSuccess, "old.d.test. DNAME new.d.test. | a.old.d.test. CNAME a.new.d.test. | a.new.d.test. A 192.0.2.1"},
		{"a.old.d.test.", mdns.TypeCNAME, mdns.RcodeSuccess, "old.d.test. DNAME new.d.test. | a.old.d.test. CNAME a.new.d.test."},
		{"b.old.d.test.", mdns.TypeA, mdns.RcodeNameError, "old.d.test. DNAME new.d.test. | b.old.d.test. CNAME b.new.d.test."},
		{"old.d.test.", mdns.TypeA, mdns.RcodeSuccess, "old.d.test. A 192.0.2.9"}, // the owner itself is not redirected
		{"old.d.test.", mdns.TypeDNAME, mdns.RcodeSuccess, "old.d.test. DNAME new.d.test."},
		{"x.loop.d.test.", mdns.TypeA, mdns.RcodeSuccess, "loop.d.test. DNAME loop2.d.test. | x.loop.d.test. CNAME x.loop2.d.test. | loop2.d.test. DNAME loop.d.test. | x.loop2.d.test. CNAME x.loop.d.test."},
		{strings.Repeat("b123456789.", 3) + "long.d.test.", mdns.TypeA, mdns.RcodeYXDomain, "long.d.test. DNAME " + strings.Repeat("a123456789.", 22)},
	}
	for _, tt := range tests {
		rcode, ans, _ := db.Answer(tt.name, tt.qtype)
		if got := answerText(ans); rcode != tt.rcode || got != tt.want {
			t.Errorf("%s %s: rcode %d, answer %q; want rcode %d, %q", tt.name, mdns.TypeToString[tt.qtype], rcode, got, tt.rcode, tt.want)
		}
	}
}

// answerText writes an answer section as "owner TYPE data | ...".
func answerText(ans []mdns.RR) string {
	var out []string
	for _, rr := range ans {
		f := strings.Fields(rr.String()) // owner, TTL, class, type, data...
		out = append(out, f[0]+" "+strings.Join(f[3:], " "))
	}
	return strings.Join(out, " | ")
}

func TestAnswerRoot(t *testing.T) {
	rcode, ans, _ := New().Answer(".", mdns.TypeA)
	if rcode != mdns.RcodeNameError || len(ans) != 0 {
		t.Errorf("root in an empty DB: rcode %d, %d answers", rcode, len(ans))
	}
}

func TestLoadErrors(t *testing.T) {
	err := New().Load(strings.NewReader("$ORIGIN z.test.\n\nx A 1.2.3\n"), "", "f.zone")
	if err == nil || !strings.HasPrefix(err.Error(), "f.zone:3:") {
		t.Errorf("error = %v, want it at f.zone:3", err)
	}
}
