// Package capture is the capturing sink behind the SMTP engine: an smtpd.Backend that stores every
// accepted message in a Maildir and its session record beside it, then tells the caller.
//
// Layout under Options.Dir (default ./mailtrace-mail):
//
//	tmp/  new/  cur/             a Maildir (https://cr.yp.to/proto/maildir.html); messages land in new/
//	sessions/<run>.jsonl         the journal of this run: one JSON line per stored message (its
//	                             "message" is new/<unique>), and with Options.RecordIdle one more
//	                             per session, without "message", at its close: the whole session
//	                             when it delivered nothing, else its end after the last message
//	sessions/<unique>.json       instead, with Options.SessionFiles: the record of the message
//	                             new/<unique> in a file of its own
//
// sessions/ is a plain directory without a leading dot, so Maildir and Maildir++ readers never take it
// for mail or a folder. <run> is a Maildir unique name taken at New, so runs never share a journal.
//
// A message is written to tmp/, made durable, renamed into new/, and its name made durable before the
// engine sends 250: an acknowledged message survives a crash, and new/ never holds a partial one.
// Concurrent sessions share the syncs (group commit: on Linux one syncfs per batch, see committer). The file starts with what the sink adds, the way
// Postfix's local delivery does:
//
//	Return-Path: <envelope sender>
//	X-Original-To: <each recipient>     (one field per recipient)
//	Delivered-To: <each recipient>
//	Received: from HELO (NAME [IP]) ... by HOSTNAME (mailtrace) with ESMTPS id QID; DATE
//	X-Mailtrace-Folded: ...             (only when the client's text starts with white space, which
//	                                    would otherwise continue the Received field)
//
// followed by the client's message byte for byte (bare CR and LF included). Recipients never go in the
// Received field, which would leak Bcc. Delivery.HeaderSize says where the client's octets begin.
//
// Nothing slow happens before the 250: after it, the session queues its record and delivery to one
// background goroutine, which appends the queued records to the journal in one write per batch (not
// fsynced: after a crash the journal may lack the last records, or end in a torn line that readers
// skip) and then calls Options.OnDelivery for each, in delivery order. A slow callback delays neither
// clients nor sessions until 1024 deliveries are queued. One journal instead of one file per record
// halves the files created per message, and the data the next batch's sync writes out.
package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtrace/mailtrace/smtpd"
)

// Delivery describes one stored message. It is handed to Options.OnDelivery after the 250.
type Delivery struct {
	// Seq counts deliveries of this Maildir from 1, so that "exit after N messages" is Seq == N.
	Seq  uint64
	Path string // the message file, in new/
	// SessionPath is the journal that holds its session record, the line starting at SessionOffset
	// ("" if the record could not be written).
	SessionPath   string
	SessionOffset int64
	QueueID       string
	Envelope      *smtpd.Envelope // the true envelope
	// Session is the session up to this message's 250, except that its Transcript holds only the lines
	// from index TranscriptFrom of the whole transcript on, those since the session's previous
	// message: a long session would otherwise copy its whole transcript into every delivery waiting in
	// the queue.
	Session        smtpd.SessionRecord
	TranscriptFrom int
	HeaderSize     int64 // octets the sink prepended; the client's message starts here
	Size           int64 // octets of the client's message
	kept           *keptCopy
}

// Options configure a Maildir. The zero value stores in ./mailtrace-mail with fsync.
type Options struct {
	Dir string // default "./mailtrace-mail"
	// NoSync skips fsync: an acknowledged message can then be lost in a crash. For tests and benchmarks.
	NoSync bool
	// OnDelivery is called once per stored message, after its 250 and after its record is in the
	// journal, from a single goroutine in delivery order. While it runs, later records and callbacks
	// wait (up to a queue of 1024, then sessions wait).
	OnDelivery func(Delivery)
	// RecordIdle also writes, when a session closes, the record of what no message's record holds: the
	// whole session when it delivered no message (scanners, early talkers, HTTP probes, failed TLS
	// handshakes, messages refused), else its end after the last message's 250 (the commands and
	// anomalies since, the close reason), its transcript from TranscriptFrom on.
	RecordIdle bool
	// Host names this machine in Maildir file names; default os.Hostname().
	Host string
	// SessionFiles writes each session record to a file of its own, sessions/<message name>.json,
	// instead of a line of the run's journal: the record sits by the message's name, at the cost of one
	// more file per message (written after the 250, not fsynced).
	SessionFiles bool
	// KeepBytes hands small stored messages to OnDelivery in memory as well, for ReadMessage to return
	// without reading the file back, as long as the copies not yet read hold at most this many bytes
	// (0: none). A message is kept when it fits the 32 KiB it passes through on its way to disk; larger
	// ones are never held whole.
	KeepBytes int64
}

