package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/report"
	"github.com/mailtrace/mailtrace/smtpd"
	"github.com/mailtrace/mailtrace/smtpd/capture"
)

// serveOptions are the flags of `mailtrace serve`.
type serveOptions struct {
	smtp         smtpd.Options
	listenTLS    []string // implicit-TLS addresses, beside smtp.Addr (which may be "")
	maildir      string
	sessionFiles bool
	recordIdle   bool
	exitAfter    uint64
	report       string
	grace        time.Duration
}

func serveCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run an SMTP sink: store every message in a Maildir and analyse it as it arrives",
		Description: "Answers every RFC 5321 command, stores each accepted message byte for byte (fsynced before\n" +
			"the 250) with its session record, then analyses it with the session's true envelope: one line per\n" +
			"message on stdout, and with --report FILE one JSON object per message. --listen-tls adds listeners of\n" +
			"implicit TLS (RFC 8314, as port 465), with the certificate of --tls or --tls-cert/--tls-key. SIGINT/SIGTERM\n" +
			"stop gracefully.",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:2525", Usage: "`ADDR:PORT` to listen on (port 25 needs root); \"\" for none, with --listen-tls"},
			&cli.StringSliceFlag{Name: "listen-tls", Usage: "also listen on `ADDR:PORT` with implicit TLS: the handshake first, then SMTP as after STARTTLS (RFC 8314, as port 465; repeatable); needs --tls or --tls-cert/--tls-key"},
			&cli.StringFlag{Name: "hostname", Usage: "`NAME` in the greeting and Received line (default: the machine's name)"},
			&cli.StringFlag{Name: "maildir", Value: "./mailtrace-mail", Usage: "Maildir `DIR` that stores the messages"},
			&cli.Int64Flag{Name: "max-size", Value: 25 << 20, Usage: "largest message in `BYTES` (552 beyond it, also early on SIZE=)"},
			&cli.IntFlag{Name: "max-conns", Value: 100, Usage: "concurrent sessions; more get 421"},
			&cli.IntFlag{Name: "max-recipients", Value: 1000, Usage: "recipients per message, then 452"},
			&cli.DurationFlag{Name: "command-timeout", Value: 5 * time.Minute, Usage: "longest wait for one command"},
			&cli.DurationFlag{Name: "conn-timeout", Value: 30 * time.Minute, Usage: "longest session"},
			&cli.DurationFlag{Name: "greet-delay", Usage: "wait this long before the greeting, watching for clients that talk first"},
			&cli.BoolFlag{Name: "tls", Usage: "offer STARTTLS (and serve --listen-tls) with a self-signed certificate made at start"},
			&cli.StringFlag{Name: "tls-cert", Usage: "PEM certificate `FILE` for STARTTLS and --listen-tls"},
			&cli.StringFlag{Name: "tls-key", Usage: "PEM key `FILE` for STARTTLS and --listen-tls"},
			&cli.BoolFlag{Name: "auth-accept-any", Usage: "offer AUTH PLAIN/LOGIN and accept any credentials (recorded, never checked)"},
			&cli.BoolFlag{Name: "reject-bare-line-ends", Usage: "refuse (554) messages with bare CR or LF instead of keeping them whole"},
			&cli.Uint64Flag{Name: "exit-after", Usage: "stop after `N` messages were stored and analysed (for CI)"},
			&cli.StringFlag{Name: "report", Usage: "append one JSON object per message to `FILE`"},
			&cli.DurationFlag{Name: "grace", Value: 10 * time.Second, Usage: "on stop, how long transactions in progress may take, and DNS for the messages stored before it"},
			&cli.BoolFlag{Name: "header-only", Usage: "do not decode the MIME body"},
			&cli.BoolFlag{Name: "attached", Usage: "also analyse the messages a message carries (forwarded as attachments or attached as .eml files, returned in bounces and abuse reports; base64 ones decoded): a line and a report object each, after the message's"},
			&cli.BoolFlag{Name: "session-files", Usage: "write each session record to sessions/<message name>.json instead of the run's journal sessions/<run>.jsonl"},
			&cli.BoolFlag{Name: "record-idle", Usage: "also record, at its close, each session that stored no message (scanners, early talkers, HTTP probes, failed TLS handshakes, messages refused) and the end of the others after their last message"},
		}, dnsFlags()...), ruleFlags("never", "exit with status 3, when serve stops (--exit-after, SIGINT, SIGTERM), if any message analysed was `LEVEL`: forged, suspicious (or worse), never; a sink's stop is otherwise 0")...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts, err := serveOptionsFrom(c)
			if err != nil {
				return err
			}
			return runServe(c, opts, s)
		},
	}
}

