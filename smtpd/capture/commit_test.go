package capture

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// stepRig drives committer.step directly, with counted syncs, on files in a real Maildir layout.
type stepRig struct {
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

func newStepRig(t *testing.T) *stepRig {
	r := &stepRig{t: t, dir: t.TempDir()}
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
func (r *stepRig) batch(n int) []commitReq {
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
		out = append(out, commitReq{w: &writer{f: f, tmp: tmp}, dst: filepath.Join(r.dir, "new", name), err: make(chan error, 1)})
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

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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

// TestCommitPipelined: under load the file-system sync of batch B also covers the names of batch A,
// so A is answered after B's sync with no directory fsync; the last batch gets a directory fsync.
func TestCommitPipelined(t *testing.T) {
	skipWithoutFSSync(t)
	r := newStepRig(t)
	a, b := r.batch(2), r.batch(3)
	named := r.c.step(nil, a)
	if got := answered(a); !equal(got, []string{"pending", "pending"}) {
		t.Fatalf("batch A after its own sync: %v, want pending until its names are durable", got)
	}
	if len(named) != 2 || r.fsSyncs != 1 || r.visibleAtFS[0] != 0 {
		t.Fatalf("named %d, syncs %d, new/ at sync %v", len(named), r.fsSyncs, r.visibleAtFS)
	}
	named = r.c.step(named, b)
	if got := answered(a); !equal(got, []string{"ok", "ok"}) {
		t.Errorf("batch A after B's sync: %v", got)
	}
	if r.dirSyncs != 0 || r.visibleAtFS[1] != 2 {
		t.Errorf("dir syncs %d (want 0), new/ held %d at B's sync (want A's 2)", r.dirSyncs, r.visibleAtFS[1])
	}
	r.c.step(named, nil) // idle: the names of B need a directory fsync
	if got := answered(b); !equal(got, []string{"ok", "ok", "ok"}) || r.dirSyncs != 1 {
		t.Errorf("batch B when idle: %v after %d dir syncs", got, r.dirSyncs)
	}
	if news, _ := os.ReadDir(filepath.Join(r.dir, "new")); len(news) != 5 {
		t.Errorf("new/ holds %d, want 5", len(news))
	}
}

// TestCommitFailures: a failed file-system sync fails its batch and is not taken as covering the names
// before it (they get a directory fsync); a failed directory fsync fails and removes the named ones.
func TestCommitFailures(t *testing.T) {
	skipWithoutFSSync(t)
	r := newStepRig(t)
	a, b := r.batch(1), r.batch(2)
	named := r.c.step(nil, a)
	r.fsErr = &os.PathError{Op: "syncfs", Err: syscall.EIO}
	named = r.c.step(named, b)
	if len(named) != 0 || !equal(answered(b), []string{"error", "error"}) {
		t.Errorf("batch B with a failed sync: named %d, answers %v", len(named), answered(b))
	}
	if r.dirSyncs != 1 || !equal(answered(a), []string{"ok"}) {
		t.Errorf("batch A: %d dir syncs, answers %v; want its names synced on their own", r.dirSyncs, answered(a))
	}
	if tmp, _ := os.ReadDir(filepath.Join(r.dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ keeps %d files", len(tmp))
	}

	r.fsErr, r.dirErr = nil, errors.New("dir sync failed")
	c := r.batch(1)
	named = r.c.step(nil, c)
	r.c.step(named, nil)
	if !equal(answered(c), []string{"error"}) {
		t.Errorf("batch C with a failed dir sync: %v", answered(c))
	}
	if _, err := os.Stat(c[0].dst); !os.IsNotExist(err) {
		t.Errorf("an unacknowledged message stays in new/: %v", err)
	}
}

// TestCommitPerFileSync: files that are not plain descriptors are fsynced one by one, and their
// names always get a directory fsync.
func TestCommitPerFileSync(t *testing.T) {
	r := newStepRig(t)
	r.perFileSync = true
	a, b := r.batch(2), r.batch(1)
	named := r.c.step(nil, a)
	named = r.c.step(named, b)
	r.c.step(named, nil)
	if r.fsSyncs != 0 || r.dirSyncs != 2 {
		t.Errorf("file-system syncs %d, dir syncs %d; want 0 and 2", r.fsSyncs, r.dirSyncs)
	}
	if !equal(answered(a), []string{"ok", "ok"}) || !equal(answered(b), []string{"ok"}) {
		t.Errorf("answers %v %v", answered(a), answered(b))
	}
}
