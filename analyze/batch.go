package analyze

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// BatchOptions configure Batch. The zero value uses one worker per CPU and
// a window of four messages per worker.
type BatchOptions struct {
	Workers int // messages analysed at once; <= 0 means runtime.NumCPU()
	// Window bounds the messages read but not yet emitted (queued, being
	// analysed or waiting for an older one to finish). It bounds memory:
	// a run over a million messages holds at most Window of them.
	// <= 0 means 4 × Workers; it is never less than Workers.
	Window int
	// WindowBytes bounds the bytes of those messages together, so that
	// many workers (which DNS latency calls for) do not hold as many large
	// messages: a message that would pass it waits for older ones to be
	// emitted, unless none is in flight. <= 0 means 256 MiB.
	WindowBytes int64
}

// defaultWindowBytes is BatchOptions.WindowBytes's default: the largest
// message read, so that one always fits.
const defaultWindowBytes = maxMessageBytes

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Window <= 0 {
		o.Window = 4 * o.Workers
	}
	if o.Window < o.Workers {
		o.Window = o.Workers
	}
	if o.WindowBytes <= 0 {
		o.WindowBytes = defaultWindowBytes
	}
	return o
}

// byteWindow counts the bytes of the messages in flight against a bound.
type byteWindow struct {
	mu          sync.Mutex
	used, limit int64
	freed       chan struct{} // closed, and replaced, when bytes are given back
}

func newByteWindow(limit int64) *byteWindow {
	return &byteWindow{limit: limit, freed: make(chan struct{})}
}

// take waits until n more bytes fit (or nothing is in flight), then counts
// them; it gives up when ctx ends.
func (w *byteWindow) take(ctx context.Context, n int64) error {
	for {
		w.mu.Lock()
		if w.used == 0 || w.used+n <= w.limit {
			w.used += n
			w.mu.Unlock()
			return nil
		}
		freed := w.freed
		w.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// give gives back n bytes taken before.
func (w *byteWindow) give(n int64) {
	w.mu.Lock()
	w.used -= n
	close(w.freed)
	w.freed = make(chan struct{})
	w.mu.Unlock()
}

// Batch analyses every message ReadSources finds in paths, Workers at a
// time, and calls emit with each report in input order, from the calling
// goroutine. A message that cannot be read becomes a report with verdict
// "error"; it never stops the others. Batch returns the first error from
// emit or from reading, or ctx's error when ctx ends first.
func (a *Analyzer) Batch(ctx context.Context, paths []string, stdin io.Reader, opts BatchOptions, emit func(*MessageReport) error) error {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	jobs := make(chan *batchJob)
	// pending holds the jobs in input order; its capacity is the window, so
	// the reader blocks once Window messages are in flight.
	pending := make(chan *batchJob, opts.Window)
	window := newByteWindow(opts.WindowBytes)
	readErr := make(chan error, 1)
	go func() {
		defer close(pending)
		defer close(jobs)
		readErr <- ReadSources(paths, stdin, func(src Source) error {
			j := &batchJob{src: src, done: make(chan []*MessageReport, 1)}
			if err := window.take(ctx, int64(len(src.Raw))); err != nil {
				return err
			}
			select {
			case pending <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Go(func() {
			for {
				select {
				case j, ok := <-jobs:
					if !ok {
						return
					}
					j.done <- a.analyzeSource(ctx, j.src)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	// No worker outlives Batch; the reader can, only while blocked reading
	// an input (stdin) when ctx ends, and it stops at its next message.
	defer workers.Wait()
	defer cancel()

	for {
		// Waiting for the next message watches ctx too: the reader may be
		// blocked on stdin, where no message and no end may ever come.
		var j *batchJob
		select {
		case next, ok := <-pending:
			if !ok {
				// The reader is done, and its error (ctx's, when ctx ended
				// while it waited) says whether it read everything.
				return <-readErr
			}
			j = next
		case <-ctx.Done():
			return ctx.Err()
		}
		var ms []*MessageReport
		select {
		case ms = <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		window.give(int64(len(j.src.Raw)))
		for _, m := range ms {
			if err := emit(m); err != nil {
				return err
			}
		}
	}
}

type batchJob struct {
	src  Source
	done chan []*MessageReport // buffered: a worker never waits for the emitter
}

// analyzeSource analyses one source (with the messages it carries, when
// Options.Attached is set), turning a read error, and a panic in a rule,
// into an error report: one hostile message must not end a batch.
func (a *Analyzer) analyzeSource(ctx context.Context, src Source) (ms []*MessageReport) {
	in := Input{File: src.File, Index: src.Index, Line: src.Line, Raw: src.Raw, Recoded: src.Recoded}
	if src.Err != nil {
		return []*MessageReport{in.errorReport(src.Err)}
	}
	defer func() {
		if r := recover(); r != nil {
			ms = []*MessageReport{in.errorReport(fmt.Errorf("analyze: internal error: %v", r))}
		}
	}()
	return a.AnalyzeAll(ctx, in)
}

// ErrorReport is the report of a message that could not be analysed.
func ErrorReport(file string, index int, err error) *MessageReport {
	m := &MessageReport{File: file, Index: index, Verdict: VerdictError, Error: err.Error()}
	m.fillLists()
	return m
}

// errorReport is ErrorReport for the message in points at, with its line.
func (in Input) errorReport(err error) *MessageReport {
	m := ErrorReport(in.File, in.Index, err)
	m.Line = in.Line
	return m
}

// Tally counts a run's messages by verdict.
type Tally struct {
	Messages   int `json:"messages"`
	Clean      int `json:"clean"`
	Suspicious int `json:"suspicious"`
	Forged     int `json:"forged"`
	Errors     int `json:"errors"`
}

// Add counts one message.
func (t *Tally) Add(m *MessageReport) {
	t.Messages++
	switch m.Verdict {
	case VerdictClean:
		t.Clean++
	case VerdictSuspicious:
		t.Suspicious++
	case VerdictForged:
		t.Forged++
	default:
		t.Errors++
	}
}

// CountFiles counts the files ReadSources reads from paths, for a progress
// bar: an mbox counts once, standard input not at all. It reads no file,
// and walks directories with ReadSources' rules (hidden entries, Maildir
// tmp/ and mailtrace's own outputs skipped).
func CountFiles(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if info, err := os.Stat(p); err != nil || !info.IsDir() {
			n++
			continue
		}
		files, _ := listDir(p)
		n += len(files)
	}
	return n
}