// Maildir is the capture backend. It is safe for concurrent sessions.
type Maildir struct {
	opts    Options
	dir     string
	tmpDir  string // filepath.Join(dir, "tmp"), made once: a message's paths are then one concatenation
	newDir  string // filepath.Join(dir, "new")
	host    string
	pid     int
	seq     atomic.Uint64
	count   atomic.Uint64
	commit  *committer // nil with NoSync
	journal *journal   // written by the notifier goroutine only
	jobs    chan job   // for the notifier goroutine
	wg      sync.WaitGroup
	closed  atomic.Bool
	live    liveSessions
	kept    atomic.Int64 // bytes of kept copies not yet read (Options.KeepBytes)
	// create opens a file in tmp/; tests replace it to inject write failures.
	create func(path string) (file, error)
}

// file is what a message is written to.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// New creates the Maildir directories if needed and returns the backend. Close it after the server has
// shut down.
func New(opts Options) (*Maildir, error) {
	if opts.Dir == "" {
		opts.Dir = "./mailtrace-mail"
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	m := &Maildir{opts: opts, dir: opts.Dir, host: sanitizeHost(opts.Host), pid: os.Getpid(), jobs: make(chan job, 1024)}
	for _, sub := range []string{"tmp", "new", "cur", "sessions"} {
		if err := os.MkdirAll(filepath.Join(m.dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("capture: create maildir: %w", err)
		}
	}
	m.create = createFile
	m.tmpDir, m.newDir = filepath.Join(m.dir, "tmp"), filepath.Join(m.dir, "new")
	sessions := filepath.Join(m.dir, "sessions")
	j := recordFiles(sessions, func() string { return m.uniqueName(time.Now()) })
	if !opts.SessionFiles {
		var err error
		if j, err = openJournal(filepath.Join(sessions, m.uniqueName(time.Now())+".jsonl")); err != nil {
			return nil, err
		}
	}
	m.journal = j
	if !opts.NoSync {
		c, err := newCommitter(m.newDir)
		if err != nil {
			j.close()
			return nil, err
		}
		m.commit = c
	}
	m.wg.Add(1)
	go m.notify()
	return m, nil
}

// Dir returns the Maildir's root.
func (m *Maildir) Dir() string { return m.dir }

// Count returns how many messages were stored since New.
func (m *Maildir) Count() uint64 { return m.count.Load() }

// JournalPath is the file the session records of this run go to, or with Options.SessionFiles the
// directory that holds them.
func (m *Maildir) JournalPath() string { return m.journal.path }

// Close writes the records still queued, makes the last callbacks and stops the background goroutines.
// Call it once the server has shut down: no session may use the Maildir any more. It reports the last
// failure to write the journal, if any.
func (m *Maildir) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	close(m.jobs)
	m.wg.Wait()
	var err error
	if m.commit != nil {
		err = m.commit.close()
	}
	return errors.Join(err, m.journal.close())
}

// NewSession implements smtpd.Backend.
func (m *Maildir) NewSession(c *smtpd.Conn) (smtpd.Session, error) {
	m.live.add(1)
	return &session{m: m, c: c}, nil
}

// WaitIdle returns once no session is open, or with ctx's error. A command layer that stops after N
// messages calls it, after closing its listener, so that the client of the last message can still
// QUIT normally instead of getting 421.
func (m *Maildir) WaitIdle(ctx context.Context) error {
	idle := m.live.idleChan()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// liveSessions counts open sessions; idle is closed each time the count falls to zero.
type liveSessions struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (l *liveSessions) add(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		l.idle = make(chan struct{})
	}
	l.n += d
	if l.n == 0 {
		close(l.idle)
	}
}

// idleChan returns a channel closed when no session is open, or nil if none is open now.
func (l *liveSessions) idleChan() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return nil
	}
	return l.idle
}

