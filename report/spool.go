package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much a spool keeps in memory before it moves to a
// temporary file.
const spoolMemory = 8 << 20

// spool holds the body of a document whose head needs totals known only
// at the end (HTML's summary, JUnit's counts): in memory while small, in a
// temporary file after, so a long batch stays in bounded memory.
type spool struct {
	mem  bytes.Buffer
	file *os.File
	buf  *bufio.Writer // over file: templates write in small pieces
	err  error         // first write error; later writes are dropped
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.file == nil && s.mem.Len()+len(p) > spoolMemory {
		s.file, s.err = os.CreateTemp("", "mailtrace-spool-*")
		if s.err != nil {
			s.err = fmt.Errorf("spool: %w", s.err)
			return 0, s.err
		}
		_ = os.Remove(s.file.Name()) // unlinked now: nothing is left behind, even on a crash (Unix)
		s.buf = bufio.NewWriterSize(s.file, 256<<10)
		if _, s.err = s.mem.WriteTo(s.buf); s.err != nil {
			return 0, s.err
		}
	}
	if s.buf != nil {
		var n int
		n, s.err = s.buf.Write(p)
		return n, s.err
	}
	return s.mem.Write(p)
}

// copyTo writes everything spooled to w and releases the spool.
func (s *spool) copyTo(w io.Writer) error {
	if s.err != nil {
		return s.err
	}
	if s.file == nil {
		_, err := s.mem.WriteTo(w)
		return err
	}
	defer s.close()
	if err := s.buf.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := io.Copy(w, s.file); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name()) // already gone on Unix; needed where open files cannot be unlinked
		s.file = nil
	}
}
