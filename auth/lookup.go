package auth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailtrace/mailtrace/dns"
)

// lookups is the DNS side of one message's check: every question goes to
// the resolver once (TXT answers are remembered, since DKIM, the fallback
// verifier and ARC ask for the same keys) and the outcome is counted.
// Libraries get net-style errors from it. It is safe for concurrent use:
// go-msgauth verifies several signatures in parallel.
type lookups struct {
	ctx  context.Context
	r    dns.Resolver
	keys *keyCache // shared by the Verifier's messages; nil: no cache

	mu      sync.Mutex
	txt     map[string]*txtAnswer // made on the first question: offline there is none
	asked   int
	offline int
}

// txtAnswer is one TXT lookup, done or in flight: callers asking for a
// name already asked wait for the first answer (go-msgauth looks up the
// keys of several signatures at once, often the same key).
type txtAnswer struct {
	done chan struct{}
	txts []string
	err  error
}

// errNoResolver stands for every lookup of an offline check.
var errNoResolver = dns.ErrOffline

// note counts one question and its outcome.
func (l *lookups) note(err error) {
	l.mu.Lock()
	l.asked++
	if errors.Is(err, dns.ErrOffline) {
		l.offline++
	}
	l.mu.Unlock()
}

// count returns the number of questions asked.
func (l *lookups) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.asked
}

// online reports whether DNS was there: a resolver is set and not every
// question came back "offline".
func (l *lookups) online() bool {
	if l.r == nil {
		return false // set before the first question, never after: no lock to read it
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.asked == 0 || l.offline < l.asked
}

// lookupTXT returns the TXT strings of name (each record's strings joined,
// RFC 7208 §3.3, RFC 6376 §3.6.2.2) with the resolver's own errors.
func (l *lookups) lookupTXT(name string) ([]string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	l.mu.Lock()
	if a, ok := l.txt[name]; ok {
		l.mu.Unlock()
		<-a.done // the first asker always finishes: the resolver honours ctx
		return a.txts, a.err
	}
	a := &txtAnswer{done: make(chan struct{})}
	if l.txt == nil {
		l.txt = map[string]*txtAnswer{}
	}
	l.txt[name] = a
	l.mu.Unlock()
	if l.r == nil {
		a.err = errNoResolver
	} else {
		a.txts, a.err = l.r.LookupTXT(l.ctx, name)
	}
	l.note(a.err)
	close(a.done)
	return a.txts, a.err
}

// netTXT is lookupTXT for the libraries: errors become *net.DNSError.
func (l *lookups) netTXT(name string) ([]string, error) {
	txts, err := l.lookupTXT(name)
	return txts, netError(name, err)
}

// netError maps a dns error to the *net.DNSError that go-msgauth and
// blitiri.com.ar/go/spf branch on (by type assertion, so it is returned
// unwrapped): not found and no data are IsNotFound (NXDOMAIN makes SPF
// "none", RFC 7208 §4.3, and counts as a void lookup, §4.6.4); permanent
// failures are neither temporary nor not-found; everything else (timeouts,
// SERVFAIL, offline, a cancelled context) is temporary.
func netError(name string, err error) error {
	if err == nil {
		return nil
	}
	e := &net.DNSError{Err: err.Error(), Name: name}
	switch {
	case errors.Is(err, dns.ErrNotFound), errors.Is(err, dns.ErrNoData):
		e.IsNotFound = true
	case errors.Is(err, dns.ErrPermanent):
	default:
		e.IsTemporary = true
		e.IsTimeout = errors.Is(err, context.DeadlineExceeded)
	}
	return e
}

// spfResolver adapts lookups to spf.DNSResolver. The library asks for
// TXT only to fetch the SPF record it is about to evaluate, so the
// resolver is where every such record (top-level, include, redirect) can
// be parsed whole (RFC 7208 §4.6) before the library evaluates it.
type spfResolver struct {
	l      *lookups
	syntax *spfSyntaxError // the first malformed record fetched; nil: none yet
}

// spfSyntaxError is a malformed SPF record met during one evaluation.
type spfSyntaxError struct {
	domain string
	err    error
}

func (s spfResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	txts, err := s.l.netTXT(name)
	if rec, one := spfRecordOf(txts); err == nil && one && s.syntax.err == nil {
		if serr := checkSPFSyntax(rec); serr != nil {
			*s.syntax = spfSyntaxError{strings.ToLower(strings.TrimSuffix(name, ".")), serr}
		}
	}
	return txts, err
}

func (s spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if s.l.r == nil {
		s.l.note(errNoResolver)
		return nil, netError(name, errNoResolver)
	}
	mxs, err := s.l.r.LookupMX(ctx, name)
	s.l.note(err)
	if err != nil {
		return nil, netError(name, err)
	}
	out := make([]*net.MX, len(mxs))
	for i, mx := range mxs {
		out[i] = &net.MX{Host: mx.Host, Pref: mx.Preference}
	}
	return out, nil
}

func (s spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if s.l.r == nil {
		s.l.note(errNoResolver)
		return nil, netError(host, errNoResolver)
	}
	ips, err := s.l.r.LookupIP(ctx, host)
	s.l.note(err)
	if err != nil {
		return nil, netError(host, err)
	}
	out := make([]net.IPAddr, len(ips))
	for i, ip := range ips {
		out[i] = net.IPAddr{IP: net.IP(ip.Unmap().AsSlice())}
	}
	return out, nil
}

func (s spfResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "invalid address", Name: addr}
	}
	if s.l.r == nil {
		s.l.note(errNoResolver)
		return nil, netError(addr, errNoResolver)
	}
	names, err := s.l.r.LookupPTR(ctx, ip)
	s.l.note(err)
	if err != nil {
		return nil, netError(addr, err)
	}
	return names, nil
}