func serveOptionsFrom(c *cli.Context) (serveOptions, error) {
	if c.NArg() > 0 {
		return serveOptions{}, usageErrorf("serve takes no arguments")
	}
	cert, key := c.String("tls-cert"), c.String("tls-key")
	if (cert == "") != (key == "") {
		return serveOptions{}, usageErrorf("--tls-cert and --tls-key go together")
	}
	listenTLS := c.StringSlice("listen-tls")
	// A certificate is asked for rather than made: --tls also offers STARTTLS on --listen, which
	// --listen-tls alone does not say.
	if len(listenTLS) > 0 && cert == "" && !c.Bool("tls") {
		return serveOptions{}, usageErrorf("--listen-tls needs a certificate: --tls (self-signed) or --tls-cert/--tls-key")
	}
	if c.String("listen") == "" && len(listenTLS) == 0 {
		return serveOptions{}, usageErrorf("nothing to listen on: --listen is empty and no --listen-tls")
	}
	o := serveOptions{
		smtp: smtpd.Options{
			Hostname: c.String("hostname"), Addr: c.String("listen"),
			MaxMessageSize: c.Int64("max-size"), MaxConns: c.Int("max-conns"), MaxRecipients: c.Int("max-recipients"),
			CommandTimeout: c.Duration("command-timeout"), ConnTimeout: c.Duration("conn-timeout"),
			GreetDelay: c.Duration("greet-delay"), TLSCertFile: cert, TLSKeyFile: key,
			DisableSTARTTLS: cert == "" && !c.Bool("tls"), AuthAcceptAny: c.Bool("auth-accept-any"),
			RejectBareLineEnds: c.Bool("reject-bare-line-ends"),
		},
		listenTLS: listenTLS, maildir: c.String("maildir"), sessionFiles: c.Bool("session-files"),
		recordIdle: c.Bool("record-idle"), exitAfter: c.Uint64("exit-after"), report: c.String("report"), grace: c.Duration("grace"),
	}
	if o.smtp.MaxMessageSize <= 0 || o.smtp.MaxConns <= 0 || o.smtp.MaxRecipients <= 0 {
		return o, usageErrorf("--max-size, --max-conns and --max-recipients must be positive")
	}
	return o, nil
}

