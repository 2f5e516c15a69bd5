package dns

import (
	"context"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// FuzzInterpret feeds arbitrary responses, as a hostile server could send,
// to the code that reads answers: it must not panic or loop.
func FuzzInterpret(f *testing.F) {
	seed := func(rrs ...string) {
		m := new(mdns.Msg)
		m.SetQuestion("a.test.", mdns.TypeA)
		m.Response = true
		for _, s := range rrs {
			rr, err := mdns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(mdns.TypeA))
	}
	seed("a.test. 60 IN A 192.0.2.1")
	seed("a.test. 60 IN CNAME b.test.", "b.test. 60 IN CNAME a.test.")
	seed("a.test. 60 IN CNAME b.test.", "b.test. 30 IN A 192.0.2.2", "b.test. 30 IN AAAA 2001:db8::1")
	seed(`a.test. 60 IN TXT "v=spf1" " -all\"x"`)
	seed("a.test. 60 IN MX 0 .")
	f.Fuzz(func(t *testing.T, wire []byte, qtype uint16) {
		var m mdns.Msg
		if m.Unpack(wire) != nil {
			return
		}
		_, _ = interpret(question{qtype: qtype, name: "a.test"}, m.Rcode, m.Answer, m.Ns)
	})
}

// FuzzCanonName: names come from messages.
func FuzzCanonName(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example.", "bücher\u3002test\uff0e", "_dmarc.x", "a..b", "\xff\xfe", strings.Repeat("a.", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := canonName(s)
		if err != nil {
			return
		}
		if len(name) > 253 || strings.HasSuffix(name, ".") || name != strings.ToLower(name) {
			t.Fatalf("canonName(%q) = %q", s, name)
		}
		if again, err := canonName(name); err != nil || again != name {
			t.Fatalf("canonName not idempotent on %q: %q, %v", name, again, err)
		}
	})
}

// FuzzZone: zone files are the user's, but a typo must give an error, not
// a panic, and whatever loads must answer.
func FuzzZone(f *testing.F) {
	f.Add("$ORIGIN z.test.\n@ MX 0 .\nx CNAME x\n")
	f.Add("$TTL 60\na.test. TXT \"a\" \"b\"\nb.test. CNAME a.test.\n")
	f.Add("*.z.test. MX 10 x\n*.x.z.test. CNAME a.y.z.test.\n*. A 192.0.2.1\n")
	f.Add("x.z.test. DNAME z.test.\nz.test. DNAME x.z.test.\na.test. DNAME .\n")
	f.Fuzz(func(t *testing.T, text string) {
		z, err := ParseZone(strings.NewReader(text), "z.test", "fuzz")
		if err != nil {
			return
		}
		ctx := context.Background()
		for _, name := range []string{"z.test", "x.z.test", "a.test", "b.test", "w.x.z.test", "*.z.test", "."} {
			_, _ = z.LookupIP(ctx, name)
			_, _ = z.LookupMX(ctx, name)
			_, _ = z.LookupTXT(ctx, name)
			_ = Route(ctx, z, name)
		}
	})
}
