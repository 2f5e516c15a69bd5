//go:build linux

package capture

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withFSSyncer makes the Maildirs started by the test wrap their file-system sync with wrap.
func withFSSyncer(t *testing.T, wrap func(dir *os.File, sync func() error) func() error) {
	t.Helper()
	orig := newFSSyncer
	newFSSyncer = func(dir *os.File) func() error {
		sync := orig(dir)
		if sync == nil {
			t.Skip("this kernel has no usable syncfs")
		}
		return wrap(dir, sync)
	}
	t.Cleanup(func() { newFSSyncer = orig })
}

// TestFileSystemSyncBeforeRename: with syncfs, a batch's messages are still in tmp/, closed, and absent
// from new/ when the file system is synced; they appear in new/ only after.
func TestFileSystemSyncBeforeRename(t *testing.T) {
	type seen struct{ tmp, news int }
	calls := make(chan seen, 10)
	withFSSyncer(t, func(dir *os.File, sync func() error) func() error {
		root := filepath.Dir(dir.Name())
		return func() error {
			tmp, _ := os.ReadDir(filepath.Join(root, "tmp"))
			news, _ := os.ReadDir(filepath.Join(root, "new"))
			calls <- seen{len(tmp), len(news)}
			return sync()
		}
	})
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: one\r\n\r\nbody\r\n", "250 ")
	if got := <-calls; got != (seen{1, 0}) {
		t.Errorf("at syncfs: %d in tmp/, %d in new/; want 1 and 0", got.tmp, got.news)
	}
	if d := waitDelivery(t, s); filepath.Dir(d.Path) != filepath.Join(s.md.Dir(), "new") {
		t.Errorf("delivered to %s", d.Path)
	}
}

// TestFileSystemSyncFailure: a write-back error reported by syncfs fails the batch with 451, and
// nothing is left in tmp/ or new/.
func TestFileSystemSyncFailure(t *testing.T) {
	withFSSyncer(t, func(dir *os.File, sync func() error) func() error {
		return func() error { return &os.PathError{Op: "syncfs", Path: dir.Name(), Err: syscall.EIO} }
	})
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	c.send("a@client.example", "b@mx.test", "Subject: one\r\n\r\nbody\r\n", "451 4.3.0 ")
	c.cmd("NOOP", "250 ")
	for _, sub := range []string{"tmp", "new"} {
		if files, _ := os.ReadDir(filepath.Join(s.md.Dir(), sub)); len(files) != 0 {
			t.Errorf("%s/ keeps %d files", sub, len(files))
		}
	}
	if s.md.Count() != 0 {
		t.Errorf("%d deliveries reported", s.md.Count())
	}
}

func TestKernelAtLeast(t *testing.T) {
	if !kernelAtLeast(2, 6) {
		t.Error("the running kernel is older than 2.6")
	}
	if kernelAtLeast(1000, 0) {
		t.Error("the running kernel is 1000.0 or later")
	}
}