// uniqueName returns a Maildir unique name: time, then microseconds, pid and a counter, then host.
// It is built on the stack: one allocation per message instead of five.
func (m *Maildir) uniqueName(now time.Time) string {
	var buf [128]byte
	b := strconv.AppendInt(buf[:0], now.Unix(), 10)
	b = strconv.AppendInt(append(b, ".M"...), int64(now.Nanosecond()/1000), 10)
	b = strconv.AppendInt(append(b, 'P'), int64(m.pid), 10)
	b = strconv.AppendUint(append(b, 'Q'), m.seq.Add(1), 10)
	return string(append(append(b, '.'), m.host...))
}

// sanitizeHost escapes "/" and ":" as the Maildir specification asks.
func sanitizeHost(h string) string {
	if h == "" {
		h = "localhost"
	}
	return strings.NewReplacer("/", `\057`, ":", `\072`).Replace(h)
}

// session is one connection's use of the Maildir.
type session struct {
	m         *Maildir
	c         *smtpd.Conn
	delivered int
	sentLines int // transcript lines already written in an earlier record of this session
}

func (s *session) Mail(*smtpd.Envelope) error                  { return nil }
func (s *session) Rcpt(*smtpd.Envelope, smtpd.Recipient) error { return nil }
func (s *session) Reset()                                      {}

// Close queues, when Options.RecordIdle asks for it, the record of what no message's record holds:
// the whole session when it stored nothing, else its end after the last message's 250 (later
// commands, a message refused, anomalies, the close reason), from the transcript line after those
// already written on.
func (s *session) Close() {
	defer s.m.live.add(-1)
	if !s.m.opts.RecordIdle {
		return
	}
	rec := s.c.Record()
	rec.End = time.Now()
	from := min(s.sentLines, len(rec.Transcript))
	rec.Transcript = rec.Transcript[from:] // a snapshot: nothing else holds it
	s.m.jobs <- job{rec: sessionFile{Session: rec, TranscriptFrom: from}}
}

// Data opens tmp/<unique> and writes the fields the sink adds.
func (s *session) Data(env *smtpd.Envelope) (smtpd.MessageWriter, error) {
	name := s.m.uniqueName(time.Now())
	tmp := s.m.tmpDir + string(filepath.Separator) + name // = filepath.Join(dir, "tmp", name)
	f, err := s.m.create(tmp)
	if err != nil {
		return nil, fmt.Errorf("capture: create %s: %w", tmp, err)
	}
	w := &writer{s: s, f: f, name: name, tmp: tmp, env: env}
	w.sp.init(f)
	w.buf = &w.sp
	n, err := writePrependedHeader(w.buf, env, s.c.ReceivedHeader(env, env.Start))
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("capture: write %s: %w", tmp, err)
	}
	w.headerSize = n
	return w, nil
}

// writePrependedHeader writes what the sink adds before the client's message, straight into the
// message's buffer, and returns its size.
func writePrependedHeader(sp *spool, env *smtpd.Envelope, received string) (int64, error) {
	var n int64
	write := func(parts ...string) error {
		for _, p := range parts {
			m, err := sp.WriteString(p)
			n += int64(m)
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := write("Return-Path: <", env.From, ">\r\n"); err != nil {
		return n, err
	}
	for _, r := range env.Rcpts {
		if err := write("X-Original-To: ", r.Address, "\r\n"); err != nil {
			return n, err
		}
	}
	for _, r := range env.Rcpts {
		if err := write("Delivered-To: ", r.Address, "\r\n"); err != nil {
			return n, err
		}
	}
	return n, write(received)
}

// writer is one message on its way to new/. The message passes through a 32 KiB buffer and is never
// held whole beyond it.
type writer struct {
	s          *session
	f          file
	buf        *spool // &sp until released
	sp         spool
	name, tmp  string
	env        *smtpd.Envelope
	headerSize int64
	size       int64
	path       string // in new/, once committed
	closed     bool
	kept       *keptCopy
}

func (w *writer) Write(p []byte) (int, error) {
	if w.size == 0 && len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
		if err := w.guardFold(); err != nil {
			return 0, err
		}
	}
	n, err := w.buf.Write(p)
	w.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("capture: write %s: %w", w.tmp, err)
	}
	return n, nil
}

