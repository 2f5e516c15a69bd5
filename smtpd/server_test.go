package smtpd

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/internal/golden"
	"github.com/mailtrace/mailtrace/received"
)

// dialText connects and returns a reader positioned after the greeting.
func dialText(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "220 ") {
		t.Fatalf("greeting %q, %v", l, err)
	}
	return nc, br
}

// exchange writes lines and reads one reply line per expected line.
func exchange(t *testing.T, nc net.Conn, br *bufio.Reader, send string, want ...string) {
	t.Helper()
	if send != "" {
		if _, err := nc.Write([]byte(send)); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range want {
		l, err := br.ReadString('\n')
		l = strings.TrimSuffix(l, "\r\n")
		if err != nil && !(w == "<closed>" && l == "") {
			t.Fatalf("reading for %q: %q, %v", w, l, err)
		}
		if w == "<closed>" && err == nil {
			t.Fatalf("got %q, want the connection closed", l)
		}
		if w != "<closed>" && !strings.HasPrefix(l, w) {
			t.Fatalf("got %q, want %q...", l, w)
		}
	}
}

func TestNetSMTPSendMail(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, func(o *Options) { o.DisableSTARTTLS, o.TLSConfig = true, nil })
	msg := "From: a@client.example\r\nTo: b@mx.test\r\nSubject: net/smtp\r\n\r\n.leading dot\r\nbody\r\n"
	if err := smtp.SendMail(ts.addr, nil, "a@client.example", []string{"b@mx.test", "c@mx.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	ms := be.messages()
	if len(ms) != 1 || string(ms[0].data) != msg {
		t.Fatalf("stored %d messages", len(ms))
	}
	env := ms[0].env
	// net/smtp adds SMTPUTF8 when offered, which makes the protocol UTF8SMTP (RFC 6531 §3.7.4).
	if env.From != "a@client.example" || len(env.Rcpts) != 2 || env.Rcpts[1].Address != "c@mx.test" || env.Protocol != "UTF8SMTP" || !env.Params.SMTPUTF8 {
		t.Errorf("envelope %+v", env)
	}
}

// TestNetSMTPStartTLSAuth: STARTTLS with the self-signed certificate, then AUTH PLAIN, through Go's
// client. The record has the TLS version, the identity, and no password.
func TestNetSMTPStartTLSAuth(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, func(o *Options) { o.AuthAcceptAny = true })
	c, err := smtp.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTLS(ts.clientTLS()); err != nil {
		t.Fatal(err)
	}
	sendAuthed(t, c, "127.0.0.1", "Subject: tls\r\n\r\nhi\r\n")
	ms := be.messages()
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	rec := ms[0].rec
	if ms[0].env.Protocol != "UTF8SMTPSA" || rec.TLS == nil || rec.TLS.Version != "TLS 1.3" || rec.Auth == nil ||
		rec.Auth.Identity != "alice" || rec.Auth.Mechanism != "PLAIN" || !rec.Auth.TLS {
		t.Errorf("protocol %s, TLS %+v, auth %+v", ms[0].env.Protocol, rec.TLS, rec.Auth)
	}
	j, _ := json.Marshal(rec)
	if strings.Contains(string(j), "s3cr3t") || strings.Contains(string(j), "czNjcjN0") || !strings.Contains(string(j), "redacted") {
		t.Errorf("record leaks or lacks the redaction: %s", j)
	}
}

// TestReceivedHeader compares the Received fields with golden files: Postfix's layout, the client's
// name from LookupAddr or "unknown", TLS details, no recipients.
func TestReceivedHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		lookup bool
	}{{"plain", false, false}, {"tls-rdns", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			be := newRecBackend()
			ts := startServer(t, be, func(o *Options) {
				o.Now = func() time.Time { return fixedNow }
				if tc.lookup {
					o.LookupAddr = func(ctx context.Context, ip netip.Addr) (string, error) { return "client.example", nil }
				}
			})
			var hdr string
			be.onCommit = func(c *Conn, env *Envelope) { hdr = c.ReceivedHeader(env, env.Start) }
			c, err := smtp.Dial(ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Hello("helo.client.example"); err != nil {
				t.Fatal(err)
			}
			if tc.tls {
				cfg := ts.clientTLS()
				cfg.MaxVersion = tls.VersionTLS12 // TLS 1.2 lets the test pin the cipher suite
				cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}
				if err := c.StartTLS(cfg); err != nil {
					t.Fatal(err)
				}
			}
			// Raw MAIL: net/smtp would add SMTPUTF8, and the golden files show plain ESMTP(S).
			for _, cmd := range []string{"MAIL FROM:<a@client.example>", "RCPT TO:<secret-bcc@mx.test>"} {
				id, err := c.Text.Cmd("%s", cmd)
				if err != nil {
					t.Fatal(err)
				}
				c.Text.StartResponse(id)
				_, _, err = c.Text.ReadResponse(250)
				c.Text.EndResponse(id)
				if err != nil {
					t.Fatal(err)
				}
			}
			w, err := c.Data()
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("x\r\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			hdr = qidPattern.ReplaceAllString(hdr, "QUEUEID")
			golden.Check(t, "testdata/received-"+tc.name+".golden", []byte(hdr))
			if strings.Contains(hdr, "secret-bcc") {
				t.Error("recipient leaked into Received")
			}
		})
	}
}