// runServe runs the sink until a signal, --exit-after or a fatal error.
// Deliveries reach the analysis through a queue after their 250: nothing
// slow happens before the reply to the client.
func runServe(c *cli.Context, o serveOptions, s streams) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		// Analysing a 25 MiB message holds several copies of it for a moment (raw, MIME parts, text):
		// a soft limit makes the collector reclaim them before the heap doubles, so 20 such messages
		// arriving at once stay under 150 MB (bench/smtp-memory.sh). Small messages never get near it.
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	a, rules, workers, err := serveAnalyzer(c)
	if err != nil {
		return err
	}
	reportFile, err := openReport(o.report)
	if err != nil {
		return err
	}
	defer reportFile.Close()
	deliveries := make(chan capture.Delivery, deliveryQueue)
	md, err := capture.New(capture.Options{Dir: o.maildir, SessionFiles: o.sessionFiles, RecordIdle: o.recordIdle,
		KeepBytes: serveKeepBytes, OnDelivery: func(d capture.Delivery) { deliveries <- d }})
	if err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	srv, err := smtpd.NewServer(o.smtp, md)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ls, err := listenAll(srv, o)
	if err != nil {
		return err
	}
	for _, l := range ls {
		fmt.Fprintf(s.err, "mailtrace: listening on %s%s, storing in %s\n", l.Addr(), l.kind(), o.maildir)
	}
	if len(rules.disabled) > 0 {
		fmt.Fprintf(s.err, "mailtrace: rules not run (--disable): %s\n", strings.Join(rules.disabled, ", "))
	}
	served := serveAll(srv, ls)

	// stdout is written through a buffer flushed whenever no delivery waits: one write per burst, not
	// per message. The report stays unbuffered, one write per line, for readers that follow it.
	out := bufio.NewWriterSize(s.out, 32<<10)
	an := &serveAnalysis{a: a, out: out, report: reportFile, idle: md.Idle, workers: workers, failOn: rules.failOn}
	if o.report == "" {
		an.report = nil // nothing to encode
	}
	stopErr := an.loop(c.Context, deliveries, served, o.exitAfter)
	// The loop reads deliveries no more, but the Maildir still hands over those of the sessions that
	// finish, and while it closes those still queued: were they left on a full queue, its callback and
	// then the sessions would wait for ever, and the stop with them.
	held := holdDeliveries(deliveries)
	if o.exitAfter > 0 && an.count >= o.exitAfter {
		// Done by count, not by a signal: take no new session, and let the clients still connected
		// (the sender of the last message is about to QUIT) finish without a 421.
		for _, l := range ls {
			l.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.grace)
		_ = md.WaitIdle(ctx) // past the grace period, shutdown answers 421 to the rest
		cancel()
	}
	shutdown(srv, md, o.grace)
	close(deliveries)
	// Messages stored and acknowledged before the stop are analysed too.
	// DNS has the grace period for them, then they are judged without it,
	// so that a resolver that does not answer cannot hold the stop for a
	// lookup budget a message.
	drain, cancel := context.WithTimeout(context.Background(), o.grace)
	for _, d := range <-held {
		an.analyse(drain, d)
	}
	cancel()
	an.note(out.Flush())
	return serveStatus(errors.Join(stopErr, an.err), an.failed, s)
}

// serveListener is one of serve's listening sockets.
type serveListener struct {
	net.Listener
	implicitTLS bool
}

// kind is what the startup line says after the address: nothing for the plain listener, whose line
// scripts and tests read as it always was.
func (l serveListener) kind() string {
	if l.implicitTLS {
		return " (implicit TLS)"
	}
	return ""
}

// listenAll opens the plain listener, unless --listen is empty, then those of --listen-tls. When one
// fails (smtpd.ErrAddrInUse names the port) those already open are closed.
func listenAll(srv *smtpd.Server, o serveOptions) ([]serveListener, error) {
	var ls []serveListener
	add := func(addr string, implicitTLS bool) error {
		l, err := srv.ListenOn(addr)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		ls = append(ls, serveListener{l, implicitTLS})
		return nil
	}
	var err error
	if o.smtp.Addr != "" {
		err = add(o.smtp.Addr, false)
	}
	for _, addr := range o.listenTLS {
		if err == nil {
			err = add(addr, true)
		}
	}
	if err != nil {
		for _, l := range ls {
			l.Close()
		}
		return nil, err
	}
	return ls, nil
}

// serveAll serves every listener; the channel has what each Serve returned, the first when it ends.
func serveAll(srv *smtpd.Server, ls []serveListener) <-chan error {
	served := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			if l.implicitTLS {
				served <- srv.ServeTLS(l.Listener)
			} else {
				served <- srv.Serve(l.Listener)
			}
		}()
	}
	return served
}

