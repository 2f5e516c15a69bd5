package capture

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/smtpd"
)

// sink is a capture backend served on 127.0.0.1:0.
type sink struct {
	md         *Maildir
	addr       string
	deliveries chan Delivery
	closed     chan smtpd.SessionRecord // one per finished session
}

// closeWatch wraps the Maildir to report when each session is over.
type closeWatch struct {
	*Maildir
	closed chan smtpd.SessionRecord
}

func (w closeWatch) NewSession(c *smtpd.Conn) (smtpd.Session, error) {
	s, err := w.Maildir.NewSession(c)
	return watchedSession{Session: s, c: c, closed: w.closed}, err
}

type watchedSession struct {
	smtpd.Session
	c      *smtpd.Conn
	closed chan smtpd.SessionRecord
}

func (s watchedSession) Close() {
	s.Session.Close()
	s.closed <- s.c.Record()
}

func startSink(t testing.TB, opts Options, mod func(*smtpd.Options)) *sink {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s := &sink{deliveries: make(chan Delivery, 10000), closed: make(chan smtpd.SessionRecord, 1000)}
	opts.OnDelivery = func(d Delivery) { s.deliveries <- d }
	md, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.md = md
	so := smtpd.Options{Hostname: "mx.test", DisableSTARTTLS: true, MaxConns: 200}
	if mod != nil {
		mod(&so)
	}
	srv, err := smtpd.NewServer(so, closeWatch{md, s.closed})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
		md.Close()
	})
	return s
}

// client is a minimal raw client: it sends exactly the octets it is given.
type client struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(60 * time.Second))
	s := &client{t: t, nc: nc, br: bufio.NewReader(nc)}
	s.expect("220 ")
	s.cmd("EHLO client.example", "250 ")
	return s
}

// expect reads one reply (skipping continuation lines) and checks its start.
func (s *client) expect(prefix string) string {
	s.t.Helper()
	for {
		l, err := s.br.ReadString('\n')
		if err != nil {
			s.t.Fatalf("want %q: %v", prefix, err)
		}
		if len(l) > 3 && l[3] == '-' {
			continue
		}
		if !strings.HasPrefix(l, prefix) {
			s.t.Fatalf("got %q, want %q", l, prefix)
		}
		return strings.TrimSpace(l)
	}
}

func (s *client) cmd(line, want string) string {
	s.t.Helper()
	if _, err := s.nc.Write([]byte(line + "\r\n")); err != nil {
		s.t.Fatal(err)
	}
	return s.expect(want)
}

// send runs one transaction with body sent as is (it must already be dot-stuffed) and returns the reply
// to the final dot.
func (s *client) send(from, to, body, want string) string {
	s.t.Helper()
	s.cmd("MAIL FROM:<"+from+">", "250 ")
	s.cmd("RCPT TO:<"+to+">", "250 ")
	s.cmd("DATA", "354 ")
	if _, err := s.nc.Write([]byte(body + ".\r\n")); err != nil {
		s.t.Fatal(err)
	}
	return s.expect(want)
}

