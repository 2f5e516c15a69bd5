package capture

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// commitRig drives committer.commit directly, with counted syncs, on files in a real Maildir layout.
type commitRig struct {
	t           *testing.T
	dir         string
	c           *committer
	fsSyncs     int
	dirSyncs    int
	fsErr       error
	dirErr      error
	visibleAtFS []int // how many files new/ held at each file-system sync
	nextName    int
	perFileSync bool // files are fsynced one by one
}

func newCommitRig(t *testing.T) *commitRig {
	r := &commitRig{t: t, dir: t.TempDir()}
	for _, sub := range []string{"tmp", "new"} {
		if err := os.Mkdir(filepath.Join(r.dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	r.c = &committer{
		syncDir: func() error { r.dirSyncs++; return r.dirErr },
		syncFS: func() error {
			r.fsSyncs++
			news, _ := os.ReadDir(filepath.Join(r.dir, "new"))
			r.visibleAtFS = append(r.visibleAtFS, len(news))
			return r.fsErr
		},
	}
	return r
}

// batch makes n messages in tmp/, as createFile does.
func (r *commitRig) batch(n int) []commitReq {
	var out []commitReq
	for range n {
		r.nextName++
		name := "m" + string(rune('a'+r.nextName))
		tmp := filepath.Join(r.dir, "tmp", name)
		var f file
		var err error
		if r.perFileSync {
			f, err = os.Create(tmp)
		} else {
			f, err = createFile(tmp)
		}
		if err != nil {
			r.t.Fatal(err)
		}
		f.Write([]byte("message\r\n"))
		out = append(out, r.c.request(&writer{f: f, tmp: tmp}, filepath.Join(r.dir, "new", name)))
	}
	return out
}

// answered returns the answers given so far, "pending" for none.
func answered(reqs []commitReq) []string {
	var out []string
	for _, q := range reqs {
		select {
		case err := <-q.err:
			if err == nil {
				out = append(out, "ok")
			} else {
				out = append(out, "error")
			}
		default:
			out = append(out, "pending")
		}
	}
	return out
}

// skipWithoutFSSync skips a test where the files createFile makes are fsynced one by one.
func skipWithoutFSSync(t *testing.T) {
	f, err := createFile(filepath.Join(t.TempDir(), "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !fsSynced(f) {
		t.Skip("no file-system sync on this system")
	}
}

// TestCommitBatch: one file-system sync for the whole batch, before any name is in new/; then the
// names, one directory sync, and only then the answers.
func TestCommitBatch(t *testing.T) {
	skipWithoutFSSync(t)
	r := newCommitRig(t)
	a := r.batch(3)
	r.c.commit(a)
	if r.fsSyncs != 1 || r.visibleAtFS[0] != 0 || r.dirSyncs != 1 {
		t.Errorf("file-system syncs %d (new/ held %v at them), dir syncs %d; want 1 ([0]) and 1", r.fsSyncs, r.visibleAtFS, r.dirSyncs)
	}
	if got := answered(a); !slices.Equal(got, []string{"ok", "ok", "ok"}) {
		t.Errorf("answers %v", got)
	}
	if news, _ := os.ReadDir(filepath.Join(r.dir, "new")); len(news) != 3 {
		t.Errorf("new/ holds %d, want 3", len(news))
	}
}

// TestCommitFailures: a failed file-system sync fails its whole batch, leaving nothing in tmp/ or new/;
// a failed directory fsync fails and removes the named messages.
func TestCommitFailures(t *testing.T) {
	skipWithoutFSSync(t)
	r := newCommitRig(t)
	r.fsErr = &os.PathError{Op: "syncfs", Err: syscall.EIO}
	b := r.batch(2)
	r.c.commit(b)
	if got := answered(b); !slices.Equal(got, []string{"error", "error"}) || r.dirSyncs != 0 {
		t.Errorf("batch with a failed sync: answers %v after %d dir syncs", got, r.dirSyncs)
	}
	for _, sub := range []string{"tmp", "new"} {
		if files, _ := os.ReadDir(filepath.Join(r.dir, sub)); len(files) != 0 {
			t.Errorf("%s/ keeps %d files", sub, len(files))
		}
	}

	r.fsErr, r.dirErr = nil, errors.New("dir sync failed")
	c := r.batch(1)
	r.c.commit(c)
	if got := answered(c); !slices.Equal(got, []string{"error"}) {
		t.Errorf("batch with a failed dir sync: %v", got)
	}
	if _, err := os.Stat(c[0].dst); !os.IsNotExist(err) {
		t.Errorf("an unacknowledged message stays in new/: %v", err)
	}
}

// TestCommitPerFileSync: files that are not plain descriptors are fsynced one by one, with no
// file-system sync.
func TestCommitPerFileSync(t *testing.T) {
	r := newCommitRig(t)
	r.perFileSync = true
	a := r.batch(2)
	r.c.commit(a)
	if r.fsSyncs != 0 || r.dirSyncs != 1 {
		t.Errorf("file-system syncs %d, dir syncs %d; want 0 and 1", r.fsSyncs, r.dirSyncs)
	}
	if got := answered(a); !slices.Equal(got, []string{"ok", "ok"}) {
		t.Errorf("answers %v", got)
	}
}
