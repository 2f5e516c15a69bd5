package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/report"
)

// outputOptions are the flags of `analyze` that shape its output and its
// batch run.
type outputOptions struct {
	format  string
	file    string // -o; "" means standard output
	workers int
	noColor bool
	// failOn says whether a message fails the run (exit 3, a JUnit
	// failure); nil means a forged verdict does. failOnText names it.
	failOn     func(*analyze.MessageReport) bool
	failOnText string
	// now is --now: it stamps the HTML and JUnit reports, so that a run
	// with --now is reproducible byte for byte. nil means the clock.
	now func() time.Time
	// disabled are the rules --disable kept from running: the report and
	// the summary line say so.
	disabled []string
}

func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` instead of standard output"},
		&cli.IntFlag{Name: "workers", Value: runtime.NumCPU(), Usage: fmt.Sprintf("messages analysed in parallel; output keeps input order (with network DNS, whose answers keep workers waiting, at least %d)", networkWorkers)},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour in text output (also off when NO_COLOR is set or output is not a terminal)"},
	}
}

// formatUsage is the --format flag's help.
var formatUsage = "output format: " + strings.Join(report.Formats, ", ")

func outputOptionsFrom(c *cli.Context, format string) (outputOptions, error) {
	o := outputOptions{format: format, file: c.String("output"), workers: c.Int("workers"), noColor: c.Bool("no-color")}
	if err := checkFormat(o.format, report.Formats...); err != nil {
		return o, err
	}
	if o.workers < 1 || o.workers > maxWorkers {
		return o, usageErrorf("--workers must be between 1 and %d, not %d", maxWorkers, o.workers)
	}
	return o, nil
}

// batchResult is what a run adds up to.
type batchResult struct {
	tally  analyze.Tally
	failed int // messages that met failOn
}

// networkWorkers is the least --workers with network DNS when the flag is
// not given: a message's analysis then mostly waits for answers, and more
// messages at once hide the latency (with 30 ms answers, 34 corpus
// messages took 1.61 s with 2 workers, 0.54 s with 8, 0.18 s with 32). The
// batch's byte window keeps their memory bounded.
const networkWorkers = 16

// workersFor is the workers of a run: --workers when given (set), else
// its default, raised to networkWorkers with network DNS.
func workersFor(set bool, workers int, dnsMode string) int {
	if !set && dnsMode == "network" {
		return max(workers, networkWorkers)
	}
	return workers
}

// maxWorkers bounds --workers: each worker holds a message in flight, and
// past the number of cores more help only while they wait for DNS.
const maxWorkers = 1024

// runBatch analyses paths with a, Workers at a time, renders each report
// as it arrives in input order, draws progress on a terminal's standard
// error and ends with a summary line there.
func runBatch(c *cli.Context, a *analyze.Analyzer, paths []string, o outputOptions, s streams) (batchResult, error) {
	var res batchResult
	failOn := o.failOn
	if failOn == nil {
		failOn = func(m *analyze.MessageReport) bool { return m.Verdict == analyze.VerdictForged }
		o.failOnText = string(analyze.VerdictForged)
	}
	dst, closeDst, err := openOutput(o.file, s.out)
	if err != nil {
		return res, err
	}
	out := bufio.NewWriterSize(dst, 64<<10)
	w, err := report.NewWriter(out, o.format, report.Options{Color: o.useColor(s.out), FailOn: failOn, FailOnText: o.failOnText, Now: o.now, Version: version(), Disabled: o.disabled})
	if err != nil {
		closeDst()
		return res, err
	}
	start := time.Now()
	// On a terminal the report itself shows progress, flushed per message;
	// the bar is for reports going to a file or a pipe.
	live := isTerminal(dst)
	var bar *progress
	if !live {
		bar = newProgress(s.err, paths, start)
	}
	// No paths left (every named directory was empty) must not become
	// Batch's "no paths: read stdin"; the report is still written, empty.
	if len(paths) > 0 {
		err = a.Batch(c.Context, paths, s.in, analyze.BatchOptions{Workers: o.workers}, func(m *analyze.MessageReport) error {
			res.tally.Add(m)
			if failOn(m) {
				res.failed++
			}
			bar.update(m, res.tally)
			if err := w.Message(m); err != nil || !live {
				return err
			}
			return out.Flush()
		})
	}
	bar.clear()
	err = joinDistinct(err, w.Close(), out.Flush(), closeDst())
	fmt.Fprintln(s.err, summaryLine(res.tally, time.Since(start), o.disabled))
	return res, err
}

// joinDistinct is errors.Join without repeats: a failed write sticks in
// the buffered writer, and the message that hit it, the report's close and
// the flush all return it again.
func joinDistinct(errs ...error) error {
	var kept []error
	for _, err := range errs {
		if err != nil && !slices.ContainsFunc(kept, func(k error) bool { return errors.Is(err, rootCause(k)) }) {
			kept = append(kept, err)
		}
	}
	return errors.Join(kept...)
}

// rootCause is the innermost error of a chain of single wraps.
func rootCause(err error) error {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}

// getenv is os.Getenv; tests replace it.
var getenv = os.Getenv

// useColor says whether text output gets ANSI colour: only on a terminal,
// and never with --no-color, -o FILE or NO_COLOR set (no-color.org).
func (o outputOptions) useColor(stdout io.Writer) bool {
	return !o.noColor && (o.file == "" || o.file == "-") && getenv("NO_COLOR") == "" && isTerminal(stdout)
}

// openOutput opens -o FILE, or returns standard output (never closed here).
func openOutput(file string, stdout io.Writer) (io.Writer, func() error, error) {
	if file == "" || file == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	return f, f.Close, nil
}

// checkOutputNotInput refuses -o FILE when FILE is also a named input:
// the report is created before the inputs are read, which would destroy
// the input or, for a file not there yet, read the report back as a
// message. An output inside an input directory is left out of the walk
// instead (outputExclude).
func checkOutputNotInput(file string, paths []string) error {
	if file == "" || file == "-" {
		return nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(cwd, p)
	}
	outAbs := abs(file)
	outInfo, outErr := os.Stat(file)
	for _, p := range paths {
		if p == "-" {
			continue
		}
		same := abs(p) == outAbs
		if !same && outErr == nil {
			info, err := os.Stat(p)
			same = err == nil && os.SameFile(outInfo, info)
		}
		if same {
			return usageErrorf("-o %s is also an input (%s): the report would replace it before it is read", file, p)
		}
	}
	return nil
}

// outputExclude is what the directory walk must not read: the -o file.
func outputExclude(file string) []string {
	if file == "" || file == "-" {
		return nil
	}
	return []string{file}
}

// isTerminal reports whether w is a character device: a terminal, or a
// device like /dev/null where colour and progress are harmless. Pipes,
// files and buffers are not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// summaryLine is the run's last line on standard error.
func summaryLine(t analyze.Tally, d time.Duration, disabled []string) string {
	tail := "" // the rate, and the rules not run
	if secs := d.Seconds(); secs > 0 && t.Messages > 0 {
		tail = fmt.Sprintf(", %.0f msg/s", float64(t.Messages)/secs)
	}
	if len(disabled) > 0 {
		tail += "; rules not run: " + strings.Join(disabled, ", ")
	}
	return fmt.Sprintf("mailtrace: %s: %d clean, %d suspicious, %d forged, %s in %s%s",
		report.Counted(t.Messages, "message"), t.Clean, t.Suspicious, t.Forged,
		report.Counted(t.Errors, "error"), d.Round(time.Millisecond), tail)
}

// progress draws a one-line bar on standard error when it is a terminal
// (and the report goes elsewhere) and the run has lasted more than a moment, redrawn at most ten times a
// second. It runs on the emitting goroutine: no locking.
type progress struct {
	w       io.Writer
	start   time.Time
	now     func() time.Time
	total   chan int // files expected, counted in the background
	files   int      // total once known; 0 until then
	done    int      // files whose messages have all been emitted
	last    string   // file of the previous message
	drawn   time.Time
	visible bool
}

const (
	progressDelay = time.Second            // "more than a moment"
	progressEvery = 100 * time.Millisecond // redraw at most this often
)

// newProgress returns nil (drawing nothing) unless w is a terminal.
func newProgress(w io.Writer, paths []string, start time.Time) *progress {
	if !isTerminal(w) {
		return nil
	}
	p := &progress{w: w, start: start, now: time.Now, total: make(chan int, 1)}
	go func() { p.total <- analyze.CountFiles(paths) }()
	return p
}

func (p *progress) update(m *analyze.MessageReport, t analyze.Tally) {
	if p == nil {
		return
	}
	if m.File != p.last {
		if p.last != "" {
			p.done++
		}
		p.last = m.File
	}
	now := p.now()
	if now.Sub(p.start) < progressDelay || now.Sub(p.drawn) < progressEvery {
		return
	}
	select {
	case p.files = <-p.total:
	default:
	}
	p.drawn, p.visible = now, true
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(p.done, p.files, t, now.Sub(p.start)))
}

// progressLine is the bar's text: a bar over files when their number is
// known, then counts, rate and elapsed time.
func progressLine(done, files int, t analyze.Tally, elapsed time.Duration) string {
	var b strings.Builder
	if files > 0 {
		const width = 24
		filled := min(width, done*width/files)
		fmt.Fprintf(&b, "[%s%s] %d/%d files  ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, files)
	}
	rate := float64(t.Messages) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(&b, "%s (%d forged, %d suspicious)  %.0f msg/s  %s", report.Counted(t.Messages, "message"),
		t.Forged, t.Suspicious, rate, elapsed.Round(time.Second))
	return b.String()
}

// clear removes the bar so the summary line starts clean.
func (p *progress) clear() {
	if p != nil && p.visible {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
