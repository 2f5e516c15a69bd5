package capture

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// committer makes messages durable in batches (group commit): every message whose Commit arrives while
// a batch is being synced waits and goes in the next one. For a batch it makes every file's data
// durable, renames them into new/, makes new/ durable, and only then answers. Data first, name second,
// as Postfix and chasquid do: after a crash new/ holds only whole messages.
//
// Where the system has syncfs(2) (Linux), the batch's data is made durable by one syncfs of the
// Maildir's file system, followed by a flush (see fsSyncer), instead of one fsync per file. syncfs
// writes back every dirty file there and waits, so it is at least what the fsyncs would have done;
// since Linux 5.8 it reports a write-back error of any file of that file system, which then fails the
// whole batch (451, nothing acknowledged). A flush or two per batch instead of one per message:
// measured on ext4 on a virtual disk, 20 files of 4 KiB at a time, one syncfs ran at 1.7-1.9x the rate
// of 20 concurrent fsyncs. Elsewhere, and for files that are not plain descriptors, every file is fsynced,
// concurrently: overlapping fsyncs share the device's work where one after another they would wait
// for each other. One directory fsync per batch replaces one per message.
//
// Letting the next batch's syncfs make a batch's names durable instead of that directory fsync saved
// the fsync but added a sync's latency to every answer: measured with 20 sessions, it was no faster,
// so each batch gets its own.
type committer struct {
	newDir  *os.File
	syncDir func() error // fsyncs new/
	// syncFS, when not nil, makes the data of every file on the Maildir's file system durable.
	syncFS func() error
	reqs   chan commitReq
	done   chan struct{}
	wg     sync.WaitGroup
}

type commitReq struct {
	w   *writer
	dst string
	err chan error
	// synced: the file-system sync covers the file, which its session has closed already (closeErr)
	// rather than leave one more system call per message to the committer, which runs them one after
	// another.
	synced   bool
	closeErr error
}

var errClosed = errors.New("capture: maildir closed")

// newFSSyncer is fsSyncer; tests replace it to watch or fail the file-system sync.
var newFSSyncer = fsSyncer

func newCommitter(newDir string) (*committer, error) {
	d, err := os.Open(newDir)
	if err != nil {
		return nil, fmt.Errorf("capture: open %s: %w", newDir, err)
	}
	c := &committer{newDir: d, syncDir: d.Sync, syncFS: newFSSyncer(d), reqs: make(chan commitReq, 1024), done: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

func (c *committer) run() {
	defer c.wg.Done()
	for {
		select {
		case r := <-c.reqs:
			c.commit(gather(c.reqs, []commitReq{r}))
		case <-c.done:
			for {
				select {
				case r := <-c.reqs: // a straggler: still answered
					c.commit([]commitReq{r})
				default:
					return
				}
			}
		}
	}
}

// commit makes a batch's data durable, renames the files into new/, makes new/ durable and answers.
func (c *committer) commit(batch []commitReq) {
	named := c.moveIntoNew(batch, c.syncData(batch))
	if len(named) > 0 {
		answerNamed(named, c.syncDir())
	}
}

// gather appends every request already queued to batch.
func gather(ch chan commitReq, batch []commitReq) []commitReq {
	for {
		select {
		case r := <-ch:
			batch = append(batch, r)
		default:
			return batch
		}
	}
}

// moveIntoNew renames the batch's durable files into new/ and returns them; the others are answered with
// their error at once, their temporary file removed.
func (c *committer) moveIntoNew(batch []commitReq, errs []error) []commitReq {
	var named []commitReq
	for i, r := range batch {
		err := errs[i]
		if err == nil {
			err = rename(r.w.tmp, r.dst)
		}
		if err != nil {
			os.Remove(r.w.tmp)
			r.err <- err
			continue
		}
		named = append(named, r)
	}
	return named
}

// answerNamed answers messages whose names in new/ are durable, or, when making them so failed
// (err), removes them and answers the error: not acknowledged, so not kept, and the client will retry.
func answerNamed(named []commitReq, err error) {
	for _, r := range named {
		if err != nil {
			os.Remove(r.dst)
			r.err <- fmt.Errorf("sync new/: %w", err)
			continue
		}
		r.err <- nil
	}
}

// syncData makes the data of every file in the batch durable and closes the files. It returns each
// file's outcome.
func (c *committer) syncData(batch []commitReq) []error {
	errs := make([]error, len(batch))
	var wg sync.WaitGroup
	shared := false // some files wait for the file-system sync
	for i, r := range batch {
		if r.synced {
			errs[i], shared = r.closeErr, true
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = syncClose(r.w.f)
		}()
	}
	var fsErr error
	if shared {
		fsErr = c.syncFS()
	}
	wg.Wait()
	for i, r := range batch {
		if fsErr != nil && errs[i] == nil && r.synced {
			errs[i] = fmt.Errorf("sync file system: %w", fsErr)
		}
	}
	return errs
}

// syncClose makes a file's data durable and closes it.
func syncClose(f file) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// request prepares w's commit; a file the file-system sync covers is closed here.
func (c *committer) request(w *writer, dst string) commitReq {
	r := commitReq{w: w, dst: dst, err: make(chan error, 1)}
	if c.syncFS != nil && fsSynced(w.f) {
		r.synced, r.closeErr = true, w.f.Close()
	}
	return r
}

// submit hands w to the next batch and waits for the outcome.
func (c *committer) submit(w *writer, dst string) error {
	r := c.request(w, dst)
	select {
	case c.reqs <- r:
	case <-c.done:
		if !r.synced {
			w.f.Close()
		}
		os.Remove(w.tmp)
		return errClosed
	}
	return <-r.err
}

// close stops the committer once the server has shut down.
func (c *committer) close() error {
	close(c.done)
	c.wg.Wait()
	return c.newDir.Close()
}
