package dns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

// Options configures a Network resolver. The zero value reads the servers
// from /etc/resolv.conf and uses the defaults named below. The search list
// and ndots of resolv.conf are ignored: mailtrace only asks about fully
// qualified names.
type Options struct {
	// Servers are "IP", "IP:port", "[v6]" or "[v6]:port" (port 53 by
	// default): addresses, as in resolv.conf(5), never host names.
	// Empty: the nameservers of ResolvConf.
	Servers    []string
	ResolvConf string // default "/etc/resolv.conf"
	// Timeout bounds one try at one server. 0: with the servers of
	// ResolvConf, its timeout option (see resolvOptions), else 2s.
	Timeout time.Duration
	// Attempts is how many rounds are made over the servers. 0: with the
	// servers of ResolvConf, its attempts option, else 2.
	Attempts int
	// Budget bounds a whole lookup, every try included (default
	// Attempts × servers × Timeout, at most 10s).
	Budget time.Duration
	// UDPSize is the EDNS0 payload size advertised (RFC 6891 §6.2.5,
	// default 4096).
	UDPSize uint16
	// Rotate starts each lookup at the next server in turn, spreading the
	// load over them, instead of at the one that answered last. With the
	// servers of ResolvConf, its rotate option sets it too.
	Rotate bool
	// Cooldown is how long no server is asked after a lookup that none
	// answered (default 30s): the lookups meanwhile fail at once with
	// ErrUnreachable instead of each waiting out its budget.
	Cooldown time.Duration
}

const (
	defaultTimeout    = 2 * time.Second
	defaultAttempts   = 2
	defaultMaxBudget  = 10 * time.Second
	defaultCooldown   = 30 * time.Second
	defaultUDPSize    = 4096
	defaultResolvConf = "/etc/resolv.conf"
)

// Network resolves by asking recursive servers over UDP with EDNS0,
// falling back to TCP when an answer is truncated. It is safe for
// concurrent use.
type Network struct {
	front
	servers   []string
	timeout   time.Duration
	budget    time.Duration
	attempts  int
	udpSize   uint16
	preferred atomic.Int32 // the server that answered last is asked first
	// rotate: each lookup starts at the server after the last lookup's
	// first (resolv.conf's rotate), preferred is not used.
	rotate bool
	next   atomic.Uint32
	// silentUntil (Unix nanoseconds) is the end of the cooldown after a
	// lookup no server answered; 0 when the last lookup was answered.
	silentUntil atomic.Int64
	cooldown    time.Duration
}

// NewNetwork returns a Network resolver; it fails when no server is given
// or found in resolv.conf, or when a server address is malformed.
func NewNetwork(opts Options) (*Network, error) {
	servers, conf, err := serverList(opts)
	if err != nil {
		return nil, err
	}
	n := &Network{
		servers:  servers,
		timeout:  cmp(opts.Timeout, cmp(conf.timeout, defaultTimeout)),
		attempts: opts.Attempts,
		udpSize:  opts.UDPSize,
		rotate:   opts.Rotate || conf.rotate,
		cooldown: cmp(opts.Cooldown, defaultCooldown),
	}
	if n.attempts <= 0 {
		n.attempts = conf.attempts
	}
	if n.attempts <= 0 {
		n.attempts = defaultAttempts
	}
	if n.udpSize < mdns.MinMsgSize {
		n.udpSize = defaultUDPSize
	}
	n.budget = opts.Budget
	if n.budget <= 0 {
		n.budget = min(time.Duration(n.attempts*len(servers))*n.timeout, max(defaultMaxBudget, n.timeout))
	}
	n.front = front{n}
	return n, nil
}