// stuff applies RFC 5321 §4.5.2 transparency to CRLF text.
func stuff(text string) string {
	if strings.HasPrefix(text, ".") {
		text = "." + text
	}
	return strings.ReplaceAll(text, "\r\n.", "\r\n..")
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func waitDelivery(t testing.TB, s *sink) Delivery {
	t.Helper()
	select {
	case d := <-s.deliveries:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
		return Delivery{}
	}
}

func waitClosed(t testing.TB, s *sink) smtpd.SessionRecord {
	t.Helper()
	select {
	case r := <-s.closed:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
		return smtpd.SessionRecord{}
	}
}

// TestStoreAndRecord: the file in new/ is the sink's fields then the client's octets; the session
// record beside it has the true envelope and the transcript up to the 250.
func TestStoreAndRecord(t *testing.T) {
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	text := "Subject: exact\r\n\r\n.dot line\r\nbare\nLF and bare\rCR, NUL \x00, 8-bit \xe9\r\n"
	c.cmd("MAIL FROM:<alice@client.example> BODY=8BITMIME", "250 ")
	c.cmd("RCPT TO:<bob@mx.test>", "250 ")
	c.cmd("RCPT TO:<hidden-bcc@mx.test> NOTIFY=NEVER", "250 ")
	c.cmd("DATA", "354 ")
	c.nc.Write([]byte(stuff(text) + ".\r\n"))
	reply := c.expect("250 2.0.0 Ok: queued as ")
	d := waitDelivery(t, s)
	if !strings.HasSuffix(reply, d.QueueID) || d.Seq != 1 || d.Size != int64(len(text)) {
		t.Errorf("reply %q, delivery %+v", reply, d)
	}
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(d.Path) != filepath.Join(s.md.Dir(), "new") || string(b[d.HeaderSize:]) != text {
		t.Fatalf("stored %s:\n%q", d.Path, b)
	}
	head := string(b[:d.HeaderSize])
	for _, want := range []string{
		"Return-Path: <alice@client.example>\r\nX-Original-To: bob@mx.test\r\nX-Original-To: hidden-bcc@mx.test\r\n" +
			"Delivered-To: bob@mx.test\r\nDelivered-To: hidden-bcc@mx.test\r\nReceived: from client.example (unknown [127.0.0.1])\r\n",
		"\tby mx.test (mailtrace) with ESMTP id " + d.QueueID + ";\r\n",
	} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	if received := head[strings.Index(head, "Received:"):]; strings.Contains(received, "hidden-bcc") {
		t.Errorf("recipient in Received: %s", received)
	}
	sf, raw := readRecord(t, d)
	last := sf.Session.Transcript[len(sf.Session.Transcript)-1]
	if sf.QueueID != d.QueueID || sf.Envelope.From != "alice@client.example" || len(sf.Envelope.Rcpts) != 2 ||
		sf.Envelope.Rcpts[1].Notify[0] != "NEVER" || sf.Session.ClientIP != "127.0.0.1" || sf.Session.Helo != "client.example" ||
		last.Text != reply || filepath.Join(s.md.Dir(), sf.Message) != d.Path || sf.HeaderSize != d.HeaderSize {
		t.Errorf("session file %s", raw)
	}
	if names := listDir(t, filepath.Join(s.md.Dir(), "tmp")); len(names) != 0 {
		t.Errorf("tmp/ not empty: %v", names)
	}
	// A second message in the session repeats only the transcript since the first.
	c.send("alice@client.example", "bob@mx.test", "second\r\n", "250 ")
	d2 := waitDelivery(t, s)
	sf2, _ := readRecord(t, d2)
	if d2.SessionPath != d.SessionPath || d2.SessionOffset != d.SessionOffset+int64(len(raw)) {
		t.Errorf("second record at %s:%d, want %s:%d", d2.SessionPath, d2.SessionOffset, d.SessionPath, d.SessionOffset+int64(len(raw)))
	}
	if d2.TranscriptFrom != sf2.TranscriptFrom || len(d2.Session.Transcript) != len(sf2.Session.Transcript) {
		t.Errorf("delivery transcript from %d (%d lines), record from %d (%d lines)", d2.TranscriptFrom,
			len(d2.Session.Transcript), sf2.TranscriptFrom, len(sf2.Session.Transcript))
	}
	if d2.Seq != 2 || sf2.TranscriptFrom != len(sf.Session.Transcript) || sf2.Session.Transcript[0].Text != "MAIL FROM:<alice@client.example>" {
		t.Errorf("second record from %d: %+v", sf2.TranscriptFrom, sf2.Session.Transcript)
	}
}

// readRecord returns the journal line of d's session record, decoded and raw (with its line end).
func readRecord(t testing.TB, d Delivery) (sessionFile, []byte) {
	t.Helper()
	f, err := os.Open(d.SessionPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(d.SessionOffset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	raw, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		t.Fatalf("record of %s at %s:%d: %v", d.QueueID, d.SessionPath, d.SessionOffset, err)
	}
	var sf sessionFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		t.Fatalf("record of %s: %v", d.QueueID, err)
	}
	return sf, raw
}

// TestLeadingWhiteSpaceFoldsIntoGuard: client text that starts with white space would continue the
// sink's own Received field for any reader of the stored file; a field of the sink's own comes
// between them, and the client's octets after HeaderSize are still byte for byte what it sent.
func TestLeadingWhiteSpaceFoldsIntoGuard(t *testing.T) {
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	text := "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) for <ceo@victim.example>\r\nSubject: x\r\n\r\nbody\r\n"
	c.send("alice@client.example", "bob@mx.test", stuff(text), "250 ")
	d := waitDelivery(t, s)
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[d.HeaderSize:]) != text || d.Size != int64(len(text)) {
		t.Fatalf("client octets not kept as sent: %q", b[d.HeaderSize:])
	}
	if head := string(b[:d.HeaderSize]); !strings.Contains(head[strings.LastIndex(head, "\r\nReceived: "):], "\r\nX-Mailtrace-Folded: ") {
		t.Errorf("sink's fields do not end with the guard:\n%s", head)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Header.Get("Received"); strings.Contains(r, "TLSv1.3") || !strings.Contains(r, "by mx.test (mailtrace)") {
		t.Errorf("a reader of the stored file sees the sink's Received field as %q", r)
	}
}

// TestDisconnectMidData: a client that vanishes inside DATA leaves nothing in new/ and nothing in tmp/.
func TestDisconnectMidData(t *testing.T) {
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	c.cmd("MAIL FROM:<a@client.example>", "250 ")
	c.cmd("RCPT TO:<b@mx.test>", "250 ")
	c.cmd("DATA", "354 ")
	c.nc.Write([]byte("Subject: cut\r\n\r\n" + strings.Repeat("half a message\r\n", 5000)))
	c.nc.Close()
	rec := waitClosed(t, s)
	if n := len(listDir(t, filepath.Join(s.md.Dir(), "new"))) + len(listDir(t, filepath.Join(s.md.Dir(), "tmp"))); n != 0 {
		t.Errorf("%d files left in new/ and tmp/", n)
	}
	if a := rec.Anomalies; len(a) == 0 || a[len(a)-1].Code != smtpd.AnomalyDataIncomplete {
		t.Errorf("anomalies %+v", a)
	}
}

// failingFile fails writes with err once more than limit octets were written, or Sync with syncErr.
type failingFile struct {
	*os.File
	limit   int
	written int
	err     error
	syncErr error
}

func (f *failingFile) Write(p []byte) (int, error) {
	if f.written+len(p) > f.limit {
		return 0, f.err
	}
	f.written += len(p)
	return f.File.Write(p)
}

func (f *failingFile) Sync() error {
	if f.syncErr != nil {
		return f.syncErr
	}
	return f.File.Sync()
}

// TestStorageFailures: disk errors are answered 452 (full) or 451, the message is not acknowledged, and
// nothing is left behind.
func TestStorageFailures(t *testing.T) {
	tests := []struct {
		name   string
		create func(string) (file, error)
		breaks func(dir string) // damages the Maildir instead
		reply  string           // to DATA ("354 " when it is accepted) ...
		final  string           // ... and to the final dot
	}{
		{name: "disk full while writing", reply: "354 ", final: "452 4.3.1 ", create: func(p string) (file, error) {
			f, err := os.Create(p)
			return &failingFile{File: f, limit: 40 << 10, err: fmt.Errorf("write: %w", syscall.ENOSPC)}, err
		}},
		{name: "I/O error on fsync", reply: "354 ", final: "451 4.3.0 ", create: func(p string) (file, error) {
			f, err := os.Create(p)
			return &failingFile{File: f, limit: 1 << 30, syncErr: syscall.EIO}, err
		}},
		{name: "cannot create", reply: "451 4.3.0 ", create: func(string) (file, error) { return nil, syscall.EACCES }},
		{name: "tmp is not a directory", reply: "451 4.3.0 ", breaks: func(dir string) {
			os.RemoveAll(filepath.Join(dir, "tmp"))
			os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o600)
		}},
		{name: "new is not a directory", reply: "354 ", final: "451 4.3.0 ", breaks: func(dir string) {
			os.RemoveAll(filepath.Join(dir, "new"))
			os.WriteFile(filepath.Join(dir, "new"), nil, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSink(t, Options{NoSync: tt.create == nil}, nil)
			if tt.create != nil {
				s.md.create = tt.create
			}
			if tt.breaks != nil {
				tt.breaks(s.md.Dir())
			}
			c := dial(t, s.addr)
			c.cmd("MAIL FROM:<a@client.example>", "250 ")
			c.cmd("RCPT TO:<b@mx.test>", "250 ")
			c.cmd("DATA", tt.reply)
			if tt.final != "" {
				c.nc.Write([]byte(strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 2000) + ".\r\n"))
				c.expect(tt.final)
			}
			c.cmd("NOOP", "250 ") // still in step with the client
			if tmp, _ := os.ReadDir(filepath.Join(s.md.Dir(), "tmp")); len(tmp) != 0 {
				t.Errorf("tmp/ keeps %d files", len(tmp))
			}
			if news, _ := os.ReadDir(filepath.Join(s.md.Dir(), "new")); len(news) != 0 {
				t.Errorf("new/ has %d files", len(news))
			}
			if s.md.Count() != 0 {
				t.Errorf("%d deliveries reported", s.md.Count())
			}
		})
	}
}

