package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/report"
)

// analyzeOptions are the flags of `mailtrace analyze`.
type analyzeOptions struct {
	paths      []string
	format     string
	headerOnly bool
	attached   bool
}

func analyzeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "analyse messages: summary, Received hop chain, findings, verdict",
		ArgsUsage: "[FILE|DIR|MBOX|-]...",
		Description: "Reads .eml files, Apple Mail .emlx files, directories (recursively; Maildir cur/ and new/), mbox\n" +
			"files and standard input (\"-\" or no argument). A message that cannot be read becomes an error entry; the others go on.\n" +
			"A directory walk passes over hidden entries (but for a Maildir's folders: .Sent, .Junk, and\n" +
			"KMail's .inbox.directory beside inbox),\n" +
			"Maildir tmp/ and files ending in\n   " +
			strings.Join(analyze.SkipExtensions(), " ") + "\n" +
			"It reads symlinks to files, and skips with a note symlinked directories and, outside a Maildir,\n" +
			"files other than .eml, .emlx and .mbox whose first line is neither a header field, an mbox \"From \"\n" +
			"line nor Outlook's \"Microsoft Mail Internet Headers Version 2.0\", and an MH folder's deleted messages (,5).\n" +
			"An mbox's folder-data message (Pine, Alpine, Dovecot: \"DON'T DELETE THIS MESSAGE\") is passed over.\n" +
			"An argument that holds no message is a runtime error. -o FILE may not be an input file; inside an\n" +
			"input directory it is not read.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: formatUsage},
			&cli.BoolFlag{Name: "header-only", Usage: "do not decode the MIME body (faster; header analysis is the same)"},
			&cli.BoolFlag{Name: "attached", Usage: "also analyse the messages a message carries (forwarded as attachments or attached as .eml files, returned in bounces and abuse reports; base64 ones decoded), each reported after it"},
		}, append(append(dnsFlags(), outputFlags()...), ruleFlags("forged", "exit with status 3 when any message is `LEVEL`: forged, suspicious (or worse), never")...)...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts := analyzeOptions{paths: c.Args().Slice(), format: c.String("format"), headerOnly: c.Bool("header-only"), attached: c.Bool("attached")}
			return runAnalyze(c, opts, s)
		},
	}
}

func runAnalyze(c *cli.Context, opts analyzeOptions, s streams) error {
	out, err := outputOptionsFrom(c, opts.format)
	if err != nil {
		return err
	}
	resolver, mode, err := resolverFromFlags(c)
	if err != nil {
		return err
	}
	out.workers = workersFor(c.IsSet("workers"), out.workers, mode)
	rules, err := ruleOptionsFrom(c)
	if err != nil {
		return err
	}
	out.failOn, out.failOnText, out.now, out.disabled = rules.failOn, rules.failOnText, rules.now, rules.disabled
	if err := checkOutputNotInput(out.file, opts.paths); err != nil {
		return err
	}
	hintStdin(opts.paths, s)
	in := listInputs(opts.paths, out.file, s)
	ao := rules.analyzeOptions(resolver, mode)
	ao.HeaderOnly, ao.Attached = opts.headerOnly, opts.attached
	a := analyze.New(ao)
	done := make(chan struct{})
	defer close(done)
	go stopAfterSignal(c.Context, done, stopGrace, s.err, exit)
	res, err := runBatch(c, a, in.Paths, out, s)
	if err != nil {
		return err
	}
	return runStatus(res, in.Empty, s)
}

// stopGrace is how long analyze may take to stop after SIGINT or SIGTERM:
// it stops between messages and DNS gives up at once, but the analysis of
// a message already begun is not interrupted.
const stopGrace = 5 * time.Second

// exit is os.Exit; tests replace it.
var exit = os.Exit

// stopAfterSignal ends the process with status 1 when ctx is cancelled (a
// signal) and done is not closed within grace, so that one SIGTERM (from
// timeout(1), systemd, a CI runner) stops a run whatever it is doing.
func stopAfterSignal(ctx context.Context, done <-chan struct{}, grace time.Duration, stderr io.Writer, exit func(int)) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		fmt.Fprintf(stderr, "mailtrace: interrupted: the analysis did not stop within %s\n", grace)
		exit(exitRuntime)
	}
}

// hintStdin says, when standard input is a terminal and one of the
// inputs, that mailtrace is waiting for a message there: run without
// arguments, it would otherwise wait in silence.
func hintStdin(paths []string, s streams) {
	if (len(paths) == 0 || slices.Contains(paths, "-")) && isInteractive(s.in) {
		fmt.Fprintln(s.err, "mailtrace: reading a message from standard input; end it with Ctrl-D (files and directories go as arguments)")
	}
}

// listInputs walks the named directories and says on standard error what
// the walk skipped. It runs before -o creates the report, and the walk
// leaves the report out, so a run never reads its own output.
func listInputs(paths []string, outFile string, s streams) analyze.Inputs {
	in := analyze.ExpandInputs(paths, analyze.WalkOptions{Exclude: outputExclude(outFile)})
	for _, sk := range in.Skipped {
		fmt.Fprintf(s.err, "mailtrace: skipped %s: %s\n", report.Safe(sk.Path), sk.Reason) // a file name is anyone's text
	}
	return in
}

// runStatus is the run's outcome once every message is reported: the gate
// first, as before, then inputs that held no message or could not be read.
// A directory that held no message fails the run, so that a CI gate
// pointed at the wrong directory cannot pass by checking nothing.
func runStatus(res batchResult, empty []string, s streams) error {
	var noMessages error
	if len(empty) > 0 {
		noMessages = fmt.Errorf("%s: no messages found", strings.Join(empty, ", "))
	}
	switch {
	case res.failed > 0:
		// The gate's status wins (3), but what else went wrong is still said.
		if noMessages != nil {
			printError(s.err, noMessages)
		}
		if n := res.tally.Errors; n > 0 {
			fmt.Fprintf(s.err, "mailtrace: %s could not be read\n", report.Counted(n, "input"))
		}
		return errGate
	case noMessages != nil:
		return noMessages
	case res.tally.Errors > 0:
		// Every readable message was analysed and reported; the run still
		// fails so that a pipeline notices a fixture it could not read.
		n := res.tally.Errors
		return fmt.Errorf("%s could not be read", report.Counted(n, "input"))
	}
	return nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageErrorf("unknown --format %q (want one of %v)", format, allowed)
}