// cmp returns d, or def when d is not positive.
func cmp(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Servers returns the server addresses in use, as host:port.
func (n *Network) Servers() []string { return append([]string(nil), n.servers...) }

// serverList returns the servers to ask, and, when they come from
// resolv.conf, its options.
func serverList(opts Options) ([]string, resolvOptions, error) {
	given := opts.Servers
	port := "53"
	var conf resolvOptions
	if len(given) == 0 {
		path := opts.ResolvConf
		if path == "" {
			path = defaultResolvConf
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, conf, fmt.Errorf("dns: reading resolver configuration: %w", err)
		}
		cc, err := mdns.ClientConfigFromReader(bytes.NewReader(text))
		if err != nil {
			return nil, conf, fmt.Errorf("dns: reading resolver configuration %s: %w", path, err)
		}
		if len(cc.Servers) == 0 {
			return nil, conf, fmt.Errorf("dns: no nameserver in %s", path)
		}
		given, port = cc.Servers, cc.Port
		conf = parseResolvOptions(string(text), os.Getenv("RES_OPTIONS"))
	}
	out := make([]string, 0, len(given))
	for _, s := range given {
		addr, err := serverAddr(s, port)
		if err != nil {
			return nil, conf, err
		}
		out = append(out, addr)
	}
	return out, conf, nil
}

// resolvOptions are the options of resolv.conf(5) that bear on asking for a
// fully qualified name; zero when not given.
type resolvOptions struct {
	timeout  time.Duration // timeout:n, one try at one server
	attempts int           // attempts:n, rounds over the servers
	rotate   bool          // rotate: each lookup starts at the next server
}

// The bounds glibc puts on the options (resolv.h: RES_MAXRETRANS,
// RES_MAXRETRY).
const (
	maxResolvTimeout  = 30
	maxResolvAttempts = 5
)

// parseResolvOptions reads the options lines of a resolv.conf, then env, the
// RES_OPTIONS environment variable, which overrides them as it does for the C
// library. As glibc reads the file, the keyword starts its line, and only a
// line starting with '#' or ';' is a comment. A later option wins; values
// out of range are brought within glibc's bounds, and malformed ones are
// skipped.
func parseResolvOptions(conf, env string) resolvOptions {
	var o resolvOptions
	for line := range strings.Lines(conf) {
		rest, ok := strings.CutPrefix(line, "options")
		if ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			o.set(strings.Fields(rest))
		}
	}
	o.set(strings.Fields(env))
	return o
}

func (o *resolvOptions) set(options []string) {
	for _, opt := range options {
		if opt == "rotate" {
			o.rotate = true
			continue
		}
		name, value, ok := strings.Cut(opt, ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			continue
		}
		switch name {
		case "timeout":
			o.timeout = time.Duration(min(max(n, 1), maxResolvTimeout)) * time.Second
		case "attempts":
			o.attempts = min(max(n, 1), maxResolvAttempts)
		}
	}
}

// ServerAddr returns a server address as Options.Servers takes it, written
// host:port: s is an IP address, IP:port, [IPv6] or [IPv6]:port, and the
// port is 53 when none is given.
func ServerAddr(s string) (string, error) { return serverAddr(s, "53") }

// serverAddr accepts "IP", "IP:port", "v6", "[v6]" and "[v6]:port". A
// server is given by its address, as resolv.conf(5) gives nameservers: a
// host name would first have to be looked up through some other resolver.
func serverAddr(s, port string) (string, error) {
	s = strings.TrimSpace(s)
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		host = s[1 : len(s)-1]
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("dns: bad server address %q: not an IP address, IP:port or [IPv6]:port", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", fmt.Errorf("dns: bad server address %q: the port is not a number from 1 to 65535", s)
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(n, 10)), nil
}

// lookup asks about q. When the answer stops at a CNAME and leaves out its
// target's records, the query is restarted at the target (RFC 1034
// §5.3.3), as far as MaxCNAMEDepth restarts and until a name comes again.
func (n *Network) lookup(ctx context.Context, q question) (answer, error) {
	a, err := n.query(ctx, q)
	seen := map[string]bool{q.name: true}
	var via []string
	chainTTL := a.restartTTL
	for errors.Is(err, ErrNoData) && a.restart != "" {
		target := a.restart
		via = append(via, target)
		switch {
		case seen[target]:
			return answer{}, fmt.Errorf("lookup %s: CNAME loop at %s: %w", q, target, ErrPermanent)
		case len(via) > MaxCNAMEDepth:
			return answer{}, fmt.Errorf("lookup %s: CNAME chain longer than %d: %w", q, MaxCNAMEDepth, ErrPermanent)
		}
		seen[target] = true
		a, err = n.query(ctx, question{qtype: q.qtype, name: target})
		if a.hasTTL {
			a.ttl = min(a.ttl, chainTTL)
		}
		if a.restart != "" {
			chainTTL = min(chainTTL, a.restartTTL)
		}
	}
	a.restart, a.restartTTL = "", 0
	if err != nil {
		if len(via) > 0 {
			return a, fmt.Errorf("lookup %s: via CNAME %s: %w", q, strings.Join(via, ", "), err)
		}
		return a, fmt.Errorf("lookup %s: %w", q, err)
	}
	return a, nil
}

