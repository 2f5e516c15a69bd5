package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors callers branch on.
var (
	// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
	ErrServerClosed = errors.New("smtpd: server closed")
	// ErrAddrInUse wraps a listen failure because the port is taken.
	ErrAddrInUse = errors.New("smtpd: address already in use")
	// ErrNoCertificate is returned by ServeTLS when the server has no certificate (DisableSTARTTLS).
	ErrNoCertificate = errors.New("smtpd: implicit TLS needs a certificate")
)

// Logger is where the server reports what no session record holds (accept errors, refused connections).
// *slog.Logger satisfies it. Nil means silence.
type Logger interface {
	Log(ctx context.Context, level slog.Level, msg string, args ...any)
}

// Options configure a Server. The zero value is usable: NewServer fills in the defaults noted.
type Options struct {
	Hostname string // our name in the greeting and Received; default os.Hostname(), else "localhost"
	Addr     string // ListenAndServe address; default 127.0.0.1:2525

	MaxMessageSize int64 // octets after dot-unstuffing; default 25 MiB; advertised with SIZE (RFC 1870)
	MaxRecipients  int   // per transaction, then 452 (RFC 5321 §4.5.3.1.10); default 1000
	MaxLineLength  int   // command and text lines, CRLF included (RFC 5321 §4.5.3.1.6); default 1000
	MaxErrors      int   // client errors before 421 and hang-up; default 10
	MaxConns       int   // concurrent sessions; more get 421 at once; default 100

	CommandTimeout time.Duration // longest wait for any client input or output; default 5 min (RFC 5321 §4.5.3.2.7)
	ConnTimeout    time.Duration // longest session; default 30 min
	GreetDelay     time.Duration // wait this long before the greeting, watching for early talkers; default 0

	// The certificate serves STARTTLS and the implicit-TLS listeners (ServeTLS) alike.
	TLSConfig       *tls.Config // used as is when set
	TLSCertFile     string      // else a PEM certificate and key from files
	TLSKeyFile      string
	DisableSTARTTLS bool // else a self-signed certificate is made at start; true leaves no TLS at all

	// AuthAcceptAny offers AUTH PLAIN LOGIN and accepts any credentials (recorded, never checked).
	AuthAcceptAny bool
	// RejectBareLineEnds refuses (554 after the end of data) a message with a bare CR or LF instead of
	// storing it whole. Either way the message is never split (see the package doc on smuggling).
	RejectBareLineEnds bool

	// LookupAddr, if set, resolves the client's name for Received headers; without it the name is
	// "unknown". It runs in the background from accept on; a forward-confirming lookup is its business.
	LookupAddr func(ctx context.Context, ip netip.Addr) (string, error)
	Logger     Logger
	Now        func() time.Time // clock for records and headers; default time.Now
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
		if o.Hostname == "" {
			o.Hostname = "localhost"
		}
	}
	setDefault(&o.Addr, "127.0.0.1:2525")
	setDefault(&o.MaxMessageSize, 25<<20)
	setDefault(&o.MaxRecipients, 1000)
	setDefault(&o.MaxLineLength, 1000)
	setDefault(&o.MaxErrors, 10)
	setDefault(&o.MaxConns, 100)
	setDefault(&o.CommandTimeout, 5*time.Minute)
	setDefault(&o.ConnTimeout, 30*time.Minute)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Server is the SMTP engine. It accepts connections, speaks the protocol and hands envelopes and
// message text to its Backend.
type Server struct {
	opts      Options
	be        Backend
	tlsConfig *tls.Config
	ehloLines [2][]string // shared by every EHLO reply: never modified

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	shutting  atomic.Bool
	seq       atomic.Uint64
}