// orderFile checks, when the committer syncs it, that its message is not yet visible in new/.
type orderFile struct {
	*os.File
	dst     string
	visible chan bool
}

func (f *orderFile) Sync() error {
	_, err := os.Stat(f.dst)
	f.visible <- err == nil
	return f.File.Sync()
}

// TestSyncBeforeRename: a message is durable before its name appears in new/, so a crash never leaves
// a partial message there (Postfix's and chasquid's order).
func TestSyncBeforeRename(t *testing.T) {
	s := startSink(t, Options{}, nil)
	visible := make(chan bool, 1)
	s.md.create = func(p string) (file, error) {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		dst := filepath.Join(filepath.Dir(filepath.Dir(p)), "new", filepath.Base(p))
		return &orderFile{File: f, dst: dst, visible: visible}, err
	}
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: order\r\n\r\nbody\r\n", "250 ")
	if <-visible {
		t.Error("the message was in new/ before it was fsynced")
	}
	if d := waitDelivery(t, s); filepath.Dir(d.Path) != filepath.Join(s.md.Dir(), "new") {
		t.Errorf("delivered to %s", d.Path)
	}
}

// TestJournalWriteFailure: a record that cannot be written leaves the delivery without a record, but
// the message is stored and acknowledged, and Close reports the failure.
func TestJournalWriteFailure(t *testing.T) {
	s := startSink(t, Options{NoSync: true}, nil)
	ro, err := os.Open(s.md.JournalPath()) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	s.md.journal.f.Close()
	s.md.journal.f = ro
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: no record\r\n\r\nbody\r\n", "250 ")
	d := waitDelivery(t, s)
	if d.SessionPath != "" {
		t.Errorf("record reported at %s:%d", d.SessionPath, d.SessionOffset)
	}
	if _, err := os.Stat(d.Path); err != nil {
		t.Error(err)
	}
	c.cmd("QUIT", "221 ")
	waitClosed(t, s)
	if err := s.md.Close(); err == nil || !strings.Contains(err.Error(), "journal") {
		t.Errorf("Close: %v", err)
	}
}

