package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns/dnstest"
	"github.com/mailtrace/mailtrace/smtpd"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `mailtrace serve` on 127.0.0.1:0, --offline unless args
// name a --dns server, and returns the address it listens on and a channel
// with its exit status.
func startServe(t *testing.T, ctx context.Context, stdout io.Writer, args ...string) (string, <-chan int) {
	t.Helper()
	addrs, done := startServeAll(t, ctx, stdout, args...)
	return addrs[0], done
}

// startServeAll is startServe for a run with --listen-tls: the plain
// address first, then the implicit-TLS ones, as serve says them.
func startServeAll(t *testing.T, ctx context.Context, stdout io.Writer, args ...string) ([]string, <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	cmd := []string{"mailtrace", "serve", "--listen", "127.0.0.1:0"}
	if !slices.Contains(args, "--dns") {
		cmd = append(cmd, "--offline")
	}
	go func() {
		code := run(ctx, append(cmd, args...), strings.NewReader(""), stdout, pw)
		pw.Close()
		done <- code
	}()
	want := 1
	for _, a := range args {
		if a == "--listen-tls" {
			want++
		}
	}
	re := regexp.MustCompile(`listening on (\S+?)(?: \(implicit TLS\))?,`)
	var addrs []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			if addrs = append(addrs, m[1]); len(addrs) == want {
				go io.Copy(io.Discard, pr) // keep draining stderr
				return addrs, done
			}
		}
	}
	t.Fatalf("serve exited before listening (status %d)", <-done)
	return nil, nil
}

// bossMessage is a message from one domain, sent below with an envelope
// sender of another and a Bcc recipient.
const bossMessage = "From: Boss <ceo@bank.example>\r\nTo: alice@corp.example\r\nSubject: urgent\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@bank.example>\r\n\r\npay now\r\n"