// foldGuard is the field the sink adds last when the client's text starts with white space: any
// reader of the stored file (RFC 5322 §2.2.3 unfolding) joins that first line to the field above it,
// which would otherwise be the sink's own Received field, so that a client writing
// "\t(using TLSv1.3 ...)" first would add to the trace the sink vouches for.
const foldGuard = "X-Mailtrace-Folded: the message text below starts with white space and so continues this field\r\n"

// guardFold writes foldGuard after the sink's fields, before the client's first octet.
func (w *writer) guardFold() error {
	n, err := w.buf.WriteString(foldGuard)
	w.headerSize += int64(n)
	if err != nil {
		return fmt.Errorf("capture: write %s: %w", w.tmp, err)
	}
	return nil
}

// Commit flushes the message and makes it durable in new/: through the group committer, or with
// NoSync by a plain close and rename.
func (w *writer) Commit() error {
	m := w.s.m
	dst := m.newDir + string(filepath.Separator) + w.name // = filepath.Join(dir, "new", name)
	if raw := w.buf.whole(); raw != nil && m.opts.KeepBytes > 0 {
		w.kept = keep(raw, &m.kept, m.opts.KeepBytes)
	}
	if err := w.buf.flush(); err != nil {
		w.Abort()
		return fmt.Errorf("capture: store %s: %w", w.tmp, err)
	}
	w.release()
	w.closed = true // from here on the committer owns the file
	var err error
	if c := m.commit; c != nil {
		err = c.submit(w, dst)
	} else {
		err = w.f.Close()
		if err == nil {
			err = rename(w.tmp, dst)
		}
		if err != nil {
			os.Remove(w.tmp)
		}
	}
	if err != nil {
		w.kept.take() // nobody will: give its bytes back
		return fmt.Errorf("capture: deliver %s: %w", dst, err)
	}
	w.path = dst
	return nil
}

// Abort drops the message: nothing stays in tmp/ or new/.
func (w *writer) Abort() {
	w.release()
	if !w.closed {
		w.f.Close()
		w.closed = true
	}
	os.Remove(w.tmp)
}

// release returns the buffer to the pool.
func (w *writer) release() {
	if w.buf != nil {
		w.buf.release()
		w.buf = nil
	}
}

// Acknowledged queues the session record and the delivery report, after the 250: the notifier
// goroutine writes the record to the journal, then reports the delivery.
func (w *writer) Acknowledged() {
	s := w.s
	s.delivered++
	s.m.count.Add(1)
	rec := s.c.Record()
	from := min(s.sentLines, len(rec.Transcript))
	s.sentLines = len(rec.Transcript)
	if from > 0 { // the snapshot is a copy already: only a later message drops the lines sent before
		rec.Transcript = append(make([]smtpd.TranscriptLine, 0, len(rec.Transcript)-from), rec.Transcript[from:]...) // the rest is garbage now
	}
	env := w.env.Clone()
	s.m.jobs <- job{
		rec: sessionFile{Message: "new/" + w.name, QueueID: env.QueueID, HeaderSize: w.headerSize,
			Envelope: env, Session: rec, TranscriptFrom: from},
		delivery: &Delivery{Path: w.path, QueueID: env.QueueID, Envelope: env, Session: rec,
			TranscriptFrom: from, HeaderSize: w.headerSize, Size: w.size, kept: w.kept},
	}
}
