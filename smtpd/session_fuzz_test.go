package smtpd

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// panicLogger fails the fuzz target when a session panics (the engine recovers and logs it).
type panicLogger struct {
	mu     sync.Mutex
	panics []string
}

func (l *panicLogger) Log(_ context.Context, level slog.Level, msg string, args ...any) {
	if level >= slog.LevelError {
		l.mu.Lock()
		l.panics = append(l.panics, msg+" "+fmtArgs(args))
		l.mu.Unlock()
	}
}

func fmtArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s + " ")
		}
	}
	return b.String()
}

// transcriptInputs returns the client side of each transcript file, as seeds.
func transcriptInputs(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/transcripts/*.txt")
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var in []byte
		for _, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(l, "C: ") || l == "C:":
				in = append(in, strings.TrimPrefix(strings.TrimPrefix(l, "C:"), " ")+"\r\n"...)
			case strings.HasPrefix(l, "C~ "):
				if raw, err := strconv.Unquote(l[3:]); err == nil {
					in = append(in, raw...)
				}
			}
		}
		seeds = append(seeds, in)
	}
	return seeds
}

// FuzzSession plays arbitrary client octets against a whole session (over net.Pipe) and checks that the
// engine neither panics nor hangs: the session must end once the client has sent everything and gone.
func FuzzSession(f *testing.F) {
	for _, s := range transcriptInputs(f) {
		f.Add(s)
	}
	log := &panicLogger{}
	be := newRecBackend()
	go func() { // drain finished sessions
		for range be.sessions {
		}
	}()
	srv, err := NewServer(Options{Hostname: "mx.test", AuthAcceptAny: true, MaxMessageSize: 1 << 16,
		CommandTimeout: 2 * time.Second, Logger: log}, be)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		client, server := net.Pipe()
		srv.start(server, false)
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(input) // may stop early: the server can hang up first
		client.Close()
		done := make(chan struct{})
		go func() { srv.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end after the client left")
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.panics) > 0 {
			t.Fatalf("session panicked: %s", log.panics[0])
		}
	})
}