// NewServer returns a server for be. It fails only when the TLS certificate cannot be loaded or made.
func NewServer(opts Options, be Backend) (*Server, error) {
	s := &Server{opts: opts.withDefaults(), be: be,
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	var err error
	if s.tlsConfig, err = buildTLSConfig(&s.opts); err != nil {
		return nil, err
	}
	s.ehloLines = ehloLines(&s.opts)
	return s, nil
}

// Options returns the options in force, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Listen opens the listening socket on Options.Addr. A taken port is reported as ErrAddrInUse.
func (s *Server) Listen() (net.Listener, error) { return s.ListenOn(s.opts.Addr) }

// ListenOn opens a listening socket on addr, for Serve or ServeTLS. A taken port is reported as
// ErrAddrInUse.
//
// Accepted connections get no TCP keep-alive: every wait for a client is bounded by the command and
// connection timeouts, which find a vanished client sooner, and a keep-alive costs four system calls
// on every connection (a sink takes one connection per message from many clients).
func (s *Server) ListenOn(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	l, err := lc.Listen(context.Background(), "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: %s: %w", ErrAddrInUse, addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("smtpd: listen %s: %w", addr, err)
	}
	return l, nil
}

// ListenAndServe listens on Options.Addr and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	l, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown (then it returns ErrServerClosed) or a permanent
// accept error. It closes l.
func (s *Server) Serve(l net.Listener) error { return s.serve(l, false) }

// ServeTLS is Serve for a listener of implicit TLS (RFC 8314 §3.3, submissions on port 465): every
// connection starts with a TLS handshake, with the certificate STARTTLS uses, and the greeting comes
// after it. The session is then as after STARTTLS: ESMTPS in Received, TLS in the record, STARTTLS
// neither offered nor accepted. It returns ErrNoCertificate at once when the server has no TLS.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.tlsConfig == nil {
		l.Close()
		return ErrNoCertificate
	}
	return s.serve(l, true)
}

// serve is the accept loop of Serve and ServeTLS.
func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if !s.track(l) {
		l.Close()
		return ErrServerClosed
	}
	defer s.untrack(l)
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) ||
				errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log(slog.LevelWarn, "accept failed, retrying", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("smtpd: accept: %w", err)
		}
		backoff = 0
		s.start(nc, implicitTLS)
	}
}

// start runs a session for nc, or refuses it when MaxConns sessions are running.
func (s *Server) start(nc net.Conn, implicitTLS bool) {
	s.mu.Lock()
	full := len(s.conns) >= s.opts.MaxConns
	var c *conn
	if !full {
		c = newConn(s, nc)
		c.implicitTLS = implicitTLS
		s.conns[c] = struct{}{}
	}
	s.wg.Add(1)
	s.mu.Unlock()
	if full {
		s.log(slog.LevelWarn, "connection limit reached", "client", nc.RemoteAddr().String())
		go s.refuse(nc, implicitTLS)
		return
	}
	go c.serve()
}

// refuse answers 421 to a connection over the limit (RFC 5321 §3.8) and closes it. On an implicit-TLS
// listener it closes at once: the client waits for a ServerHello, a 421 in clear would reach it as a
// malformed TLS record, and a handshake is the work the limit is there to spare.
func (s *Server) refuse(nc net.Conn, implicitTLS bool) {
	defer s.wg.Done()
	if implicitTLS {
		nc.Close()
		return
	}
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte(reply(CodeUnavailable, esTempSecurity, s.opts.Hostname+" Error: too many connections, try again later").Format()))
	nc.Close()
}

// forget removes a finished session.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	l.Close()
}

// Shutdown stops the server gracefully: it stops accepting, answers 421 to sessions waiting between
// transactions, lets transactions in progress finish (each then gets 421 right after the reply that
// ends it, without waiting for another command: RFC 5321 §3.8), and returns when every session has
// ended. When ctx ends first, the remaining sessions get 421 and are
// closed, and Shutdown returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutting.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.interrupt(false)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.interrupt(true)
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// interrupt wakes a session blocked on input so that it sees the shutdown: only between transactions,
// unless forced.
func (c *conn) interrupt(force bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if force {
		c.forced = true
		c.raw.SetWriteDeadline(time.Now().Add(time.Second))
		c.wr = armedDeadline{} // not ours any more: never extended
	}
	if force || !c.inTx {
		c.raw.SetReadDeadline(time.Unix(1, 0))
		c.rd = armedDeadline{}
	}
}

func (s *Server) shuttingDown() bool { return s.shutting.Load() }

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) log(level slog.Level, msg string, args ...any) {
	if s.opts.Logger != nil {
		s.opts.Logger.Log(context.Background(), level, msg, args...)
	}
}