// TestSmugglingNeverSplits sends each payload of ../testdata/smuggling.txt through the Maildir: never two
// files, and the smuggled "message" never stored on its own.
func TestSmugglingNeverSplits(t *testing.T) {
	raw, err := os.ReadFile("../testdata/smuggling.txt")
	if err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, l := range strings.Split(string(raw), "\n") {
		if p, err := strconv.Unquote(l); err == nil {
			payloads = append(payloads, p)
		}
	}
	if len(payloads) != 10 {
		t.Fatalf("%d payloads", len(payloads))
	}
	for _, reject := range []bool{false, true} {
		s := startSink(t, Options{NoSync: true}, func(o *smtpd.Options) { o.RejectBareLineEnds = reject })
		c := dial(t, s.addr)
		for i, p := range payloads {
			body := "Subject: first " + strconv.Itoa(i) + "\r\n\r\nbody" + p +
				"MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@mx.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
			want := "250 "
			if reject && strings.ContainsAny(strings.ReplaceAll(p, "\r\n", ""), "\r\n") {
				want = "554 "
			}
			c.send("a@client.example", "b@mx.test", body, want)
			c.cmd("NOOP", "250 2.0.0 Ok") // the smuggled commands did not run
		}
		files := listDir(t, filepath.Join(s.md.Dir(), "new"))
		for _, f := range files {
			b, _ := os.ReadFile(filepath.Join(s.md.Dir(), "new", f))
			if !strings.Contains(string(b), "Subject: first ") || !strings.Contains(string(b), "Subject: smuggled") {
				t.Errorf("reject=%v: %s is not one whole message: %q", reject, f, b)
			}
		}
		if want := map[bool]int{false: 10, true: 1}[reject]; len(files) != want {
			t.Errorf("reject=%v: %d files, want %d", reject, len(files), want)
		}
	}
}

