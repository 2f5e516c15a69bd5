package smtpd

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Whole-transcript tests. Each file in testdata/transcripts is one conversation over real TCP:
//
//	# what it shows, and the RFC section it follows
//	! option [value]       server or backend option (see transcriptOptions); "! implicittls" has the
//	                       client connect to the implicit-TLS listener and complete the handshake first
//	C: line                client line, sent with CRLF
//	C~ "quoted"            client octets as a Go string literal, sent as they are (bare CR/LF, no CRLF)
//	S: line                expected server line; {QID} matches a queue ID
//	S: <closed>            the server closes the connection
//	T:                     the client starts TLS
//	A: code                anomaly expected in the session record, in order (none listed: none expected)
//	M: "quoted"            a stored message, in order (none listed: none stored)
//
// Consecutive C lines go out in one write; then the S lines that follow are read. The actual
// conversation is compared with the file as a whole, so a failure shows the conversation.

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

type step struct {
	kind string // "C", "C~", "S", "T", "A", "M", "!"
	text string
}

func parseTranscript(t *testing.T, path string) []step {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "! "):
			steps = append(steps, step{"!", line[2:]})
		case line == "T:":
			steps = append(steps, step{"T", ""})
		case line == "C:" || line == "S:":
			steps = append(steps, step{line[:1], ""})
		case len(line) >= 3 && line[2] == ' ' && strings.Contains("C:C~S:A:M:", line[:2]):
			kind := strings.TrimSuffix(line[:2], ":")
			steps = append(steps, step{kind, line[3:]})
		default:
			t.Fatalf("%s:%d: cannot parse %q", path, i+1, line)
		}
	}
	return steps
}

// transcriptOptions applies "!" lines.
func transcriptOptions(t *testing.T, steps []step, be *recBackend) func(*Options) {
	return func(o *Options) {
		for _, s := range steps {
			if s.kind != "!" {
				continue
			}
			name, val, _ := strings.Cut(s.text, " ")
			n, _ := strconv.Atoi(val)
			switch name {
			case "auth":
				o.AuthAcceptAny = true
			case "maxrcpt":
				o.MaxRecipients = n
			case "maxsize":
				o.MaxMessageSize = int64(n)
			case "maxerrors":
				o.MaxErrors = n
			case "maxline":
				o.MaxLineLength = n
			case "rejectbare":
				o.RejectBareLineEnds = true
			case "implicittls": // runTranscript's business
			case "nostarttls":
				o.DisableSTARTTLS, o.TLSConfig = true, nil
			case "greetdelay":
				d, err := time.ParseDuration(val)
				if err != nil {
					t.Fatal(err)
				}
				o.GreetDelay = d
			case "rejectrcpt":
				be.rejectRcpt = val
			case "dataerr":
				be.dataErr = errors.New("injected")
			case "writeerr":
				be.writeErr = fmt.Errorf("injected: %w", syscall.ENOSPC)
			case "commiterr":
				be.commitErr = errors.New("injected")
			default:
				t.Fatalf("unknown option %q", name)
			}
		}
	}
}

var qidPattern = regexp.MustCompile(`[0-9A-Z]{16}`)

// matchLine compares an expected server line with the actual one, {QID} standing for any queue ID.
func matchLine(want, got string) bool {
	if !strings.Contains(want, "{QID}") {
		return want == got
	}
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(want), regexp.QuoteMeta("{QID}"), qidPattern.String()) + "$"
	return regexp.MustCompile(re).MatchString(got)
}

func runTranscript(t *testing.T, path string) {
	steps := parseTranscript(t, path)
	be := newRecBackend()
	ts := startServer(t, be, transcriptOptions(t, steps, be))
	var nc net.Conn
	var err error
	if slices.Contains(steps, step{"!", "implicittls"}) {
		nc, err = tls.Dial("tcp", ts.tlsAddr, ts.clientTLS())
	} else {
		nc, err = net.Dial("tcp", ts.addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { nc.Close() }()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)

	var want, got strings.Builder
	var pending []byte
	var wantAnoms, wantMsgs []string
	send := func() {
		if len(pending) > 0 {
			if _, err := nc.Write(pending); err != nil {
				t.Fatalf("write: %v\n--- so far:\n%s", err, got.String())
			}
			pending = nil
		}
	}
	for _, s := range steps {
		switch s.kind {
		case "C":
			pending = append(pending, s.text+"\r\n"...)
			fmt.Fprintf(&want, "C: %s\n", s.text)
			fmt.Fprintf(&got, "C: %s\n", s.text)
		case "C~":
			raw, err := strconv.Unquote(s.text)
			if err != nil {
				t.Fatalf("bad C~ line %s: %v", s.text, err)
			}
			pending = append(pending, raw...)
			fmt.Fprintf(&want, "C~ %s\n", s.text)
			fmt.Fprintf(&got, "C~ %s\n", s.text)
		case "S":
			send()
			fmt.Fprintf(&want, "S: %s\n", s.text)
			line, err := br.ReadString('\n')
			switch {
			case errors.Is(err, io.EOF) && line == "":
				line = "<closed>"
			case err != nil:
				line = fmt.Sprintf("<error %v after %q>", err, line)
			default:
				line = strings.TrimSuffix(line, "\r\n")
			}
			if matchLine(s.text, line) {
				line = s.text
			}
			fmt.Fprintf(&got, "S: %s\n", line)
		case "T":
			send()
			tc := tls.Client(nc, ts.clientTLS())
			if err := tc.Handshake(); err != nil {
				t.Fatalf("TLS handshake: %v", err)
			}
			nc, br = tc, bufio.NewReader(tc)
			want.WriteString("T:\n")
			got.WriteString("T:\n")
		case "A":
			wantAnoms = append(wantAnoms, s.text)
		case "M":
			wantMsgs = append(wantMsgs, s.text)
		}
	}
	send()
	if got.String() != want.String() {
		t.Errorf("transcript differs\n--- got:\n%s--- want:\n%s", got.String(), want.String())
	}
	nc.Close()
	rec := be.nextSession(t)
	var gotAnoms []string
	for _, a := range rec.Anomalies {
		gotAnoms = append(gotAnoms, a.Code)
	}
	if strings.Join(gotAnoms, " ") != strings.Join(wantAnoms, " ") {
		t.Errorf("anomalies: got %v, want %v\n%+v", gotAnoms, wantAnoms, rec.Anomalies)
	}
	var gotMsgs []string
	for _, m := range be.messages() {
		gotMsgs = append(gotMsgs, strconv.Quote(string(m.data)))
	}
	if strings.Join(gotMsgs, "\n") != strings.Join(wantMsgs, "\n") {
		t.Errorf("messages:\n got %v\nwant %v", gotMsgs, wantMsgs)
	}
}
