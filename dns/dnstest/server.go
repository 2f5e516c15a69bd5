// Package dnstest runs a real DNS server in-process on 127.0.0.1 for tests:
// UDP and TCP on one port, records from RFC 1035 master files, and faults
// on demand (delay, truncation, silence, an RCODE for one name).
//
// The server answers as an authoritative server would (the same rules as
// the dns package's Zone resolver): CNAME chains inside the data,
// NXDOMAIN versus NODATA, the SOA in the authority section of negative
// answers (RFC 2308 §3), EDNS0 (RFC 6891) and truncation to the client's
// UDP size.
package dnstest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/mailtrace/mailtrace/dns/internal/zonedb"
)

// Rcode is a DNS response code (RFC 1035 §4.1.1, RFC 6895 §2.3).
type Rcode int

// Response codes for WithRcode.
const (
	NoError  Rcode = mdns.RcodeSuccess
	FormErr  Rcode = mdns.RcodeFormatError
	ServFail Rcode = mdns.RcodeServerFailure
	NXDomain Rcode = mdns.RcodeNameError
	NotImp   Rcode = mdns.RcodeNotImplemented
	Refused  Rcode = mdns.RcodeRefused
)

type config struct {
	files    []string
	zones    []string
	delay    time.Duration
	truncate bool
	silent   bool
	rcodes   map[string]Rcode
}

// Option configures a Server.
type Option func(*config)

// WithZoneFile serves the records of a master file (names absolute or
// after a $ORIGIN).
func WithZoneFile(path string) Option { return func(c *config) { c.files = append(c.files, path) } }

// WithZone serves the records of master-file text.
func WithZone(text string) Option { return func(c *config) { c.zones = append(c.zones, text) } }

// WithDelay delays every answer by d.
func WithDelay(d time.Duration) Option { return func(c *config) { c.delay = d } }

// WithTruncateUDP answers every UDP query with the TC bit and no records,
// so that clients must ask again over TCP, which answers fully.
func WithTruncateUDP() Option { return func(c *config) { c.truncate = true } }

// WithNoAnswer makes the server read queries and never answer.
func WithNoAnswer() Option { return func(c *config) { c.silent = true } }

// WithRcode answers every question about name (any type) with rcode and
// no records. FormErr comes without OPT record, as from a server that does
// not know EDNS (RFC 6891 §7).
func WithRcode(name string, rcode Rcode) Option {
	return func(c *config) {
		if c.rcodes == nil {
			c.rcodes = make(map[string]Rcode)
		}
		c.rcodes[canon(name)] = rcode
	}
}

func canon(name string) string { return strings.ToLower(mdns.Fqdn(name)) }

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	cfg     config
	db      *zonedb.DB
	addr    string
	closing chan struct{}

	queries atomic.Int64
	tcp     atomic.Int64
	mu      sync.Mutex
	perName map[string]int
}

// NewServer starts a server on 127.0.0.1 (a free port, UDP and TCP) and
// stops it in t.Cleanup. Zone errors and listen errors fail the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{db: zonedb.New(), closing: make(chan struct{}), perName: make(map[string]int)}
	for _, o := range opts {
		o(&s.cfg)
	}
	if err := s.load(); err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	pc, l, err := listen()
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.addr = pc.LocalAddr().String()
	udp := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(s.serve)}
	tcp := &mdns.Server{Listener: l, Handler: mdns.HandlerFunc(s.serve)}
	if err := start(udp, tcp); err != nil {
		pc.Close()
		l.Close()
		t.Fatalf("dnstest: %v", err)
	}
	t.Cleanup(func() {
		close(s.closing) // wake delayed handlers first
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return s
}

func (s *Server) load() error {
	for _, f := range s.cfg.files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		err = s.db.Load(r, "", f)
		r.Close()
		if err != nil {
			return err
		}
	}
	for i, z := range s.cfg.zones {
		if err := s.db.Load(strings.NewReader(z), "", fmt.Sprintf("zone#%d", i+1)); err != nil {
			return err
		}
	}
	return nil
}

// listen binds UDP on a free loopback port, then TCP on the same port;
// another process may hold that TCP port, so it tries a few ports.
func listen() (net.PacketConn, net.Listener, error) {
	var last error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		last = err
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", last)
}

// start serves on both sockets and returns once both are up, told by
// NotifyStartedFunc, or when one fails to start.
func start(servers ...*mdns.Server) error {
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		up := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(up) }
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				errc <- err
			}
		}()
		select {
		case <-up:
		case err := <-errc:
			for _, started := range servers {
				_ = started.Shutdown() // "not started" for the ones that were not
			}
			return err
		}
	}
	return nil
}

// Addr returns the address to query, "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

// Queries returns how many queries arrived (UDP and TCP).
func (s *Server) Queries() int { return int(s.queries.Load()) }

// TCPQueries returns how many queries arrived over TCP.
func (s *Server) TCPQueries() int { return int(s.tcp.Load()) }

// QueriesFor returns how many queries asked about name, any type.
func (s *Server) QueriesFor(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perName[canon(name)]
}

func (s *Server) serve(w mdns.ResponseWriter, req *mdns.Msg) {
	isTCP := w.LocalAddr().Network() == "tcp"
	s.count(req, isTCP)
	if s.cfg.silent {
		return
	}
	if s.cfg.delay > 0 {
		t := time.NewTimer(s.cfg.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.closing:
			return
		}
	}
	_ = w.WriteMsg(s.reply(req, isTCP))
}

func (s *Server) count(req *mdns.Msg, isTCP bool) {
	s.queries.Add(1)
	if isTCP {
		s.tcp.Add(1)
	}
	if len(req.Question) == 1 {
		s.mu.Lock()
		s.perName[canon(req.Question[0].Name)]++
		s.mu.Unlock()
	}
}

func (s *Server) reply(req *mdns.Msg, isTCP bool) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetReply(req)
	m.Authoritative, m.RecursionAvailable = true, req.RecursionDesired
	size := mdns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), mdns.MinMsgSize)
		m.SetEdns0(opt.UDPSize(), false)
	}
	if len(req.Question) != 1 {
		m.Rcode = mdns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	if rc, ok := s.cfg.rcodes[canon(q.Name)]; ok {
		m.Rcode = int(rc)
		if rc == FormErr {
			m.Extra = nil // as a server that does not know EDNS (RFC 6891 §7)
		}
		return m
	}
	if s.cfg.truncate && !isTCP {
		m.Truncated = true
		return m
	}
	m.Rcode, m.Answer, m.Ns = s.db.Answer(q.Name, q.Qtype)
	if !isTCP {
		m.Truncate(size) // sets TC when it does not fit (RFC 6891 §7)
	}
	return m
}