// TestRecordIdle: a session without a message leaves its record when asked to.
func TestRecordIdle(t *testing.T) {
	s := startSink(t, Options{NoSync: true, RecordIdle: true}, nil)
	c := dial(t, s.addr)
	c.cmd("GET / HTTP/1.0", "421 ")
	rec := waitClosed(t, s)
	s.md.Close() // writes what is queued
	b, err := os.ReadFile(s.md.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	var sf sessionFile
	if err := json.Unmarshal(b, &sf); err != nil || sf.Message != "" || sf.Session.ID != rec.ID ||
		len(sf.Session.Anomalies) == 0 || sf.Session.Anomalies[0].Code != smtpd.AnomalyHTTP {
		t.Errorf("idle record (%v): %s", err, b)
	}
}

// TestRecordIdleSessionEnd: with RecordIdle, what a session does after its last message's 250 (a
// message refused with 552, a smuggling attempt in it, QUIT) is in a record of its own at the close,
// its transcript from the line after the message's record on; without it, only the message's record.
func TestRecordIdleSessionEnd(t *testing.T) {
	for _, idle := range []bool{false, true} {
		s := startSink(t, Options{NoSync: true, RecordIdle: idle}, func(o *smtpd.Options) { o.MaxMessageSize = 100 })
		c := dial(t, s.addr)
		c.send("a@client.example", "b@mx.test", "Subject: kept\r\n\r\nbody\r\n", "250 ")
		c.send("a@client.example", "b@mx.test", strings.Repeat("x\n.\n", 30)+"\r\n", "552 ")
		c.cmd("QUIT", "221 ")
		d := waitDelivery(t, s)
		waitClosed(t, s)
		s.md.Close()
		lines := journalLines(t, s.md.JournalPath())
		if !idle {
			if len(lines) != 1 || lines[0].Message == "" {
				t.Errorf("without RecordIdle: %d records, want the message's alone", len(lines))
			}
			continue
		}
		if len(lines) != 2 {
			t.Fatalf("with RecordIdle: %d records, want the message's and the session end", len(lines))
		}
		end := lines[1]
		tr := end.Session.Transcript
		if end.Message != "" || end.Session.ID != d.Session.ID || end.Session.Messages != 1 ||
			end.TranscriptFrom != d.TranscriptFrom+len(d.Session.Transcript) || end.Session.CloseReason != "QUIT" {
			t.Errorf("session end: message %q, id %s (want %s), messages %d, from %d, close %q", end.Message,
				end.Session.ID, d.Session.ID, end.Session.Messages, end.TranscriptFrom, end.Session.CloseReason)
		}
		if len(tr) < 2 || tr[0].Text != "MAIL FROM:<a@client.example>" || tr[len(tr)-1].Text != "221 2.0.0 Bye" {
			t.Errorf("session end transcript %+v", tr)
		}
		var tooBig bool
		for _, a := range end.Session.Anomalies {
			tooBig = tooBig || a.Code == smtpd.AnomalyDataTooBig
		}
		if !tooBig {
			t.Errorf("session end lacks %s: %+v", smtpd.AnomalyDataTooBig, end.Session.Anomalies)
		}
	}
}

// journalLines reads every record of a journal.
func journalLines(t *testing.T, path string) []sessionFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sessionFile
	for l := range strings.Lines(string(b)) {
		var sf sessionFile
		if err := json.Unmarshal([]byte(l), &sf); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		out = append(out, sf)
	}
	return out
}

