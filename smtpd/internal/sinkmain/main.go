// Command sinkmain runs the SMTP capture sink without the analysis, for diagnostics only:
// bench/smtp-bench.sh with BREAKDOWN=1 uses it to show what the engine alone (-discard) and the storage
// alone (fsync, session journal, no analysis) cost next to `mailtrace serve`. Every check of the product
// drives `mailtrace serve` itself. It prints "listening on ADDR" once it accepts connections and stops
// cleanly on SIGINT/SIGTERM or after -exit-after messages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/mailtrace/mailtrace/smtpd"
	"github.com/mailtrace/mailtrace/smtpd/capture"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sinkmain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:2525", "listen address")
	dir := fs.String("dir", "./mailtrace-mail", "Maildir")
	host := fs.String("hostname", "mailtrace.test", "our host name")
	auth := fs.Bool("auth", false, "offer AUTH PLAIN LOGIN and accept any credentials")
	noSync := fs.Bool("nosync", false, "do not fsync (unsafe)")
	greet := fs.Duration("greet-delay", 0, "wait before the greeting, watching for early talkers")
	maxConns := fs.Int("max-conns", 0, "concurrent sessions (0: default)")
	exitAfter := fs.Uint64("exit-after", 0, "exit after this many messages (0: never)")
	verbose := fs.Bool("v", false, "print one line per stored message")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	discard := fs.Bool("discard", false, "store nothing (measures the engine alone)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	done := make(chan struct{})
	be, err := capture.New(capture.Options{Dir: *dir, NoSync: *noSync, OnDelivery: func(d capture.Delivery) {
		if *verbose {
			fmt.Fprintf(stderr, "stored %s %s from=<%s> rcpts=%d size=%d\n", d.QueueID, d.Path, d.Envelope.From, len(d.Envelope.Rcpts), d.Size)
		}
		if *exitAfter > 0 && d.Seq == *exitAfter {
			close(done)
		}
	}})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer be.Close()
	var backend smtpd.Backend = be
	if *discard {
		backend = discardBackend{}
	}
	srv, err := smtpd.NewServer(smtpd.Options{
		Hostname: *host, Addr: *addr, AuthAcceptAny: *auth, GreetDelay: *greet, MaxConns: *maxConns,
	}, backend)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	l, err := srv.Listen()
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, smtpd.ErrAddrInUse) {
			return 3
		}
		return 1
	}
	fmt.Fprintf(stdout, "listening on %s\n", l.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-sig:
	case <-done:
	case err := <-served:
		fmt.Fprintln(stderr, err)
		return 1
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "shutdown:", err)
		return 1
	}
	return 0
}

// discardBackend accepts everything and stores nothing.
type discardBackend struct{}

func (discardBackend) NewSession(*smtpd.Conn) (smtpd.Session, error) { return discardBackend{}, nil }
func (discardBackend) Mail(*smtpd.Envelope) error                    { return nil }
func (discardBackend) Rcpt(*smtpd.Envelope, smtpd.Recipient) error   { return nil }
func (discardBackend) Data(*smtpd.Envelope) (smtpd.MessageWriter, error) {
	return discardBackend{}, nil
}
func (discardBackend) Reset()                      {}
func (discardBackend) Close()                      {}
func (discardBackend) Write(p []byte) (int, error) { return len(p), nil }
func (discardBackend) Commit() error               { return nil }
func (discardBackend) Abort()                      {}
