// Command mailtrace tells whether an email's trace is genuine: it parses a
// message's Received chain, checks it for forgery and reports for people
// and for CI. This file is the adapter from the process to run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mailtrace/mailtrace/report"
	"github.com/urfave/cli/v2"
)

// Exit codes, listed in --help and README.md.
const (
	exitOK      = 0 // analysis done, nothing met --fail-on
	exitRuntime = 1 // could not run: unreadable input, port taken, ...
	exitUsage   = 2 // bad flags or arguments
	exitGate    = 3 // a message met --fail-on (forged, or suspicious)
)

const exitCodesHelp = `EXIT STATUS:
   0  done; no message met --fail-on
   1  runtime error (unreadable input, DNS setup, port in use, ...)
   2  usage error (unknown flag, bad value)
   3  at least one message met --fail-on (default: forged)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal asks the command to stop (analyze between messages,
		// serve gracefully); a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// streams are the process's standard streams, injected so tests can use buffers.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// errUsage marks errors that are the caller's fault (exit 2).
var errUsage = errors.New("usage")

// errGate is returned when a message meets --fail-on (exit 3).
var errGate = errors.New("a message met --fail-on")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(streams{in: stdin, out: stdout, err: stderr})
	args, err := flagsFirst(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	return exitCode(err, stderr)
}

// newApp builds the command line: every command, on the given streams.
func newApp(s streams) *cli.App {
	app := &cli.App{
		Name:                 "mailtrace",
		Usage:                "tell whether an email's trace is genuine",
		Description:          "Parses the Received: hop chain of raw messages (files, directories, mbox, Maildir, stdin),\nchecks it for forgery and reports for people (text) and for CI (JSON, exit codes).",
		Reader:               s.in,
		Writer:               s.out,
		ErrWriter:            s.err,
		ExitErrHandler:       func(*cli.Context, error) {}, // run maps errors to codes below
		EnableBashCompletion: false,
		Version:              version(),
		Commands: []*cli.Command{
			analyzeCommand(s),
			receivedCommand(s),
			routeCommand(s),
			rulesCommand(s),
			serveCommand(s),
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %v", errUsage, err)
		},
		// The app's own template: adding to cli.AppHelpTemplate, a global,
		// would add the exit codes again for every app a process builds.
		CustomAppHelpTemplate: cli.AppHelpTemplate + "\n" + exitCodesHelp,
	}
	return app
}

// version is the module version this binary was built from, or, for a
// build from a work tree, "devel" and the commit it was built at.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "-dirty"
		}
	}
	return v
}

// exitCode maps an error to the exit status, printing it once.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errGate):
		return exitGate
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "mailtrace: interrupted")
		return exitRuntime
	case errors.Is(err, errUsage):
		printError(stderr, err)
		return exitUsage
	}
	if isFlagError(err) {
		printError(stderr, err)
		return exitUsage
	}
	var exit cli.ExitCoder
	if errors.As(err, &exit) {
		printError(stderr, err)
		return exit.ExitCode()
	}
	printError(stderr, err)
	return exitRuntime
}

// printError prints a failure on stderr. Its text names files, addresses
// and DNS answers, which are anyone's to choose, so control characters and
// escape sequences come out inert.
func printError(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "mailtrace: %s\n", report.Safe(err.Error()))
}
