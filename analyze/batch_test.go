package analyze

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// mbox builds an mbox of n messages whose Subject is "msg <i>", each padded
// to about size bytes.
func mbox(n, size int) []byte {
	var b bytes.Buffer
	pad := strings.Repeat("x", 70) + "\n"
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "From a@example.org Mon Nov 16 10:00:00 2026\n")
		fmt.Fprintf(&b, "Received: from a by b; Mon, 16 Nov 2026 10:00:%02d +0000\n", i%60)
		fmt.Fprintf(&b, "Subject: msg %d\nFrom: a@example.org\n\n", i)
		for b.Len() < i*size {
			b.WriteString(pad)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func TestBatchKeepsInputOrder(t *testing.T) {
	const n = 300
	raw := mbox(n, 200)
	for _, workers := range []int{1, 2, 7} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			a := New(Options{HeaderOnly: true})
			var got []string
			err := a.Batch(context.Background(), nil, bytes.NewReader(raw), BatchOptions{Workers: workers, Window: 3}, func(m *MessageReport) error {
				got = append(got, fmt.Sprintf("%d:%s", m.Index, m.Header.Subject))
				return nil
			})
			if err != nil {
				t.Fatalf("Batch: %v", err)
			}
			if len(got) != n {
				t.Fatalf("got %d reports, want %d", len(got), n)
			}
			for i, g := range got {
				if want := fmt.Sprintf("%d:msg %d", i+1, i+1); g != want {
					t.Fatalf("report %d = %q, want %q", i, g, want)
				}
			}
		})
	}
}

// countingReader counts the bytes the batch has read from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestBatchWindowBoundsReadAhead(t *testing.T) {
	// With a slow consumer, an unbounded reader would run to the end of the
	// input at once; the window keeps it within Window messages (plus the
	// one it holds and bufio's 64 KiB read-ahead) of the emitter.
	const n, size, window = 200, 16 << 10, 4
	worst, subjects := readAhead(t, mbox(n, size), size, BatchOptions{Workers: 2, Window: window})
	if limit := int64((window+2)*size + 64<<10); worst > limit {
		t.Errorf("reader ran %d bytes ahead of the emitter, want <= %d", worst, limit)
	}
	if len(subjects) != n {
		t.Errorf("emitted %d, want %d", len(subjects), n)
	}
}

// TestBatchWindowBytesBoundsReadAhead: with many workers and a window of
// many messages, WindowBytes still keeps the reader within that many bytes
// (plus the message it holds and bufio's read-ahead) of the emitter; a
// window smaller than one message still lets every message through.
func TestBatchWindowBytesBoundsReadAhead(t *testing.T) {
	const n, size = 120, 16 << 10
	raw := mbox(n, size)
	for _, windowBytes := range []int64{3 * size, 1} {
		worst, subjects := readAhead(t, raw, size, BatchOptions{Workers: 8, Window: 100, WindowBytes: windowBytes})
		if limit := max(windowBytes, size) + 2*size + 64<<10; worst > limit {
			t.Errorf("WindowBytes %d: reader ran %d bytes ahead of the emitter, want <= %d", windowBytes, worst, limit)
		}
		if len(subjects) != n || subjects[0] != "msg 1" || subjects[n-1] != fmt.Sprintf("msg %d", n) {
			t.Errorf("WindowBytes %d: emitted %d, first %q, last %q", windowBytes, len(subjects), subjects[0], subjects[len(subjects)-1])
		}
	}
}