// TestReceivedHeaderHostileHELO: whatever the client greets with, the sink's Received line reads as
// one hop from the real client to this server; a HELO cannot write a hop of its own into it.
func TestReceivedHeaderHostileHELO(t *testing.T) {
	for _, tc := range []struct{ helo, wantHELO string }{
		{"evil.example (mail-sor-f41.google.com [209.85.220.41]) by mx.google.com with ESMTPS id abc; Mon, 1 Jan 2024 00:00:00 +0000",
			"evil.example??mail-sor-f41.google.com??209.85.220.41???by?mx.google.com?with?ESMTPS?id?abc??Mon??1?Jan?2024?00?00?00??0000"},
		{"x]) by mx.google.com; Mon, 1 Jan 2024 00:00:00 +0000 (", "x???by?mx.google.com??Mon??1?Jan?2024?00?00?00??0000??"},
		{"c.example   ", "c.example"}, // trailing white space is not a second word
		{"[127.0.0.1]", "[127.0.0.1]"},
		{"[IPv6:::1]", "[IPv6:::1]"},
		{"[1.2.3.4] x", "?1.2.3.4??x"},
	} {
		t.Run(tc.wantHELO, func(t *testing.T) {
			be := newRecBackend()
			ts := startServer(t, be, func(o *Options) { o.Now = func() time.Time { return fixedNow } })
			var hdr string
			be.onCommit = func(c *Conn, env *Envelope) { hdr = c.ReceivedHeader(env, env.Start) }
			nc, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			c := textproto.NewConn(nc)
			defer c.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := c.ReadResponse(220); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"EHLO " + tc.helo, "MAIL FROM:<a@client.example>", "RCPT TO:<b@mx.test>", "DATA"} {
				if err := c.PrintfLine("%s", cmd); err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.ReadResponse(0); err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
			}
			if err := c.PrintfLine("x\r\n."); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadResponse(250); err != nil {
				t.Fatal(err)
			}
			hop := received.Parse(strings.TrimPrefix(strings.TrimRight(hdr, "\r\n"), "Received: "))
			if hop.From.HELO != tc.wantHELO || hop.From.IP != "127.0.0.1" || hop.By.Host != "mx.test" {
				t.Errorf("HELO %q gives from %q [%s] by %q in\n%s", tc.helo, hop.From.HELO, hop.From.IP, hop.By.Host, hdr)
			}
		})
	}
}

// TestMaxConns: the connection over the limit gets 421 at once (RFC 5321 §3.8) and is closed.
func TestMaxConns(t *testing.T) {
	ts := startServer(t, newRecBackend(), func(o *Options) { o.MaxConns = 1 })
	dialText(t, ts.addr)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	exchange(t, nc, bufio.NewReader(nc), "", "421 4.7.0 mx.test Error: too many connections", "<closed>")
}

// TestTimeouts: an idle client gets 421 4.4.2 after CommandTimeout; a session longer than ConnTimeout
// is ended the same way, whatever the idle timeout.
func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Options)
		reason string
	}{
		{"command", func(o *Options) { o.CommandTimeout = 100 * time.Millisecond }, "command timeout"},
		{"connection", func(o *Options) { o.ConnTimeout = 300 * time.Millisecond }, "connection time limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newRecBackend()
			ts := startServer(t, be, tc.mod)
			nc, br := dialText(t, ts.addr)
			exchange(t, nc, br, "EHLO client.example\r\n", "250-mx.test")
			for l, _ := br.ReadString('\n'); strings.HasPrefix(l, "250-"); l, _ = br.ReadString('\n') {
			}
			exchange(t, nc, br, "", "421 4.4.2 mx.test Error: timeout exceeded", "<closed>")
			if rec := be.nextSession(t); rec.CloseReason != tc.reason || rec.Anomalies[len(rec.Anomalies)-1].Code != AnomalyTimeout {
				t.Errorf("close reason %q, anomalies %+v", rec.CloseReason, rec.Anomalies)
			}
		})
	}
}