// holdDeliveries takes every delivery sent on ch until ch is closed, then
// hands them over, in delivery order.
func holdDeliveries(ch <-chan capture.Delivery) <-chan []capture.Delivery {
	out := make(chan []capture.Delivery, 1)
	go func() {
		var held []capture.Delivery
		for d := range ch {
			held = append(held, d)
		}
		out <- held
	}()
	return out
}

// serveStatus is the run's outcome, as analyze's runStatus: when a message
// met --fail-on the gate's status wins (3), and what else went wrong is
// still said.
func serveStatus(err error, failed int, s streams) error {
	if failed == 0 {
		return err
	}
	if err != nil {
		printError(s.err, err)
	}
	return errGate
}

// deliveryQueue is how many stored messages may wait for analysis before the Maildir's callback waits
// (and, 1024 more later, the sessions); tests shrink it.
var deliveryQueue = 1024

// serveKeepBytes bounds the small messages waiting for analysis in memory, so that analysis need not
// read back what was just written (capture.Options.KeepBytes); past it, they are read from new/.
const serveKeepBytes = 8 << 20

// serveMemoryLimit is the Go heap's soft limit in `mailtrace serve` unless GOMEMLIMIT says otherwise.
const serveMemoryLimit = 96 << 20

// serveAnalyzer builds the analysis shared by every message: one resolver
// and its cache for the whole run. It returns the rule flags (the rules
// --disable keeps from running, the --fail-on gate), and how many messages
// are analysed at once: one, but with network DNS, whose answers keep an
// analysis waiting, networkWorkers.
func serveAnalyzer(c *cli.Context) (*analyze.Analyzer, ruleOptions, int, error) {
	resolver, mode, err := resolverFromFlags(c)
	if err != nil {
		return nil, ruleOptions{}, 0, err
	}
	rules, err := ruleOptionsFrom(c)
	if err != nil {
		return nil, ruleOptions{}, 0, err
	}
	ao := rules.analyzeOptions(resolver, mode)
	ao.HeaderOnly, ao.Attached = c.Bool("header-only"), c.Bool("attached")
	return analyze.New(ao), rules, workersFor(false, 1, mode), nil
}