// readAhead runs Batch over raw, an mbox of messages of about size bytes,
// with a slow consumer, and returns how many bytes at most the reader had
// read past what was emitted, and the Subjects emitted, in order.
func readAhead(t *testing.T, raw []byte, size int, opts BatchOptions) (worst int64, subjects []string) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(raw)}
	err := New(Options{HeaderOnly: true}).Batch(context.Background(), nil, cr, opts, func(m *MessageReport) error {
		subjects = append(subjects, m.Header.Subject)
		for range 50 {
			runtime.Gosched() // a slow consumer: give the reader every chance to run ahead
		}
		if ahead := cr.n.Load() - int64(len(subjects)*size); ahead > worst {
			worst = ahead
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	return worst, subjects
}

func TestBatchErrorsAreReportsInPlace(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1.eml", "Subject: one\n\nbody\n")
	write("2.eml", "")                    // empty: an error report
	write("3.eml", "\x00\x01 not a mail") // no header: an error report
	write("4.eml", "Subject: four\n\nbody\n")
	missing := filepath.Join(dir, "missing.eml")

	var got []string
	a := New(Options{HeaderOnly: true})
	err := a.Batch(context.Background(), []string{dir, missing}, nil, BatchOptions{Workers: 3}, func(m *MessageReport) error {
		got = append(got, fmt.Sprintf("%s %s", filepath.Base(m.File), m.Verdict))
		return nil
	})
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	want := []string{"1.eml clean", "2.eml error", "3.eml error", "4.eml clean", "missing.eml error"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBatchStopsOnEmitError(t *testing.T) {
	errStop := errors.New("stop")
	a := New(Options{HeaderOnly: true})
	calls := 0
	err := a.Batch(context.Background(), nil, bytes.NewReader(mbox(100, 100)), BatchOptions{Workers: 2}, func(*MessageReport) error {
		calls++
		if calls == 5 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 5 {
		t.Errorf("err = %v after %d calls, want errStop after 5", err, calls)
	}
}

func TestBatchStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := New(Options{HeaderOnly: true})
	calls := 0
	err := a.Batch(ctx, nil, bytes.NewReader(mbox(100, 100)), BatchOptions{Workers: 2}, func(*MessageReport) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls > 3+4*2 {
		t.Errorf("err = %v after %d calls, want context.Canceled soon after 3", err, calls)
	}
}

func TestBatchSurvivesPanickingRule(t *testing.T) {
	saved := registry
	defer func() { registry = saved }()
	registry = append(slices.Clone(saved), &Rule{ID: "test-panic", Severity: SeverityInfo, Check: func(c *Context) []Finding {
		if strings.Contains(c.Report.Header.Subject, "boom") {
			panic("rule bug")
		}
		return nil
	}})
	in := "From a Mon Nov 16 10:00:00 2026\nSubject: fine\n\nx\n\nFrom a Mon Nov 16 10:00:00 2026\nSubject: boom\n\nx\n\nFrom a Mon Nov 16 10:00:00 2026\nSubject: fine too\n\nx\n"
	var got []string
	err := New(Options{HeaderOnly: true}).Batch(context.Background(), nil, strings.NewReader(in), BatchOptions{Workers: 2}, func(m *MessageReport) error {
		got = append(got, string(m.Verdict)+":"+m.Error)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "clean:" || got[2] != "clean:" || !strings.Contains(got[1], "error:analyze: internal error: rule bug") {
		t.Errorf("got %q", got)
	}
}

func TestCountFilesMatchesReadSources(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.eml", "b.eml", "skip.json", ".hidden", "Maildir/cur/1", "Maildir/new/2", "Maildir/tmp/3", ".git/x"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("Subject: x\n\nx\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := []string{dir, filepath.Join(dir, "a.eml"), filepath.Join(dir, "missing"), "-"}
	files := map[string]bool{}
	err := ReadSources(paths, strings.NewReader("Subject: stdin\n\nx\n"), func(s Source) error {
		if s.File != "-" {
			files[s.File] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// a.eml is named twice: ReadSources reads it twice, CountFiles counts it twice.
	if got, want := CountFiles(paths), len(files)+1; got != want {
		t.Errorf("CountFiles = %d, ReadSources read %d files", got, want)
	}
}

func TestTally(t *testing.T) {
	var tl Tally
	for _, v := range []Verdict{VerdictClean, VerdictForged, VerdictSuspicious, VerdictError, VerdictClean} {
		tl.Add(&MessageReport{Verdict: v})
	}
	if want := (Tally{Messages: 5, Clean: 2, Suspicious: 1, Forged: 1, Errors: 1}); tl != want {
		t.Errorf("tally = %+v, want %+v", tl, want)
	}
}

// BenchmarkBatch analyses ../shared/corpus (340 real messages) with 1 and 2
// workers, reporting messages per second and the process's peak RSS.
func BenchmarkBatch(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		b.Skip("../shared/corpus not found")
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			a := New(Options{})
			msgs := 0
			for b.Loop() {
				err := a.Batch(context.Background(), []string{dir}, nil, BatchOptions{Workers: workers}, func(*MessageReport) error {
					msgs++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msg/s")
			if kb := peakRSSKiB(); kb > 0 {
				b.ReportMetric(float64(kb)/1024, "peak-RSS-MiB")
			}
		})
	}
}

// peakRSSKiB reads VmHWM from /proc/self/status (Linux); 0 elsewhere.
func peakRSSKiB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int
		if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); err == nil {
			return kb
		}
	}
	return 0
}

// TestBatchStopsWhileStdinBlocks: Ctrl-C must end a run that waits on a
// standard input that sends nothing (and may never end).
func TestBatchStopsWhileStdinBlocks(t *testing.T) {
	stdin, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(Options{}).Batch(ctx, nil, stdin, BatchOptions{}, func(*MessageReport) error { return nil })
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Batch = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Batch still waiting on stdin 10 s after its context ended")
	}
}

// TestBatchMboxLinesAreFileLines: the lines a report gives for a message of
// an mbox are lines of the mbox file, as docs/json.md says.
func TestBatchMboxLinesAreFileLines(t *testing.T) {
	msg := "Received: from a.example (a.example [192.0.2.1]) by b.example; Mon, 1 Jan 2024 10:00:00 +0000\n" +
		"From: x@a.example\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nbody\n"
	mbox := "From x@a.example Mon Jan  1 10:00:00 2024\n" + msg + "\n" + // lines 1-7
		"From x@a.example Mon Jan  1 10:00:00 2024\n" + msg // line 8 on
	path := filepath.Join(t.TempDir(), "box.mbox")
	if err := os.WriteFile(path, []byte(mbox), 0o600); err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	err := New(Options{}).Batch(context.Background(), []string{path}, nil, BatchOptions{}, func(m *MessageReport) error {
		if len(m.Hops) != 1 || len(m.Fields) < 2 {
			t.Fatalf("message %d: %d hops, %d fields", m.Index, len(m.Hops), len(m.Fields))
		}
		got = append(got, [2]int{m.Hops[0].Line, m.Fields[1].Line})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{2, 3}, {9, 10}}; !slices.Equal(got, want) {
		t.Errorf("hop and From lines %v, want %v", got, want)
	}
}