// TestTimeoutFromLastCommand: the idle timeout counts from the last command, also when commands come
// too close together for the socket's deadline to be moved (timedConn keeps the one armed when the new
// one is less than CommandTimeout/deadlineSlack later; it expires early and is moved then).
func TestTimeoutFromLastCommand(t *testing.T) {
	const timeout = 1600 * time.Millisecond // deadlineSlack 8: commands within 200 ms keep the deadline
	be := newRecBackend()
	ts := startServer(t, be, func(o *Options) { o.CommandTimeout = timeout })
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "HELO client.example\r\n", "250 mx.test")
	time.Sleep(100 * time.Millisecond) // the next command comes later, but within the slack
	sent := time.Now()
	exchange(t, nc, br, "NOOP\r\n", "250 2.0.0 Ok")
	exchange(t, nc, br, "", "421 4.4.2 mx.test Error: timeout exceeded", "<closed>")
	if idle := time.Since(sent); idle < timeout {
		t.Errorf("timed out %v after the last command, want at least %v", idle, timeout)
	}
	if rec := be.nextSession(t); rec.CloseReason != "command timeout" {
		t.Errorf("close reason %q", rec.CloseReason)
	}
}

// TestShutdownGraceful: an idle session gets 421 at once; a transaction in progress finishes with 250
// and gets 421 at its next command; Shutdown then returns nil and Serve ErrServerClosed.
func TestShutdownGraceful(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, nil)
	idle, idleBr := dialText(t, ts.addr)
	exchange(t, idle, idleBr, "HELO client.example\r\n", "250 mx.test")
	busy, busyBr := dialText(t, ts.addr)
	exchange(t, busy, busyBr, "HELO client.example\r\nMAIL FROM:<a@client.example>\r\n", "250 mx.test", "250 2.1.0")

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	exchange(t, idle, idleBr, "", "421 4.3.2 mx.test Service shutting down", "<closed>")
	exchange(t, busy, busyBr, "RCPT TO:<b@mx.test>\r\nDATA\r\n", "250 2.1.5", "354")
	exchange(t, busy, busyBr, "late but whole\r\n.\r\nNOOP\r\n", "250 2.0.0 Ok: queued as", "421 4.3.2", "<closed>")
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if ms := be.messages(); len(ms) != 1 || string(ms[0].data) != "late but whole\r\n" {
		t.Errorf("messages %d", len(ms))
	}
	if err := <-ts.done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	ts.done <- ErrServerClosed // for the cleanup's check
}

// TestShutdownDeadline: a transaction that does not finish within the grace period is cut with 421.
func TestShutdownDeadline(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, nil)
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "HELO client.example\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\npartial\r\n", "250", "250", "250", "354")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want DeadlineExceeded", err)
	}
	exchange(t, nc, br, "", "421 4.3.2", "<closed>")
	if len(be.messages()) != 0 || be.aborted != 1 {
		t.Errorf("messages %d aborted %d, want 0 and 1", len(be.messages()), be.aborted)
	}
}

func TestListenAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := NewServer(Options{Addr: l.Addr().String(), DisableSTARTTLS: true}, newRecBackend())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ListenAndServe(); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("ListenAndServe: %v, want ErrAddrInUse", err)
	}
}

func TestBadCertificateFiles(t *testing.T) {
	_, err := NewServer(Options{TLSCertFile: "testdata/none.pem", TLSKeyFile: "testdata/none.key"}, newRecBackend())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewServer: %v, want a wrapped ErrNotExist", err)
	}
}

// TestPregreetWithoutDelay: with GreetDelay 0, octets already waiting in the socket when the greeting is
// due are still seen. The backend holds the session until the client has written.
func TestPregreetWithoutDelay(t *testing.T) {
	rec := pregreetSession(t, "EHLO early.example\r\n", "250-mx.test")
	if len(rec.Anomalies) == 0 || rec.Anomalies[0].Code != AnomalyPregreet || !strings.Contains(rec.Anomalies[0].Detail, "EHLO early") {
		t.Errorf("anomalies %+v", rec.Anomalies)
	}
}