// TestLoad: 50 concurrent sessions × 100 messages, with fsync. Every message is stored exactly once and
// byte for byte.
func TestLoad(t *testing.T) {
	sessions, perSession := 50, 100
	if testing.Short() {
		sessions, perSession = 10, 20
	}
	s := startSink(t, Options{}, nil)
	var mu sync.Mutex
	sent := map[[32]byte]int{}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs <- fmt.Errorf("session %d: %v", i, r)
				}
			}()
			c := dial(&panicT{t}, s.addr)
			defer c.nc.Close()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range perSession {
				text := loadMessage(rng, i, j)
				sum := sha256.Sum256([]byte(text))
				mu.Lock()
				sent[sum]++
				mu.Unlock()
				c.send("load@client.example", "sink@mx.test", stuff(text), "250 ")
			}
			c.cmd("QUIT", "221 ")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := sessions * perSession
	got := map[[32]byte]int{}
	for i := range total {
		d := waitDelivery(t, s)
		b, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		got[sha256.Sum256(b[d.HeaderSize:])]++
		if sf, _ := readRecord(t, d); sf.QueueID != d.QueueID || d.Seq != uint64(i+1) {
			t.Errorf("delivery %d (seq %d) of %s has the record of %s", i+1, d.Seq, d.QueueID, sf.QueueID)
		}
	}
	if files := listDir(t, filepath.Join(s.md.Dir(), "new")); len(files) != total {
		t.Errorf("%d files in new/, want %d", len(files), total)
	}
	for sum, n := range sent {
		if got[sum] != n {
			t.Errorf("message %x sent %d times, stored %d", sum[:6], n, got[sum])
		}
	}
}

// loadMessage makes a distinct message of 200 octets to 64 KiB, with lines that need dot-stuffing.
func loadMessage(rng *rand.Rand, i, j int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: load %d/%d\r\nMessage-ID: <%d.%d@client.example>\r\n\r\n", i, j, i, j)
	size := 200 + rng.IntN(64<<10)
	for b.Len() < size {
		n := 1 + rng.IntN(76)
		line := make([]byte, n)
		for k := range line {
			line[k] = byte(' ' + rng.IntN(95))
		}
		if rng.IntN(10) == 0 {
			line[0] = '.'
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.String()
}

// panicT turns Fatal into a panic, so helpers can be used from goroutines and recovered.
type panicT struct{ testing.TB }

func (p *panicT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (p *panicT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (p *panicT) Helper()                           {}

// TestWaitIdle: WaitIdle waits for the open session to QUIT, and gives up with the context.
func TestWaitIdle(t *testing.T) {
	s := startSink(t, Options{NoSync: true}, nil)
	if err := s.md.WaitIdle(context.Background()); err != nil {
		t.Fatalf("no session open: %v", err)
	}
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: last\r\n\r\nbody\r\n", "250 ")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.md.WaitIdle(ctx); err != context.DeadlineExceeded {
		t.Fatalf("session still open: WaitIdle = %v", err)
	}
	idle := make(chan error, 1)
	go func() { idle <- s.md.WaitIdle(context.Background()) }()
	c.cmd("QUIT", "221 ")
	select {
	case err := <-idle:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitIdle did not return after QUIT")
	}
}

// TestSessionFiles: with Options.SessionFiles each message's record is sessions/<its name>.json, the
// delivery points at it, the record of an idle session and that of the end of a session after its last
// message (Options.RecordIdle) get a file of their own, and no journal is made.
func TestSessionFiles(t *testing.T) {
	s := startSink(t, Options{SessionFiles: true, RecordIdle: true}, nil)
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: one\r\n\r\nbody\r\n", "250 ")
	c.send("a@client.example", "b@mx.test", "Subject: two\r\n\r\nbody\r\n", "250 ")
	c.cmd("QUIT", "221 ")
	idle := dial(t, s.addr)
	idle.cmd("QUIT", "221 ")
	for range 2 {
		d := waitDelivery(t, s)
		want := filepath.Join(s.md.Dir(), "sessions", filepath.Base(d.Path)+".json")
		if d.SessionPath != want || d.SessionOffset != 0 {
			t.Fatalf("record at %s+%d, want %s", d.SessionPath, d.SessionOffset, want)
		}
		b, err := os.ReadFile(d.SessionPath)
		if err != nil {
			t.Fatal(err)
		}
		var sf sessionFile
		if err := json.Unmarshal(b, &sf); err != nil || sf.Message != "new/"+filepath.Base(d.Path) || sf.QueueID != d.QueueID {
			t.Errorf("record of %s (%v): %.200s", d.QueueID, err, b)
		}
	}
	waitClosed(t, s)
	waitClosed(t, s)
	if err := s.md.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(filepath.Join(s.md.Dir(), "sessions"))
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
		if strings.HasSuffix(f.Name(), ".jsonl") {
			t.Errorf("a journal was made: %s", f.Name())
		}
	}
	if len(names) != 4 { // two messages, the end of their session, and the idle session
		t.Errorf("sessions/ holds %v, want four records", names)
	}
}
