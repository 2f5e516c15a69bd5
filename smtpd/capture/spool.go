package capture

import (
	"sync"
	"sync/atomic"
)

// spoolSize is the buffer a message passes through on its way to its file. Most mail fits in it whole:
// such a message is written with one system call, and can be handed to the reader in memory.
const spoolSize = 32 << 10

// spools recycles the buffers.
var spools = sync.Pool{New: func() any { b := make([]byte, 0, spoolSize); return &b }}

// spool is bufio.Writer in the few lines a message needs, plus what bufio hides: whether the message
// is still whole in the buffer, so that Commit can keep a copy for the reader without reading the
// file back.
type spool struct {
	f       file
	b       *[]byte // from spools, nil once released
	spilled bool    // part of the message was written to f already
}

func newSpool(f file) *spool {
	s := &spool{}
	s.init(f)
	return s
}

// init readies a spool for f with a buffer from the pool.
func (s *spool) init(f file) {
	b := spools.Get().(*[]byte)
	*b = (*b)[:0]
	*s = spool{f: f, b: b}
}

func (s *spool) Write(p []byte) (int, error) { return spoolWrite(s, p) }

// WriteString is Write without converting p, which would copy it.
func (s *spool) WriteString(p string) (int, error) { return spoolWrite(s, p) }

func spoolWrite[T string | []byte](s *spool, p T) (int, error) {
	b := *s.b
	if len(b)+len(p) <= cap(b) {
		*s.b = append(b, p...)
		return len(p), nil
	}
	if err := s.flush(); err != nil {
		return 0, err
	}
	s.spilled = true
	if len(p) >= cap(b) { // no point copying what fills the buffer anyway
		return s.f.Write([]byte(p))
	}
	*s.b = append((*s.b)[:0], p...)
	return len(p), nil
}

// whole returns the message when all of it is still in the buffer, else nil. The bytes are the
// spool's own until release.
func (s *spool) whole() []byte {
	if s.spilled {
		return nil
	}
	return *s.b
}

func (s *spool) flush() error {
	b := *s.b
	if len(b) == 0 {
		return nil
	}
	*s.b = b[:0]
	_, err := s.f.Write(b)
	return err
}

// release returns the buffer to the pool; the spool is not used after.
func (s *spool) release() {
	if s.b != nil {
		spools.Put(s.b)
		s.b = nil
	}
}

// keptCopy is a stored message handed to its reader in memory (Options.KeepBytes). ReadMessage takes
// it once, which returns its size to the Maildir's budget.
type keptCopy struct {
	raw    []byte
	taken  atomic.Bool
	budget *atomic.Int64
}

// keep copies a stored message for its reader while the copies not yet taken stay within budget
// bytes; nil when they would not.
func keep(raw []byte, held *atomic.Int64, budget int64) *keptCopy {
	n := int64(len(raw))
	if budget <= 0 || held.Add(n) > budget {
		held.Add(-n)
		return nil
	}
	return &keptCopy{raw: append([]byte(nil), raw...), budget: held}
}

// take returns the copy the first time only.
func (k *keptCopy) take() ([]byte, bool) {
	if k == nil || !k.taken.CompareAndSwap(false, true) {
		return nil, false
	}
	k.budget.Add(-int64(len(k.raw)))
	raw := k.raw
	k.raw = nil
	return raw, true
}