func openReport(path string) (io.WriteCloser, error) {
	if path == "" {
		return nopCloser{io.Discard}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return f, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// shutdown stops accepting, lets transactions finish within grace, answers
// 421 to the rest, then flushes the Maildir's last callbacks.
func shutdown(srv *smtpd.Server, md *capture.Maildir, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(ctx) // past the grace period the rest got 421: not an error of the run
	_ = md.Close()
}

// serveAnalysis analyses stored messages one at a time, in delivery order.
type serveAnalysis struct {
	a      *analyze.Analyzer
	out    *bufio.Writer
	report io.Writer // nil without --report
	count  uint64
	// failOn says whether a report meets --fail-on; failed counts those
	// that did, for the exit status.
	failOn func(*analyze.MessageReport) bool
	failed int
	// workers is how many queued messages are analysed at once (their
	// lines still come in delivery order); see serveAnalyzer.
	workers int
	err     error // the first error writing output
	// idle reports that no session is open: memory is given back to the
	// system once deliveries stop and it stays true for restAfter.
	idle func() bool
}

// restAfter is how long the sink waits, once deliveries stop and no
// session is open, before it gives back the memory a burst used; tests
// shorten it.
var restAfter = time.Second

// freeOSMemory is debug.FreeOSMemory; tests watch it.
var freeOSMemory = debug.FreeOSMemory

// loop analyses deliveries until the context ends (a signal), the server
// fails, or exitAfter messages were analysed.
func (an *serveAnalysis) loop(ctx context.Context, deliveries <-chan capture.Delivery, served <-chan error, exitAfter uint64) error {
	rest := time.NewTimer(restAfter)
	rest.Stop()
	defer rest.Stop()
	for {
		select {
		case <-rest.C:
			an.rest(rest)
		case <-ctx.Done():
			return nil // SIGINT/SIGTERM: a graceful stop, exit 0
		case err := <-served:
			if errors.Is(err, smtpd.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("serve: %w", err)
		case d := <-deliveries:
			an.analyseQueued(ctx, d, deliveries)
			if exitAfter > 0 && an.count >= exitAfter {
				return nil
			}
			if len(deliveries) == 0 { // idle: lines must not wait for the next message
				an.note(an.out.Flush())
				rest.Reset(restAfter)
			}
		}
	}
}

// rest gives the memory of a finished burst back to the system: sessions'
// buffers, pooled spools and the analysis's garbage would otherwise stay
// resident, since a sink at rest allocates nothing that would start the
// collector. A session still open (a client between messages) puts it off.
func (an *serveAnalysis) rest(timer *time.Timer) {
	if an.idle != nil && !an.idle() {
		timer.Reset(restAfter)
		return
	}
	freeOSMemory()
}

// parallelBytes bounds the stored messages analysed at once by
// analyseQueued: many small ones, or a large one or two.
const parallelBytes = 32 << 20

// analyseQueued analyses d, and with more than one worker also the
// deliveries already queued behind it, all at once: up to workers of them,
// and none more once they hold parallelBytes. Their lines follow in
// delivery order. With 30 ms DNS answers and a new domain in every message,
// one at a time analysed 15.6 msg/s, 16 at a time 121-125.
func (an *serveAnalysis) analyseQueued(ctx context.Context, d capture.Delivery, queue <-chan capture.Delivery) {
	if an.workers <= 1 {
		an.analyse(ctx, d)
		return
	}
	batch, size := []capture.Delivery{d}, d.Size
gather:
	for len(batch) < an.workers && size < parallelBytes {
		select {
		case next := <-queue:
			batch, size = append(batch, next), size+next.Size
		default:
			break gather // nothing more is waiting
		}
	}
	results := make([][]*analyze.MessageReport, len(batch))
	var wg sync.WaitGroup
	for i, d := range batch {
		wg.Go(func() { results[i] = an.reports(ctx, d) })
	}
	wg.Wait()
	for i, d := range batch {
		an.emit(d, results[i])
	}
}

func (an *serveAnalysis) analyse(ctx context.Context, d capture.Delivery) {
	an.emit(d, an.reports(ctx, d))
}

// reports analyses one stored message; it writes nothing.
func (an *serveAnalysis) reports(ctx context.Context, d capture.Delivery) []*analyze.MessageReport {
	raw, err := d.ReadMessage()
	if err != nil {
		return []*analyze.MessageReport{analyze.ErrorReport(d.Path, 0, fmt.Errorf("read stored message: %w", err))}
	}
	// With --attached the messages it carries follow, read from their
	// own trace: the session's envelope is the carrier's.
	return an.a.AnalyzeAll(ctx, analyze.Input{File: d.Path, Raw: raw, Envelope: trueEnvelope(d),
		Session: sessionOf(d), Anomalies: anomaliesOf(d), Prepended: int(d.HeaderSize)})
}

// emit writes a delivery's line on stdout and, with --report, its JSON.
func (an *serveAnalysis) emit(d capture.Delivery, ms []*analyze.MessageReport) {
	an.count++
	var err error
	for _, m := range ms {
		if an.failOn != nil && an.failOn(m) {
			an.failed++
		}
		_, err = fmt.Fprintln(an.out, deliveryLine(d, m))
		an.note(err)
		if an.report != nil {
			an.note(report.JSONLine(an.report, m))
		}
	}
}

// note keeps the first output error: the run goes on (messages are safe
// in the Maildir) and ends with it.
func (an *serveAnalysis) note(err error) {
	if an.err == nil && err != nil {
		an.err = err
	}
}

// trueEnvelope is the envelope the SMTP session carried: the one piece of
// evidence no header can fake.
func trueEnvelope(d capture.Delivery) *analyze.Envelope {
	env := &analyze.Envelope{Source: "smtp", RcptTo: []string{}}
	if d.Envelope == nil {
		return env
	}
	env.MailFrom = d.Envelope.From
	for _, r := range d.Envelope.Rcpts {
		env.RcptTo = append(env.RcptTo, r.Address)
	}
	return env
}

// serveSession is the `session` object of a captured message's report.
type serveSession struct {
	ClientIP    string                 `json:"client_ip"`
	ClientPort  int                    `json:"client_port"`
	HELO        string                 `json:"helo"`
	TLS         *smtpd.TLSInfo         `json:"tls,omitempty"`
	Auth        *smtpd.AuthInfo        `json:"auth,omitempty"`
	Envelope    *smtpd.Envelope        `json:"envelope"`
	QueueID     string                 `json:"queue_id"`
	Maildir     string                 `json:"maildir_path"`
	Record      string                 `json:"session_record,omitempty"` // the run's journal (JSON lines), or the message's own record file
	RecordAt    int64                  `json:"session_record_offset"`    // where this message's record starts in it
	Anomalies   []smtpd.Anomaly        `json:"anomalies"`
	HeaderBytes int64                  `json:"header_bytes"` // octets mailtrace prepended (Return-Path, Received, ...)
	Transcript  []smtpd.TranscriptLine `json:"-"`            // in the session record file
}

func sessionOf(d capture.Delivery) *serveSession {
	r := d.Session
	return &serveSession{ClientIP: r.ClientIP, ClientPort: r.ClientPort, HELO: r.Helo, TLS: r.TLS, Auth: r.Auth,
		Envelope: d.Envelope, QueueID: d.QueueID, Maildir: d.Path, Record: d.SessionPath, RecordAt: d.SessionOffset,
		Anomalies: anomaliesFor(d), HeaderBytes: d.HeaderSize}
}

// anomaliesFor keeps the session's anomalies and this message's own, not
// those of other messages of the same session.
func anomaliesFor(d capture.Delivery) []smtpd.Anomaly {
	out := []smtpd.Anomaly{}
	for _, a := range d.Session.Anomalies {
		if a.Where == smtpd.InSession || a.QueueID == d.QueueID {
			out = append(out, a)
		}
	}
	return out
}

func anomaliesOf(d capture.Delivery) []analyze.SessionAnomaly {
	var out []analyze.SessionAnomaly
	for _, a := range anomaliesFor(d) {
		out = append(out, analyze.SessionAnomaly{Code: a.Code, Detail: a.Detail, Where: a.Where, Offset: a.Offset, Line: a.Line})
	}
	return out
}

// deliveryLine is the one line per message on stdout: queue id, envelope
// (for an attached message, its part: the envelope is its carrier's),
// verdict and the weightiest finding.
func deliveryLine(d capture.Delivery, m *analyze.MessageReport) string {
	var line string
	if m.Part != "" {
		line = fmt.Sprintf("%s attached part=%s verdict=%s score=%d", d.QueueID, m.Part, m.Verdict, m.Score)
	} else {
		env := trueEnvelope(d)
		line = fmt.Sprintf("%s from=<%s> to=<%s> verdict=%s score=%d", d.QueueID, env.MailFrom,
			strings.Join(env.RcptTo, ">,<"), m.Verdict, m.Score)
	}
	if f := topFinding(m.Findings); f != nil {
		line += fmt.Sprintf(" top=%s(%s): %s", f.Rule, f.Severity, f.Message)
	}
	if m.Error != "" {
		line += " error: " + m.Error
	}
	return report.Safe(line)
}

func topFinding(fs []analyze.Finding) *analyze.Finding {
	var top *analyze.Finding
	for i := range fs {
		if top == nil || analyze.SeverityWeight(fs[i].Severity) > analyze.SeverityWeight(top.Severity) {
			top = &fs[i]
		}
	}
	return top
}