// pregreetSession writes early before the server greets (the backend holds
// the session until then), reads the greeting and the reply to early, which
// must start with reply, and returns the session's record.
func pregreetSession(t *testing.T, early, reply string) SessionRecord {
	t.Helper()
	be := newRecBackend()
	be.gate = make(chan struct{})
	ts := startServer(t, be, nil)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	nc.Write([]byte(early))
	close(be.gate)
	exchange(t, nc, br, "", "220 mx.test", reply)
	nc.Close()
	return be.nextSession(t)
}

// TestPregreetAuthRedacted: credentials sent before the greeting reach no record: the pregreet
// anomaly quotes the AUTH command's mechanism only, as the transcript does.
func TestPregreetAuthRedacted(t *testing.T) {
	rec := pregreetSession(t, "AUTH PLAIN AGJvYgBUb3BTZWNyZXRQdw==\r\n", "5")
	js, _ := json.Marshal(rec)
	if strings.Contains(string(js), "AGJv") {
		t.Errorf("credentials in the record: %s", js)
	}
	if len(rec.Anomalies) == 0 || rec.Anomalies[0].Code != AnomalyPregreet || !strings.Contains(rec.Anomalies[0].Detail, "AUTH PLAIN <redacted 27 octets>") {
		t.Errorf("anomalies %+v", rec.Anomalies)
	}
}

// TestAuthTabRedacted: an AUTH line whose verb or mechanism is followed by a tab is refused (bad verb,
// unknown mechanism), but the credentials behind it were sent all the same and must not reach the
// transcript. A plain AUTH line keeps its form: mechanism, then the size of what was redacted.
func TestAuthTabRedacted(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, func(o *Options) { o.AuthAcceptAny = true })
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "EHLO client.example\r\n", "250-mx.test", "250-PIPELINING", "250-SIZE", "250-STARTTLS",
		"250-AUTH", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING")
	exchange(t, nc, br, "AUTH PLAIN\tAGJvYgBUb3BTZWNyZXRQdw==\r\n", "504 5.5.4")
	exchange(t, nc, br, "AUTH\tPLAIN AGJvYgBUb3BTZWNyZXRQdw==\r\n", "500 5.5.2")
	exchange(t, nc, br, "AUTH PLAIN AGJvYgBUb3BTZWNyZXRQdw==\r\n", "235 2.7.0")
	exchange(t, nc, br, "QUIT\r\n", "221 2.0.0")
	want := []string{"EHLO client.example", `AUTH PLAIN <redacted 24 octets>`, `AUTH <redacted 30 octets>`,
		"AUTH PLAIN <redacted 24 octets>", "QUIT"}
	assertClientLines(t, be.nextSession(t), want)
}

