package smtpd

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// benchBody is a 4 KiB message, as `smtp-source -l 4096` sends it.
var benchBody = "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 4096/80) + ".\r\n"

// discardBackend accepts everything and stores nothing; like capture, it asks for the record and the
// Received header of every message, so that their cost is counted.
type discardBackend struct{ c *Conn }

func (discardBackend) NewSession(c *Conn) (Session, error) { return &discardBackend{c: c}, nil }
func (*discardBackend) Mail(*Envelope) error               { return nil }
func (*discardBackend) Rcpt(*Envelope, Recipient) error    { return nil }
func (d *discardBackend) Data(env *Envelope) (MessageWriter, error) {
	_ = d.c.ReceivedHeader(env, env.Start)
	return &discardWriter{d: d, env: env}, nil
}
func (*discardBackend) Reset() {}
func (*discardBackend) Close() {}

type discardWriter struct {
	d   *discardBackend
	env *Envelope
}

func (*discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (*discardWriter) Commit() error               { return nil }
func (*discardWriter) Abort()                      {}
func (w *discardWriter) Acknowledged() {
	_ = w.d.c.Record()
	_ = w.env.Clone()
}

// BenchmarkSessionPerMessage runs what smtp-source -l 4096 does for every message: connect, EHLO,
// MAIL, RCPT, DATA, 4 KiB, QUIT, each command waiting for its reply. allocs/op and B/op are the
// server's and the client's together; the client's part stays the same between versions.
func BenchmarkSessionPerMessage(b *testing.B) {
	srv, err := NewServer(Options{Hostname: "mx.test", DisableSTARTTLS: true, MaxConns: 1000}, discardBackend{})
	if err != nil {
		b.Fatal(err)
	}
	l, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(b.Context())
	addr := l.Addr().String()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(nc)
		expect := func(cmd, want string) {
			if cmd != "" {
				buf = append(append(buf[:0], cmd...), "\r\n"...)
				if _, err := nc.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					b.Fatalf("after %q: %v", cmd, err)
				}
				if len(line) > 3 && line[3] == '-' {
					continue
				}
				if !strings.HasPrefix(string(line), want) {
					b.Fatalf("after %q: %q", cmd, line)
				}
				return
			}
		}
		expect("", "220 ")
		expect("EHLO client.example", "250 ")
		expect("MAIL FROM:<bench@client.example>", "250 ")
		expect("RCPT TO:<sink@mx.test>", "250 ")
		expect("DATA", "354 ")
		nc.Write([]byte(benchBody))
		expect("", "250 ")
		expect("QUIT", "221 ")
		nc.Close()
	}
}