// query asks the servers about q and reads their answer. The error is not
// yet wrapped with the question.
func (n *Network) query(parent context.Context, q question) (answer, error) {
	if err := parent.Err(); err != nil {
		return answer{}, fmt.Errorf("%w: %w", ErrTemporary, err)
	}
	if until := n.silentUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return answer{}, fmt.Errorf("%w: %w: no server answered a lookup in the last %s", ErrTemporary, ErrUnreachable, n.cooldown)
	}
	ctx, cancel := context.WithTimeout(parent, n.budget)
	defer cancel()
	m, err := n.resolve(ctx, q)
	switch {
	case err == nil || !errors.Is(err, ErrUnreachable):
		n.silentUntil.Store(0) // a server answered, if only to refuse
	case !cutShort(parent):
		// Every server was asked in vain, within the lookup's own budget:
		// DNS is down, and the next lookups would each wait as long.
		n.silentUntil.Store(time.Now().Add(n.cooldown).UnixNano())
	}
	if err != nil {
		return answer{}, err
	}
	return interpret(q, m.Rcode, m.Answer, m.Ns)
}

// cutShort reports whether the caller's context ended the lookup: it is
// done, or its deadline has come (a read timed out by that deadline may
// return before the context's own timer marks it done).
func cutShort(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// failure says how a try at one server went wrong. Every kind ends in
// ErrTemporary when no server does better: a server that would not or
// could not answer says nothing about the name (RFC 7208 §4.4, RFC 6376
// §6.1.2: only NOERROR and NXDOMAIN are answers; the other RCODEs are
// temporary errors).
type failure int

const (
	failTransport failure = iota // timeout or network error: nobody answered
	failServFail                 // the server answered SERVFAIL, or only with datagrams that were not the reply: ask another, and again next round
	failUseless                  // REFUSED, FORMERR, NOTIMP, other RCODEs, malformed or bogus, truncated with TCP failing: not asked again
)

// resolve asks the servers in turn, Attempts rounds, until one gives a
// usable answer (NOERROR or NXDOMAIN) or the budget is spent.
func (n *Network) resolve(ctx context.Context, q question) (*mdns.Msg, error) {
	var last error
	answered := false
	useless := make([]bool, len(n.servers))
	start := int(n.preferred.Load())
	if n.rotate {
		start = int((n.next.Add(1) - 1) % uint32(len(n.servers)))
	}
	for round := 0; round < n.attempts && ctx.Err() == nil; round++ {
		for k := range n.servers {
			i := (start + k) % len(n.servers)
			if useless[i] || ctx.Err() != nil {
				continue
			}
			m, kind, err := n.try(ctx, n.servers[i], q)
			if err == nil {
				if !n.rotate {
					n.preferred.Store(int32(i))
				}
				return m, nil
			}
			last = fmt.Errorf("%s: %w", n.servers[i], err)
			switch kind {
			case failServFail:
				answered = true
			case failUseless:
				answered, useless[i] = true, true
			}
		}
	}
	switch {
	case last == nil: // the budget was gone before the first try
		return nil, fmt.Errorf("%w: %w: %w", ErrTemporary, ErrUnreachable, ctx.Err())
	case !answered:
		return nil, fmt.Errorf("%w: %w: %v", ErrTemporary, ErrUnreachable, last)
	default:
		return nil, fmt.Errorf("%w: %v", ErrTemporary, last)
	}
}

// try asks one server, and asks again without EDNS if the server rejects
// it (RFC 6891 §7: FORMERR without an OPT record).
func (n *Network) try(ctx context.Context, server string, q question) (*mdns.Msg, failure, error) {
	r, err := n.ask(ctx, server, q, true)
	if err == nil && r.Rcode == mdns.RcodeFormatError && r.IsEdns0() == nil {
		r, err = n.ask(ctx, server, q, false)
	}
	if err != nil {
		switch {
		case errors.Is(err, errTruncated):
			return nil, failUseless, err
		case errors.Is(err, errNoMatch):
			// Something answered from the server's address, so DNS
			// is there; the server may yet answer in the next round.
			return nil, failServFail, err
		case isTransport(err):
			return nil, failTransport, err
		}
		return nil, failUseless, fmt.Errorf("malformed response: %w", err)
	}
	switch r.Rcode {
	case mdns.RcodeSuccess, mdns.RcodeNameError:
		if err := checkOwners(q, r.Answer); err != nil {
			return nil, failUseless, fmt.Errorf("bogus response: %w", err)
		}
		return r, 0, nil
	case mdns.RcodeServerFailure:
		return nil, failServFail, errors.New("server answered SERVFAIL")
	default:
		return nil, failUseless, fmt.Errorf("server answered %s", rcodeName(r.Rcode))
	}
}

// ask sends the question over UDP, then over TCP when the answer comes back
// truncated (RFC 7766 §5). The reply is one that matches the question (see
// readReply).
func (n *Network) ask(ctx context.Context, server string, q question, edns bool) (*mdns.Msg, error) {
	req := new(mdns.Msg)
	req.SetQuestion(mdns.Fqdn(q.name), q.qtype)
	req.RecursionDesired = true
	if edns {
		req.SetEdns0(n.udpSize, false)
	}
	r, err := n.exchange(ctx, "udp", server, req)
	if r != nil && r.Truncated {
		r, err = n.exchange(ctx, "tcp", server, req)
		if err != nil && isTransport(err) {
			// RFC 7766 §5: the server did answer, over UDP; only the
			// whole answer could not be had.
			return nil, fmt.Errorf("%w: %w", errTruncated, err)
		}
	}
	return r, err
}

// errTruncated is a reply truncated over UDP whose retry over TCP failed.
var errTruncated = errors.New("reply truncated over UDP, and TCP failed")

// errNoMatch is a try over UDP that met only datagrams that were not a
// reply to the question, then its deadline.
var errNoMatch = errors.New("no reply matched the question")

func rcodeName(rcode int) string {
	if s, ok := mdns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// checkReply rejects a reply that is not an answer to req (RFC 5452 §3:
// its question must be req's): a bug or a spoofing attempt, either way not
// something to believe.
func checkReply(req, r *mdns.Msg) error {
	if !r.Response || len(r.Question) != 1 {
		return errors.New("reply is not a response to the question")
	}
	got, want := r.Question[0], req.Question[0]
	if got.Qtype != want.Qtype || got.Qclass != want.Qclass || !strings.EqualFold(got.Name, want.Name) {
		return fmt.Errorf("reply is about %s %s", mdns.TypeToString[got.Qtype], got.Name)
	}
	return nil
}

// exchange sends one query on a fresh connection and reads its reply.
// miekg/dns only honours deadlines, so cancellation is turned into an
// expired deadline on the connection.
func (n *Network) exchange(ctx context.Context, network, server string, req *mdns.Msg) (*mdns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	c := &mdns.Client{Net: network, UDPSize: n.udpSize, Timeout: n.timeout}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.UDPSize = n.udpSize // the size of the read buffer
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := conn.WriteMsg(req); err != nil {
		return nil, err
	}
	return readReply(conn, req, network == "udp")
}

// readReply reads the reply to req. Over UDP, where anyone can send a
// datagram that seems to come from the server, one whose ID or question
// differs from req's is not the reply (RFC 5452 §3, §9.1): it is dropped,
// never believed, and the wait goes on until the deadline. Over TCP a
// mismatch is the server's fault, a malformed reply.
func readReply(conn *mdns.Conn, req *mdns.Msg, udp bool) (*mdns.Msg, error) {
	var dropped error
	for {
		var h mdns.Header
		p, err := conn.ReadMsgHeader(&h)
		switch {
		case err != nil && dropped != nil && isTransport(err):
			return nil, fmt.Errorf("%w (dropped one: %v): %w", errNoMatch, dropped, err)
		case err != nil:
			return nil, err
		case h.Id != req.Id && udp:
			continue // as miekg/dns drops it: perhaps a late reply to an earlier query
		case h.Id != req.Id:
			return nil, mdns.ErrId
		}
		r := new(mdns.Msg)
		if err := r.Unpack(p); err != nil && !(udp && r.Truncated) {
			return nil, err // a truncated one may end mid-record: TCP follows
		}
		if err := checkReply(req, r); err != nil {
			if !udp {
				return nil, err
			}
			dropped = err
			continue
		}
		return r, nil
	}
}

// isTransport tells network trouble (nobody answered) from a reply that
// could not be understood.
func isTransport(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