// awaitExit waits for a serve run with --exit-after to stop by itself, with
// status want: 0, or 3 when a message met --fail-on.
func awaitExit(t *testing.T, done <-chan int, want int) {
	t.Helper()
	select {
	case code := <-done:
		if code != want {
			t.Fatalf("serve exit %d, want %d", code, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after --exit-after")
	}
}

func TestServeCapturesAndAnalyses(t *testing.T) {
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.jsonl")
	var stdout syncBuffer
	addr, done := startServe(t, context.Background(), &stdout, "--maildir", filepath.Join(dir, "md"),
		"--exit-after", "2", "--report", reportPath, "--hostname", "sink.test")
	msg := bossMessage
	for range 2 {
		if err := smtp.SendMail(addr, nil, "bounce@other.example", []string{"alice@corp.example", "hidden@corp.example"}, []byte(msg)); err != nil {
			t.Fatalf("SendMail: %v", err)
		}
	}
	awaitExit(t, done, exitOK)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "from=<bounce@other.example> to=<alice@corp.example>,<hidden@corp.example>") {
		t.Fatalf("stdout lines: %q", lines)
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		File     string
		Envelope struct {
			MailFrom string   `json:"mail_from"`
			RcptTo   []string `json:"rcpt_to"`
			Source   string
		}
		Hops    []struct{ Trusted bool }
		Session struct {
			ClientIP string `json:"client_ip"`
			HELO     string `json:"helo"`
			QueueID  string `json:"queue_id"`
		}
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	if err := json.Unmarshal([]byte(first), &rep); err != nil {
		t.Fatalf("report line: %v", err)
	}
	if rep.Envelope.Source != "smtp" || rep.Envelope.MailFrom != "bounce@other.example" || len(rep.Envelope.RcptTo) != 2 {
		t.Errorf("envelope = %+v", rep.Envelope)
	}
	if rep.Session.ClientIP != "127.0.0.1" || rep.Session.QueueID == "" {
		t.Errorf("session = %+v", rep.Session)
	}
	if len(rep.Hops) != 1 || !rep.Hops[0].Trusted {
		t.Errorf("the sink's own hop must be the trusted ground truth: %+v", rep.Hops)
	}
	stored, err := os.ReadFile(rep.File)
	if err != nil || !bytes.HasSuffix(stored, []byte(msg)) {
		t.Errorf("stored message does not end with the bytes sent (%v)", err)
	}
	if bytes.Contains(stored[:bytes.Index(stored, []byte("From: Boss"))], []byte("for <")) {
		t.Error("recipients leaked into the Received line")
	}
}

func TestServeStopsOnSignalAndReportsPortInUse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := startServe(t, ctx, io.Discard, "--maildir", filepath.Join(t.TempDir(), "md"))
	// A second sink on the same port fails with a runtime error.
	code, _, stderr := runCLI(t, "", "serve", "--listen", addr, "--offline", "--maildir", filepath.Join(t.TempDir(), "md2"))
	if code != exitRuntime || !strings.Contains(stderr, "in use") {
		t.Errorf("second listener: exit %d, stderr %q", code, stderr)
	}
	cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after the signal", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeSessionFiles: with --session-files the report points at the message's own record file,
// named after the message, and that file holds its session.
func TestServeSessionFiles(t *testing.T) {
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.jsonl")
	addr, done := startServe(t, context.Background(), io.Discard, "--maildir", filepath.Join(dir, "md"),
		"--exit-after", "1", "--report", reportPath, "--session-files")
	msg := "From: a@client.example\r\nTo: b@sink.example\r\nSubject: s\r\n\r\nbody\r\n"
	if err := smtp.SendMail(addr, nil, "a@client.example", []string{"b@sink.example"}, []byte(msg)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if code := <-done; code != exitOK {
		t.Fatalf("serve exit %d", code)
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		File    string
		Session struct {
			QueueID  string `json:"queue_id"`
			Record   string `json:"session_record"`
			RecordAt int64  `json:"session_record_offset"`
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "md", "sessions", filepath.Base(rep.File)+".json")
	if rep.Session.Record != want || rep.Session.RecordAt != 0 {
		t.Fatalf("session_record %s+%d, want %s", rep.Session.Record, rep.Session.RecordAt, want)
	}
	record, err := os.ReadFile(want)
	if err != nil || !bytes.Contains(record, []byte(`"queue_id":"`+rep.Session.QueueID+`"`)) {
		t.Errorf("record file (%v): %.300s", err, record)
	}
}

// After a delivery, the sink gives its memory back once no session is
// open: not while the client that sent the message stays connected, and
// soon after it quits.
func TestServeGivesMemoryBackAtRest(t *testing.T) {
	released := make(chan struct{}, 16)
	oldRest, oldFree := restAfter, freeOSMemory
	restAfter, freeOSMemory = 10*time.Millisecond, func() { released <- struct{}{} }
	t.Cleanup(func() { restAfter, freeOSMemory = oldRest, oldFree })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	addr, done := startServe(t, ctx, &stdout, "--maildir", filepath.Join(t.TempDir(), "md"))
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.org"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhello\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The session is still open: many rest periods pass without a release.
	time.Sleep(20 * restAfter)
	select {
	case <-released:
		t.Fatal("memory released while a session was open")
	default:
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("no release after the last session closed")
	}
	if !strings.Contains(stdout.String(), "from=<a@example.org>") {
		t.Errorf("the delivery was not analysed: %q", stdout.String())
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exit %d", code)
	}
}

// TestServeDisable: serve takes --disable as analyze does: a message
// captured with a Bcc recipient and another envelope sender gets neither
// rule's finding when both are disabled.
func TestServeDisable(t *testing.T) {
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.jsonl")
	addr, done := startServe(t, context.Background(), io.Discard, "--maildir", filepath.Join(dir, "md"),
		"--exit-after", "1", "--report", reportPath, "--disable", "envelope-rcpt-hidden,envelope-from-mismatch")
	msg := bossMessage
	if err := smtp.SendMail(addr, nil, "bounce@other.example", []string{"alice@corp.example", "hidden@corp.example"}, []byte(msg)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	awaitExit(t, done, exitOK)
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []struct{ Rule string }
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), &rep); err != nil {
		t.Fatalf("report line: %v", err)
	}
	for _, f := range rep.Findings {
		if f.Rule == "envelope-rcpt-hidden" || f.Rule == "envelope-from-mismatch" {
			t.Errorf("disabled rule %s found something", f.Rule)
		}
	}
}

// TestServeAttached: a phishing report delivered to the sink with
// --attached gives a line and a report object for the report and for the
// forged message it carries.
func TestServeAttached(t *testing.T) {
	msg, err := os.ReadFile("../../testdata/attached/phishing-report.eml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.jsonl")
	var stdout syncBuffer
	addr, done := startServe(t, context.Background(), &stdout, "--maildir", filepath.Join(dir, "md"),
		"--exit-after", "1", "--report", reportPath, "--attached", "--fail-on", "forged")
	crlf := bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n"))
	if err := smtp.SendMail(addr, nil, "alice@corp.example", []string{"abuse@corp.example"}, crlf); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	awaitExit(t, done, exitGate) // the forged message it carries meets --fail-on, as with analyze --attached
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "from=<alice@corp.example>") || !strings.Contains(lines[1], " attached part=2 verdict=forged") {
		t.Fatalf("stdout lines: %q", lines)
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	objs := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var second struct{ Part, Verdict string }
	if len(objs) != 2 || json.Unmarshal([]byte(objs[1]), &second) != nil || second.Part != "2" || second.Verdict != "forged" {
		t.Errorf("report objects: %d, second %+v", len(objs), second)
	}
}

// TestServeStopWithDeadDNS: messages stored before a stop are still
// analysed, each with a line on stdout, but a resolver that never answers
// holds the stop for the grace period, not for a lookup budget (here 2 ×
// 5 s) a message.
func TestServeStopWithDeadDNS(t *testing.T) {
	stopWithDeadDNS(t)
}

// TestServeStopsWithDeliveriesQueued: a stop while the analysis queue is full must not wait forever.
// The Maildir's last callbacks, made while it closes, put their deliveries on that queue, which the
// analysis loop no longer reads once it has stopped; the stop must still take them, analyse them and
// exit. The queue is shrunk to nothing here (1024 in a run) so that three messages behind a slow
// analysis are enough.
func TestServeStopsWithDeliveriesQueued(t *testing.T) {
	old := deliveryQueue
	deliveryQueue = 0
	t.Cleanup(func() { deliveryQueue = old })
	stopWithDeadDNS(t)
}

// stopWithDeadDNS delivers three messages to serve behind a resolver that
// never answers, stops it while the first waits on DNS, and checks that it
// exits within the grace period with one line per message.
func stopWithDeadDNS(t *testing.T) {
	t.Helper()
	silent := dnstest.NewServer(t, dnstest.WithNoAnswer())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	addr, done := startServe(t, ctx, &stdout, "--dns", silent.Addr(), "--dns-timeout", "5s", "--grace", "300ms",
		"--maildir", filepath.Join(t.TempDir(), "md"))
	const n = 3
	for i := range n {
		if err := smtp.SendMail(addr, nil, "boss@bank.example", []string{"alice@corp.example"}, []byte(bossMessage)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	start := time.Now()
	cancel() // the signal, while the first message waits on DNS (and the others, maybe, for the queue)
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("serve still running 8 s after the signal")
	}
	if lines := strings.Count(stdout.String(), "\n"); lines != n {
		t.Errorf("%d lines on stdout after %v, want %d:\n%s", lines, time.Since(start), n, stdout.String())
	}
}

// TestServeNetworkDNSKeepsOrder: with network DNS the messages waiting
// for analysis are analysed together (an answer keeps each waiting); their
// lines still come one per message, in delivery order.
func TestServeNetworkDNSKeepsOrder(t *testing.T) {
	slow := dnstest.NewServer(t, dnstest.WithZoneFile("../../testdata/dns/test.zone"), dnstest.WithDelay(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	addr, done := startServe(t, ctx, &stdout, "--dns", slow.Addr(), "--maildir", filepath.Join(t.TempDir(), "md"))
	const n = 30
	for i := range n {
		from := fmt.Sprintf("a%d@d%d.example", i, i)
		msg := "From: " + from + "\r\nTo: b@corp.example\r\nSubject: s\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"
		if err := smtp.SendMail(addr, nil, from, []string{"b@corp.example"}, []byte(msg)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(stdout.String(), "\n") < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), n, stdout.String())
	}
	for i, l := range lines {
		if want := fmt.Sprintf(" from=<a%d@d%d.example> ", i, i); !strings.Contains(l, want) {
			t.Errorf("line %d is %q, want the message from a%d", i+1, l, i)
		}
	}
}

// TestServeLeadingWhitespaceStaysOutOfTrustedHop: a message whose text starts with white space would
// fold into the sink's own Received field, a TLS cipher and a for clause on the trusted hop of a
// plaintext session (audit: received_fold_injection.py). The hop is the sink's alone, the text is
// stored byte for byte, and the report says what the client tried.
func TestServeLeadingWhitespaceStaysOutOfTrustedHop(t *testing.T) {
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.jsonl")
	addr, done := startServe(t, context.Background(), io.Discard, "--maildir", filepath.Join(dir, "md"),
		"--exit-after", "1", "--report", reportPath)
	msg := "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) for <ceo@victim.example>\r\n" + bossMessage
	if err := smtp.SendMail(addr, nil, "a@client.example", []string{"alice@corp.example"}, []byte(msg)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	awaitExit(t, done, exitOK) // forged, but without --fail-on a sink's stop is 0
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		File string
		Hops []struct {
			Raw, For, TLS string
			Trusted       bool
		}
		Findings []struct{ Rule, Message string }
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if len(rep.Hops) != 1 || rep.Hops[0].TLS != "" || rep.Hops[0].For != "" || strings.Contains(rep.Hops[0].Raw, "ceo@") {
		t.Errorf("the sink's hop took the client's text: %+v", rep.Hops)
	}
	found := false
	for _, f := range rep.Findings {
		found = found || f.Rule == "session-injection" && strings.Contains(f.Message, "data.leading-whitespace")
	}
	if !found {
		t.Errorf("no session-injection finding for the leading white space: %+v", rep.Findings)
	}
	if stored, err := os.ReadFile(rep.File); err != nil || !bytes.HasSuffix(stored, []byte(msg)) {
		t.Errorf("stored message does not end with the bytes sent (%v)", err)
	}
}

// TestServeFailOn: serve keeps the --fail-on promise of its help: exit status 3 once a message analysed
// met it, 0 with --fail-on never (audit: serve_fail_on.py exited 0 after a forged message).
func TestServeFailOn(t *testing.T) {
	for _, tc := range []struct {
		failOn string
		want   int
	}{{"forged", exitGate}, {"never", exitOK}, {"", exitOK}} {
		t.Run(tc.failOn, func(t *testing.T) {
			var stdout syncBuffer
			args := []string{"--maildir", filepath.Join(t.TempDir(), "md"), "--exit-after", "1"}
			if tc.failOn != "" { // not given: a sink's stop is 0 (issue: SIGINT/SIGTERM exit 0)
				args = append(args, "--fail-on", tc.failOn)
			}
			addr, done := startServe(t, context.Background(), &stdout, args...)
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			// The smuggled end of data in the text below makes the message forged.
			fmt.Fprint(nc, "EHLO client.test\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n")
			br := bufio.NewReader(nc)
			for l := ""; !strings.HasPrefix(l, "354 "); {
				if l, err = br.ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			}
			fmt.Fprint(nc, "From: a@b.example\r\nSubject: s\r\n\r\nhello\n.\nMAIL FROM:<ceo@victim.example>\r\n.\r\nQUIT\r\n")
			io.Copy(io.Discard, br)
			awaitExit(t, done, tc.want)
			if !strings.Contains(stdout.String(), "verdict=forged") {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}

// certFiles writes a self-signed certificate for host and its key as PEM
// files, and returns their paths and a client configuration that trusts it.
func certFiles(t *testing.T, host string) (certPath, keyPath string, client *tls.Config) {
	t.Helper()
	cert, err := smtpd.SelfSignedCertificate(host)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return certPath, keyPath, &tls.Config{RootCAs: pool, ServerName: host}
}

// journalRecord is the part of a session journal line the tests read.
type journalRecord struct {
	Message string
	Session struct {
		Messages    int
		TLS         *smtpd.TLSInfo
		Anomalies   []smtpd.Anomaly
		CloseReason string `json:"close_reason"`
	}
}

// readJournal reads the run's session journal in md.
func readJournal(t *testing.T, md string) []journalRecord {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(md, "sessions", "*.jsonl"))
	if err != nil || len(files) != 1 {
		t.Fatalf("journals %v, %v; want one", files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var out []journalRecord
	for l := range strings.Lines(string(b)) {
		var r journalRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		out = append(out, r)
	}
	return out
}

// TestServeImplicitTLS: with --listen-tls and the certificate of
// --tls-cert/--tls-key, net/smtp delivers over implicit TLS (RFC 8314)
// beside the plain listener: STARTTLS is neither offered nor accepted,
// AUTH is, and the stored Received field, the report's session and the
// journal say TLS as after STARTTLS. A plain SMTP client that talks first
// on the TLS port is closed at once, and with --record-idle its failed
// handshake is in the journal.
func TestServeImplicitTLS(t *testing.T) {
	dir := t.TempDir()
	md, reportPath := filepath.Join(dir, "md"), filepath.Join(dir, "report.jsonl")
	certPath, keyPath, clientTLS := certFiles(t, "sink.test")
	addrs, done := startServeAll(t, context.Background(), io.Discard, "--maildir", md, "--hostname", "sink.test",
		"--tls-cert", certPath, "--tls-key", keyPath, "--listen-tls", "127.0.0.1:0", "--auth-accept-any",
		"--record-idle", "--exit-after", "1", "--report", reportPath)

	plain, err := net.Dial("tcp", addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	plain.SetDeadline(time.Now().Add(10 * time.Second))
	plain.Write([]byte("EHLO client.example\r\n"))
	if got, err := io.ReadAll(plain); err != nil || len(got) > 0 {
		t.Errorf("plain SMTP on the TLS port: read %q, %v; want the connection closed", got, err)
	}
	plain.Close()

	tc, err := tls.Dial("tcp", addrs[1], clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(tc, "sink.test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deliverImplicitTLS(t, c)
	awaitExit(t, done, exitOK)

	stored, err := filepath.Glob(filepath.Join(md, "new", "*"))
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored %v, %v", stored, err)
	}
	raw, err := os.ReadFile(stored[0])
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\(using TLSv1\.3 with cipher TLS_\w+ \(\d+/\d+ bits\)\)\r\n\tby sink\.test \(mailtrace\) with UTF8SMTPSA id `).Match(raw) {
		t.Errorf("Received field does not say TLS and UTF8SMTPSA:\n%.400s", raw)
	}
	rep, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Session struct{ TLS *smtpd.TLSInfo } }
	if err := json.Unmarshal(rep, &r); err != nil || r.Session.TLS == nil || r.Session.TLS.Version != "TLS 1.3" || !r.Session.TLS.Implicit {
		t.Errorf("report session TLS %+v (%v)", r.Session.TLS, err)
	}
	var failed, ended bool
	for _, rec := range readJournal(t, md) {
		switch {
		case rec.Message == "" && rec.Session.CloseReason == "TLS handshake failed":
			failed = len(rec.Session.Anomalies) == 1 && rec.Session.Anomalies[0].Code == smtpd.AnomalyTLSHandshake
		case rec.Message == "" && rec.Session.Messages == 1:
			ended = rec.Session.CloseReason == "QUIT" && rec.Session.TLS != nil && rec.Session.TLS.Implicit
		}
	}
	if !failed || !ended {
		t.Errorf("journal: failed handshake recorded %v, end of the TLS session recorded %v", failed, ended)
	}
}

// deliverImplicitTLS sends bossMessage with AUTH PLAIN over c, an SMTP
// client on an implicit-TLS connection, after checking that STARTTLS is
// not offered, and refused with 503 (RFC 3207 §4.2), and that AUTH is.
func deliverImplicitTLS(t *testing.T, c *smtp.Client) {
	t.Helper()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered over implicit TLS")
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Error("AUTH not offered over implicit TLS")
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err == nil || !strings.HasPrefix(err.Error(), "503 ") {
		t.Errorf("STARTTLS over implicit TLS: %v, want 503", err)
	}
	steps := []func() error{
		func() error { return c.Auth(smtp.PlainAuth("", "alice", "pw", "sink.test")) },
		func() error { return c.Mail("bounce@other.example") },
		func() error { return c.Rcpt("alice@corp.example") },
		func() error {
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, bossMessage); err != nil {
				return err
			}
			return w.Close()
		},
		c.Quit,
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

// TestServeRecordIdle: an HTTP probe and the end of a session after its
// message are in the journal with --record-idle, and not without it.
func TestServeRecordIdle(t *testing.T) {
	for _, idle := range []bool{false, true} {
		md := filepath.Join(t.TempDir(), "md")
		args := []string{"--maildir", md, "--exit-after", "1"}
		if idle {
			args = append(args, "--record-idle")
		}
		addr, done := startServe(t, context.Background(), io.Discard, args...)
		probe, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		probe.SetDeadline(time.Now().Add(10 * time.Second))
		probe.Write([]byte("GET / HTTP/1.1\r\nHost: sink\r\n\r\n"))
		io.ReadAll(probe) // greeting, 421, close
		probe.Close()
		if err := smtp.SendMail(addr, nil, "bounce@other.example", []string{"alice@corp.example"}, []byte(bossMessage)); err != nil {
			t.Fatalf("SendMail: %v", err)
		}
		awaitExit(t, done, exitOK)
		var got []string
		for _, r := range readJournal(t, md) {
			switch {
			case r.Message != "":
				got = append(got, "message")
			case r.Session.Messages == 0 && slices.ContainsFunc(r.Session.Anomalies, func(a smtpd.Anomaly) bool { return a.Code == smtpd.AnomalyHTTP }):
				// (the probe may also be recorded as talking before the greeting: it does not wait for it)
				got = append(got, "http-probe")
			case r.Session.Messages == 1 && r.Session.CloseReason == "QUIT":
				got = append(got, "session-end")
			default:
				got = append(got, fmt.Sprintf("unexpected %+v", r))
			}
		}
		slices.Sort(got)
		want := map[bool]string{false: "message", true: "http-probe message session-end"}[idle]
		if strings.Join(got, " ") != want {
			t.Errorf("--record-idle=%v: journal holds %q, want %q", idle, got, want)
		}
	}
}

// TestServeListenTLSErrors: --listen-tls without a certificate and no
// listener at all are usage errors; a --listen-tls port already taken is the
// plain port's runtime error, and the plain listener opened before it is
// closed again.
func TestServeListenTLSErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	md := filepath.Join(t.TempDir(), "md")
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no-certificate", []string{"--listen-tls", "127.0.0.1:0"}, exitUsage, "--listen-tls needs a certificate"},
		{"nothing", []string{"--listen", ""}, exitUsage, "nothing to listen on"},
		{"taken", []string{"--tls", "--listen", "127.0.0.1:0", "--listen-tls", taken.Addr().String()}, exitRuntime, "in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"serve", "--offline", "--maildir", md}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.says)
			}
		})
	}
}
