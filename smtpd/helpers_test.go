package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// recBackend is the test backend: it keeps messages in memory and hands over each finished session.
type recBackend struct {
	mu       sync.Mutex
	msgs     []recMsg
	sessions chan SessionRecord

	// Faults to inject.
	refuseSession error
	rejectRcpt    string // this address gets 550
	dataErr       error  // Data fails
	writeErr      error  // writes fail
	commitErr     error  // Commit fails
	aborted       int

	gate     chan struct{}                // NewSession waits for it to close, when set
	opened   chan struct{}                // NewSession sends on it, when set
	onCommit func(c *Conn, env *Envelope) // called in Commit, when set
}

type recMsg struct {
	env  *Envelope
	data []byte
	rec  SessionRecord
}

func newRecBackend() *recBackend { return &recBackend{sessions: make(chan SessionRecord, 64)} }

func (b *recBackend) NewSession(c *Conn) (Session, error) {
	if b.opened != nil {
		b.opened <- struct{}{}
	}
	if b.gate != nil {
		<-b.gate
	}
	if b.refuseSession != nil {
		return nil, b.refuseSession
	}
	return &recSession{b: b, c: c}, nil
}

func (b *recBackend) messages() []recMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]recMsg(nil), b.msgs...)
}

// nextSession waits for the next session to end.
func (b *recBackend) nextSession(t testing.TB) SessionRecord {
	t.Helper()
	select {
	case r := <-b.sessions:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
		return SessionRecord{}
	}
}

type recSession struct {
	b *recBackend
	c *Conn
}

func (s *recSession) Mail(*Envelope) error { return nil }
func (s *recSession) Rcpt(_ *Envelope, r Recipient) error {
	if r.Address == s.b.rejectRcpt {
		return NewError(CodeMailboxNotFound, "5.1.1", "Error: no such user")
	}
	return nil
}
func (s *recSession) Data(env *Envelope) (MessageWriter, error) {
	if s.b.dataErr != nil {
		return nil, s.b.dataErr
	}
	return &recWriter{s: s, env: env}, nil
}
func (s *recSession) Reset() {}
func (s *recSession) Close() {
	r := s.c.Record()
	r.End = time.Now()
	s.b.sessions <- r
}

type recWriter struct {
	s   *recSession
	env *Envelope
	buf bytes.Buffer
}

func (w *recWriter) Write(p []byte) (int, error) {
	if w.s.b.writeErr != nil {
		return 0, w.s.b.writeErr
	}
	return w.buf.Write(p)
}

func (w *recWriter) Commit() error {
	if w.s.b.commitErr != nil {
		return w.s.b.commitErr
	}
	if w.s.b.onCommit != nil {
		w.s.b.onCommit(w.s.c, w.env)
	}
	w.s.b.mu.Lock()
	defer w.s.b.mu.Unlock()
	w.s.b.msgs = append(w.s.b.msgs, recMsg{env: w.env.Clone(), data: bytes.Clone(w.buf.Bytes()), rec: w.s.c.Record()})
	return nil
}

func (w *recWriter) Abort() {
	w.s.b.mu.Lock()
	w.s.b.aborted++
	w.s.b.mu.Unlock()
}

// testServer is a server on 127.0.0.1:0 with its backend and, when it has TLS, an implicit-TLS
// listener on another port.
type testServer struct {
	srv     *Server
	be      *recBackend
	addr    string
	tlsAddr string // "" without TLS
	cert    *x509.Certificate
	done    chan error
	tlsDone chan error
}

// fixedNow is the clock of transcript tests, so that headers and records are reproducible.
var fixedNow = time.Date(2024, 3, 5, 9, 4, 5, 0, time.UTC)

// startServer runs a server with test defaults changed by mod, and stops it when the test ends.
func startServer(t testing.TB, be *recBackend, mod func(*Options)) *testServer {
	t.Helper()
	cert, err := SelfSignedCertificate("mx.test")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Hostname:       "mx.test",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{cert}},
		CommandTimeout: 10 * time.Second,
	}
	if mod != nil {
		mod(&opts)
	}
	srv, err := NewServer(opts, be)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, be: be, addr: l.Addr().String(), cert: cert.Leaf, done: make(chan error, 1), tlsDone: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(l) }()
	if srv.tlsConfig != nil {
		lt, err := srv.ListenOn("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ts.tlsAddr = lt.Addr().String()
		go func() { ts.tlsDone <- srv.ServeTLS(lt) }()
	} else {
		ts.tlsDone <- ErrServerClosed
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		for _, done := range []chan error{ts.done, ts.tlsDone} {
			if err := <-done; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		}
	})
	return ts
}

// dialTLS connects to the implicit-TLS listener and completes the handshake.
func (ts *testServer) dialTLS(t testing.TB) *tls.Conn {
	t.Helper()
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ts.tlsAddr, ts.clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	return tc
}

// clientTLS trusts the test server's certificate.
func (ts *testServer) clientTLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ts.cert)
	return &tls.Config{RootCAs: pool, ServerName: "mx.test"}
}
