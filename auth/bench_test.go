package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns/dnstest"
	"github.com/mailtrace/mailtrace/internal/cputime"
)

// BenchmarkCheck verifies a message with two DKIM signatures (RSA 2048 and
// Ed25519) plus SPF and DMARC, with every DNS answer already in the cache
// that a run shares between messages (the first message filled it from a
// loopback server). The target is 5,000 messages/s.
func BenchmarkCheck(b *testing.B) {
	rk, _, ek := testKeys(b)
	text := txtRR("sel._domainkey.example.com", keyRecord(b, rk)) + txtRR("ed._domainkey.example.com", keyRecord(b, ek)) +
		txtRR("example.com", "v=spf1 ip4:192.0.2.0/24 -all") + txtRR("_dmarc.example.com", "v=DMARC1; p=reject")
	r := network(b, dnstest.NewServer(b, dnstest.WithZone(text)), time.Second)
	msg := sign(b, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	msg = sign(b, msg, signOpts{domain: "example.com", selector: "ed", signer: ek})
	for _, tt := range []struct {
		name string
		in   Input
	}{
		{"dkim+spf+dmarc", Input{Message: []byte(msg), IP: testIP, MailFrom: "bounce@example.com", HELO: "mx.example.com"}},
		{"dkim+dmarc", Input{Message: []byte(msg)}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			v := New(Options{Resolver: r})
			ctx := context.Background()
			if res := v.Check(ctx, tt.in); res.DKIM[0].Result != StatusPass || res.DKIM[1].Result != StatusPass || res.DMARC.Result != StatusPass {
				b.Fatalf("not a passing message: %+v", res)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Used()
			for b.Loop() {
				v.Check(ctx, tt.in)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			// CPU time per message says what a busy machine hides: the
			// throughput of an idle one is about NumCPU / cpu-µs.
			b.ReportMetric(float64((cputime.Used()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
		// A run analyses one message per CPU at a time (analyze.Batch).
		b.Run(tt.name+"/parallel", func(b *testing.B) {
			v := New(Options{Resolver: r})
			b.ReportAllocs()
			cpu := cputime.Used()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v.Check(context.Background(), tt.in)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64((cputime.Used()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// BenchmarkCheckOffline checks every corpus message without DNS. "full"
// is the full path: Check splits the header, reads every signature and
// hashes the signed bodies. "header-only" is what the authentication
// rules cost on the header-only path: the header comes split
// (Input.Header, as package analyze hands it over) and no body is hashed
// (Options.HeaderOnly).
func BenchmarkCheckOffline(b *testing.B) {
	type msg struct {
		raw      []byte
		hdr      []Field
		body     []byte
		read     []Field // the fields of hdr that ReadsOffline accepts
		mailFrom string  // the Return-Path, where analyze takes the envelope sender from
	}
	var msgs []msg
	for _, f := range corpusFiles(b) {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		hdr, body := refHeader(raw)
		var read []Field
		for _, f := range hdr {
			if ReadsOffline(f.Name) {
				read = append(read, f)
			}
		}
		if hdr != nil && read == nil {
			read = []Field{}
		}
		msgs = append(msgs, msg{raw, hdr, body, read, returnPath(hdr)})
	}
	run := func(b *testing.B, headerOnly, envelope bool) {
		v := New(Options{HeaderOnly: headerOnly})
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cputime.Used()
		i := 0
		for b.Loop() {
			m := msgs[i%len(msgs)]
			in := Input{Message: m.raw}
			if headerOnly {
				in.Header, in.Body = m.hdr, m.body
			}
			if envelope {
				in.Header = m.read
				in.IP, in.HELO, in.MailFrom, in.Hop = benchIP, "mail.example.net", m.mailFrom, 1
			}
			v.Check(ctx, in)
			i++
		}
		b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/1e3/float64(b.N), "cpu-µs/msg")
	}
	b.Run("full", func(b *testing.B) { run(b, false, false) })
	b.Run("header-only", func(b *testing.B) { run(b, true, false) })
	// What package analyze hands over: only the fields a check without
	// DNS reads, and the client of the hop that entered the receiving
	// side, its HELO name and the envelope sender, so that SPF's offline
	// path (identity, alignment) is run too.
	b.Run("header-only+envelope", func(b *testing.B) { run(b, true, true) })
}

// benchIP is a public client address for the SPF identity.
var benchIP = netip.MustParseAddr("198.51.100.23")

// returnPath is the address of the first Return-Path field, or "".
func returnPath(hdr []Field) string {
	for _, f := range hdr {
		if strings.EqualFold(f.Name, "Return-Path") {
			return strings.TrimSpace(f.Value)
		}
	}
	return ""
}

// BenchmarkCanonBody hashes the bodies of the corpus's signed messages in
// each canonicalization, beside the bare SHA-256 of the same bytes: the
// difference is what canonicalizing costs per line.
func BenchmarkCanonBody(b *testing.B) {
	var bodies [][]byte
	lines := 0
	for _, f := range corpusFiles(b) {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if m := splitMessage(raw); len(m.appendAll(nil, kindDKIM)) > 0 {
			bodies = append(bodies, m.body)
			lines += bytes.Count(m.body, []byte("\n"))
		}
	}
	run := func(b *testing.B, hashBody func(h hash.Hash, body []byte)) {
		h := sha256.New()
		cpu := cputime.Used()
		for b.Loop() {
			for _, body := range bodies {
				h.Reset()
				hashBody(h, body)
			}
		}
		b.ReportMetric(float64((cputime.Used()-cpu).Nanoseconds())/float64(b.N*lines), "cpu-ns/line")
	}
	for _, alg := range []string{canonRelaxed, canonSimple} {
		b.Run(alg, func(b *testing.B) {
			run(b, func(h hash.Hash, body []byte) { canonBody(h, body, alg, -1) })
		})
	}
	b.Run("sha256-only", func(b *testing.B) {
		run(b, func(h hash.Hash, body []byte) { h.Write(body) })
	})
}