// assertClientLines holds the client's lines of rec's transcript to want, in order.
func assertClientLines(t *testing.T, rec SessionRecord, want []string) {
	t.Helper()
	var client []string
	for _, l := range rec.Transcript {
		if l.Dir == "C" {
			client = append(client, l.Text)
		}
	}
	if strings.Join(client, "\n") != strings.Join(want, "\n") {
		t.Errorf("client lines:\n%s\nwant:\n%s", strings.Join(client, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuthResponsesAheadOfRefusalRedacted: a client that sends AUTH LOGIN with its user name and
// password behind it, without waiting, sends its credentials even when AUTH is refused (here not
// offered): those lines are answered 500 as any unknown command, but the transcript keeps only their
// size. A command sent in the same write is recorded as it is.
func TestAuthResponsesAheadOfRefusalRedacted(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, func(o *Options) { o.DisableSTARTTLS, o.TLSConfig = true, nil })
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "EHLO client.example\r\n", "250-mx.test", "250-PIPELINING", "250-SIZE",
		"250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING")
	exchange(t, nc, br, "AUTH LOGIN\r\nYm9i\r\nVG9wU2VjcmV0UHc=\r\nNOOP\r\n",
		"502 5.5.1", "500 5.5.2", "500 5.5.2", "250 2.0.0")
	exchange(t, nc, br, "QUIT\r\n", "221 2.0.0")
	want := []string{"EHLO client.example", "AUTH LOGIN", "<redacted 4 octets>", "<redacted 16 octets>", "NOOP", "QUIT"}
	assertClientLines(t, be.nextSession(t), want)
}

// TestRecordEmptyLists: a session without anomalies records an empty list, never null.
func TestRecordEmptyLists(t *testing.T) {
	var live SessionRecord
	js, err := json.Marshal(live.clone())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"anomalies":[]`) || !strings.Contains(string(js), `"transcript":[]`) {
		t.Errorf("record %s", js)
	}
}

// TestEscapeLine: what reaches a record cannot act on a terminal that shows it.
func TestEscapeLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"EHLO x", "EHLO x"},
		{"EHLO caf\u00e9", "EHLO caf\u00e9"},
		{"EHLO a\u009bb\u202ec", `EHLO a\xc2\x9bb\xe2\x80\xaec`},
		{"a\\b\x00\xff", `a\\b\x00\xff`},
	} {
		if got := escapeLine([]byte(tc.in)); got != tc.want {
			t.Errorf("escapeLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOctetPreview(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"EHLO x\r\n", `EHLO x\x0d\x0a`},
		{"auth plain c2VjcmV0\r\n", "auth plain <redacted 11 octets>"},
		{"EHLO x\r\nAUTH LOGIN\r\nYm9i\r\nc2VjcmV0\r\n", `EHLO x\x0d\x0aAUTH LOGIN <redacted 18 octets>`},
		{"AUTHX y\r\n", `AUTHX y\x0d\x0a`},
		{"AUTH", "AUTH <redacted 0 octets>"},
		{"MAIL FROM:<a@b> AUTH=<>\r\n", `MAIL FROM:<a@b> AUTH=<>\x0d\x0a`},
	} {
		if got := octetPreview([]byte(tc.in)); got != tc.want {
			t.Errorf("octetPreview(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBackendRefusesSession(t *testing.T) {
	be := newRecBackend()
	be.refuseSession = NewError(CodeTransactionFail, "5.7.1", "go away")
	ts := startServer(t, be, nil)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	exchange(t, nc, bufio.NewReader(nc), "", "554 5.7.1 go away", "<closed>")
}

// TestRecordOffsets checks where anomalies and the message are placed on the client's stream.
func TestRecordOffsets(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, nil)
	nc, br := dialText(t, ts.addr)
	head := "EHLO client.example\r\nNOOP\n" // the bare LF is octet 25
	exchange(t, nc, br, head[:21], "250-mx.test")
	for l, _ := br.ReadString('\n'); strings.HasPrefix(l, "250-"); l, _ = br.ReadString('\n') {
	}
	exchange(t, nc, br, head[21:], "250 2.0.0")
	tx := "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n"
	exchange(t, nc, br, tx, "250", "250", "354")
	body := "ab\ncd\r\n" // bare LF at message offset 2, line 1
	exchange(t, nc, br, body+".\r\nQUIT\r\n", "250 2.0.0 Ok: queued", "221")
	rec := be.nextSession(t)
	want := []Anomaly{
		{Code: AnomalyCmdBareLF, Where: InSession, Offset: 25, Line: 2},
		{Code: AnomalyDataBareLF, Where: InMessage, Offset: 2, Line: 1},
	}
	if len(rec.Anomalies) != len(want) {
		t.Fatalf("anomalies %+v", rec.Anomalies)
	}
	for i, w := range want {
		a := rec.Anomalies[i]
		if a.Code != w.Code || a.Where != w.Where || a.Offset != w.Offset || a.Line != w.Line {
			t.Errorf("anomaly %d: %+v, want %+v", i, a, w)
		}
	}
	env := be.messages()[0].env
	start := int64(len(head) + len(tx))
	if env.DataStart != start || env.DataEnd != start+int64(len(body))+3 || env.Size != int64(len(body)) {
		t.Errorf("data at %d-%d size %d, want %d-%d size %d", env.DataStart, env.DataEnd, env.Size, start, start+int64(len(body))+3, len(body))
	}
}

// TestTLSSources: STARTTLS with a certificate from PEM files, and with the self-signed one made at start
// when nothing is configured; both verified by net/smtp against the certificate they serve.
func TestTLSSources(t *testing.T) {
	cert, err := SelfSignedCertificate("mx.test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)

	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"files", func(o *Options) { o.TLSConfig, o.TLSCertFile, o.TLSKeyFile = nil, certFile, keyFile }},
		{"self-signed", func(o *Options) { o.TLSConfig = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newRecBackend()
			ts := startServer(t, be, tc.mod)
			served := ts.srv.tlsConfig.Certificates[0]
			leaf, err := x509.ParseCertificate(served.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AddCert(leaf)
			c, err := smtp.Dial(ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "mx.test"}); err != nil {
				t.Fatal(err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			if tc.name == "files" && !leaf.Equal(cert.Leaf) {
				t.Error("served a certificate other than the one in the files")
			}
			if rec := be.nextSession(t); rec.TLS == nil || rec.TLS.ServerName != "mx.test" {
				t.Errorf("TLS record %+v", rec.TLS)
			}
		})
	}
}

// TestPipeliningAnomalyPlace: the anomaly names the command sent ahead of
// a reply, by offset and by command number alike.
func TestPipeliningAnomalyPlace(t *testing.T) {
	be := newRecBackend()
	ts := startServer(t, be, nil)
	nc, br := dialText(t, ts.addr)
	helo := "HELO c.example\r\n"
	nc.Write([]byte(helo + "MAIL FROM:<a@c.example>\r\n"))
	exchange(t, nc, br, "", "250 mx.test", "250 ")
	exchange(t, nc, br, "QUIT\r\n", "221 ")
	nc.Close()
	rec := be.nextSession(t)
	var got []Anomaly
	for _, a := range rec.Anomalies {
		if a.Code == AnomalyPipelining {
			got = append(got, a)
		}
	}
	if len(got) != 1 || got[0].Offset != int64(len(helo)) || got[0].Line != 2 {
		t.Errorf("pipelining anomalies %+v, want one at offset %d, command 2", got, len(helo))
	}
}

// TestAnomalyCapPerMessage: the cap on a message's anomalies is per message, so a decoy that uses it
// up cannot hide a smuggling attempt in the next message of the session (audit:
// smuggling_cap_evasion.py); the anomalies of earlier messages stay bounded all the same.
func TestAnomalyCapPerMessage(t *testing.T) {
	ts := startServer(t, newRecBackend(), nil)
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "EHLO client.example\r\n", "250-", "250-", "250-", "250-", "250-", "250-", "250-", "250-", "250 ")
	decoy := "Subject: decoy\r\n\r\n" + strings.Repeat("x\n.\n", maxPerCodeLines+1) + "\r\n.\r\n"
	const decoys = 12
	for range decoys {
		exchange(t, nc, br, "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n", "250 ", "250 ", "354 ")
		exchange(t, nc, br, decoy, "250 ")
	}
	exchange(t, nc, br, "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n", "250 ", "250 ", "354 ")
	exchange(t, nc, br, "Subject: hi\r\n\r\nhello\n.\nMAIL FROM:<ceo@victim.example>\r\n.\r\nQUIT\r\n", "250 ", "221 ")
	ts.be.nextSession(t)

	msgs := ts.be.messages()
	if len(msgs) != decoys+1 {
		t.Fatalf("%d messages stored", len(msgs))
	}
	count := func(m recMsg, code string) (n int) {
		for _, a := range m.rec.Anomalies {
			if a.Code == code && a.QueueID == m.env.QueueID {
				n++
			}
		}
		return n
	}
	if n := count(msgs[0], AnomalyDataSmuggling); n != maxPerCodeLines {
		t.Errorf("decoy: %d smuggling anomalies, want %d", n, maxPerCodeLines)
	}
	if n := count(msgs[0], AnomalyTranscriptTruncated); n != 2 { // data.smuggling and data.bare-lf
		t.Errorf("decoy: %d markers with its queue id, want 2: %+v", n, msgs[0].rec.Anomalies)
	}
	last := msgs[decoys]
	if n := count(last, AnomalyDataSmuggling); n != 1 {
		t.Errorf("last message: %d smuggling anomalies, want 1: %+v", n, last.rec.Anomalies)
	}
	if n := len(last.rec.Anomalies); n > maxOldAnomalies+2*(maxPerCodeLines+1)+1 {
		t.Errorf("%d anomalies kept after %d decoys", n, decoys)
	}
}

// TestTLSCloseNotify: after QUIT in a TLS session the server sends close_notify before closing (RFC 8446
// §6.1, RFC 5246 §7.2.1), so the client can tell the end of the replies from a cut stream (audit:
// tls_close_notify.py; Python raised SSLEOFError). Go's client accepts both at a record boundary, so the
// test reads the records: with TLS 1.2 an alert shows as record type 21, which only close_notify is here.
func TestTLSCloseNotify(t *testing.T) {
	ts := startServer(t, newRecBackend(), nil)
	nc, br := dialText(t, ts.addr)
	exchange(t, nc, br, "EHLO client.example\r\n", "250-", "250-", "250-", "250-", "250-", "250-", "250-", "250-", "250 ")
	exchange(t, nc, br, "STARTTLS\r\n", "220 ")
	rc := &recordingConn{Conn: nc}
	cfg := ts.clientTLS()
	cfg.MaxVersion = tls.VersionTLS12
	tc := tls.Client(rc, cfg)
	if _, err := tc.Write([]byte("EHLO client.example\r\nQUIT\r\n")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(tc)
	if err != nil || !strings.HasSuffix(string(got), "221 2.0.0 Bye\r\n") {
		t.Fatalf("replies %q, %v", got, err)
	}
	var last byte
	for b := rc.got; len(b) >= 5; {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		last, b = b[0], b[min(n, len(b)):]
	}
	if last != 21 {
		t.Errorf("the last TLS record has type %d, want 21 (alert: close_notify)", last)
	}
}

// recordingConn keeps every octet read.
type recordingConn struct {
	net.Conn
	got []byte
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.got = append(r.got, p[:n]...)
	return n, err
}

// TestImplicitTLSNetSMTP: Go's client on the implicit-TLS listener (RFC 8314 §3.3) through a TLS
// connection made first, as submissions clients do: AUTH is offered, STARTTLS is not, and the message's
// Received field and session record say TLS exactly as after STARTTLS, the record adding that it was
// implicit.
func TestImplicitTLSNetSMTP(t *testing.T) {
	be := newRecBackend()
	var received string
	be.onCommit = func(c *Conn, env *Envelope) { received = c.ReceivedHeader(env, fixedNow) }
	ts := startServer(t, be, func(o *Options) { o.AuthAcceptAny = true })
	c, err := smtp.NewClient(ts.dialTLS(t), "mx.test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on an implicit-TLS connection")
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Error("AUTH not offered on an implicit-TLS connection")
	}
	if err := c.StartTLS(ts.clientTLS()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("STARTTLS: %v, want 503", err)
	}
	sendAuthed(t, c, "mx.test", "Subject: implicit\r\n\r\nhi\r\n")
	ms := be.messages()
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	rec := ms[0].rec
	if ms[0].env.Protocol != "UTF8SMTPSA" || rec.TLS == nil || rec.TLS.Version != "TLS 1.3" || !rec.TLS.Implicit ||
		rec.TLS.CipherSuite == "" || rec.TLS.ServerName != "mx.test" || rec.Auth == nil || !rec.Auth.TLS {
		t.Errorf("protocol %s, TLS %+v, auth %+v", ms[0].env.Protocol, rec.TLS, rec.Auth)
	}
	for _, a := range rec.Anomalies {
		t.Errorf("anomaly %+v", a)
	}
	want := "\t(using TLSv1.3 with cipher " + rec.TLS.CipherSuite + " ("
	if !strings.Contains(received, want) || !strings.Contains(received, " (mailtrace) with UTF8SMTPSA id "+ms[0].env.QueueID+";") {
		t.Errorf("Received field:\n%s\nwant %q and UTF8SMTPSA", received, want)
	}
}

// TestImplicitTLSRefusesPlaintext: what is not a TLS handshake on the implicit-TLS listener ends the
// session at once, without a plaintext greeting and without a hang: a plain SMTP client that talks
// first, an HTTP probe, a client that waits for a greeting that never comes (the handshake times out
// after CommandTimeout), a port scan. Each is recorded: the first octets sent, or the timeout.
func TestImplicitTLSRefusesPlaintext(t *testing.T) {
	for _, tc := range []struct {
		name, send, reason, detail string
	}{
		{"smtp", "EHLO client.example\r\n", "TLS handshake failed", `first record does not look like a TLS handshake: EHLO `},
		{"http", "GET / HTTP/1.1\r\nHost: mx.test\r\n\r\n", "TLS handshake failed", `GET /`},
		{"silent", "", "TLS handshake timeout", "no handshake within 300ms"},
		{"scan", "<close>", "client left during TLS handshake", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newRecBackend()
			ts := startServer(t, be, func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
			nc, err := net.Dial("tcp", ts.tlsAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			switch tc.send {
			case "<close>":
				nc.(*net.TCPConn).CloseWrite()
			default:
				nc.Write([]byte(tc.send))
			}
			got, err := io.ReadAll(nc)
			if err != nil || strings.Contains(string(got), "220") {
				t.Errorf("read %q, %v; want the connection closed without a greeting", got, err)
			}
			rec := be.nextSession(t)
			if rec.CloseReason != tc.reason || rec.TLS != nil || len(rec.Transcript) != 0 {
				t.Errorf("close reason %q, TLS %+v, transcript %+v", rec.CloseReason, rec.TLS, rec.Transcript)
			}
			switch {
			case tc.detail == "" && len(rec.Anomalies) != 0:
				t.Errorf("anomalies %+v, want none", rec.Anomalies)
			case tc.detail != "" && (len(rec.Anomalies) != 1 || rec.Anomalies[0].Code != AnomalyTLSHandshake ||
				!strings.Contains(rec.Anomalies[0].Detail, tc.detail)):
				t.Errorf("anomalies %+v, want one %s with %q", rec.Anomalies, AnomalyTLSHandshake, tc.detail)
			}
		})
	}
}

// TestImplicitTLSMaxConns: the connection limit covers the implicit-TLS listener; the connection over
// it is closed before the handshake (a 421 in clear would reach the client as a broken TLS record).
func TestImplicitTLSMaxConns(t *testing.T) {
	ts := startServer(t, newRecBackend(), func(o *Options) { o.MaxConns = 1 })
	first := ts.dialTLS(t)
	exchange(t, first, bufio.NewReader(first), "", "220 mx.test ESMTP")
	nc, err := net.Dial("tcp", ts.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if got, err := io.ReadAll(nc); err != nil || len(got) > 0 {
		t.Fatalf("over the limit: read %q, %v; want the connection closed at once, nothing written", got, err)
	}
	exchange(t, first, bufio.NewReader(first), "NOOP\r\n", "250 2.0.0 Ok") // the first is still served
}

// TestImplicitTLSShutdown: Shutdown closes the implicit-TLS listener as the plain one, answers 421 over
// TLS to a session between transactions, and ends one still waiting for the client's handshake.
func TestImplicitTLSShutdown(t *testing.T) {
	be := newRecBackend()
	be.opened = make(chan struct{}, 2)
	ts := startServer(t, be, nil)
	greeted := ts.dialTLS(t)
	gbr := bufio.NewReader(greeted)
	exchange(t, greeted, gbr, "", "220 mx.test ESMTP")
	<-be.opened
	silent, err := net.Dial("tcp", ts.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	<-be.opened // its session is waiting for a ClientHello
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	exchange(t, greeted, gbr, "", "421 4.3.2 mx.test Service shutting down", "<closed>")
	reasons := []string{be.nextSession(t).CloseReason, be.nextSession(t).CloseReason}
	slices.Sort(reasons)
	if reasons[0] != "server shutdown" || reasons[1] != "server shutdown" {
		t.Errorf("close reasons %q", reasons)
	}
	if err := <-ts.tlsDone; !errors.Is(err, ErrServerClosed) {
		t.Errorf("ServeTLS: %v", err)
	}
	if nc, err := net.Dial("tcp", ts.tlsAddr); err == nil {
		nc.Close()
		t.Error("the implicit-TLS listener still accepts after Shutdown")
	}
	ts.tlsDone <- ErrServerClosed // for the cleanup's check
}

// TestServeTLSNeedsCertificate: a server without TLS cannot serve implicit TLS, and ListenOn reports a
// taken port as Listen does.
func TestServeTLSNeedsCertificate(t *testing.T) {
	srv, err := NewServer(Options{DisableSTARTTLS: true}, newRecBackend())
	if err != nil {
		t.Fatal(err)
	}
	l, err := srv.ListenOn("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ListenOn(l.Addr().String()); !errors.Is(err, ErrAddrInUse) {
		t.Errorf("ListenOn a taken port: %v, want ErrAddrInUse", err)
	}
	if err := srv.ServeTLS(l); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("ServeTLS: %v, want ErrNoCertificate", err)
	}
}

// sendAuthed logs in as alice (PLAIN, for the server name host), sends body
// from alice@client.example to b@mx.test and quits.
func sendAuthed(t *testing.T, c *smtp.Client, host, body string) {
	t.Helper()
	steps := []func() error{
		func() error { return c.Auth(smtp.PlainAuth("", "alice", "s3cr3t-pw", host)) },
		func() error { return c.Mail("alice@client.example") },
		func() error { return c.Rcpt("b@mx.test") },
		func() error {
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := w.Write([]byte(body)); err != nil {
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
