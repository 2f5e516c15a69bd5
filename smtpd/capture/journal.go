package capture

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailtrace/mailtrace/smtpd"
)

// sessionFile is one line of the journal: the record of one stored message, or (Message empty, with
// Options.RecordIdle) of a session at its close: one that stored nothing, or the end of one that did
// (Session.Messages above zero, the transcript from TranscriptFrom on).
type sessionFile struct {
	Message    string          `json:"message,omitempty"` // relative to the Maildir root
	QueueID    string          `json:"queue_id,omitempty"`
	HeaderSize int64           `json:"header_size,omitempty"`
	Envelope   *smtpd.Envelope `json:"envelope,omitempty"`
	// TranscriptFrom is the index in the whole session transcript of the first line kept here: a
	// session's later messages repeat only the lines since the previous message.
	TranscriptFrom int                 `json:"transcript_from"`
	Session        smtpd.SessionRecord `json:"session"`
}

// job is what a session hands the notifier after its 250 (or, for an idle record, at its end).
type job struct {
	rec      sessionFile
	delivery *Delivery // nil for the record of a session that stored nothing
}

// maxBatch bounds how many records go to the journal in one write, so callbacks are not held back
// behind a long burst.
const maxBatch = 256

// journal appends JSON lines to sessions/<unique>.jsonl, or with Options.SessionFiles writes each
// record to a file of its own. Only the notifier goroutine uses it.
type journal struct {
	f    *os.File // nil for one file per record
	path string   // the journal, or the directory of the record files
	// name gives a unique name to the record of a session that stored no message (one file per record).
	name func() string
	size int64  // offset of the next line
	buf  []byte // the batch's lines, encoded by appendSessionFile
	err  error  // the last write failure, reported by Close
}

// recordFiles writes each record to dir/<message name>.json.
func recordFiles(dir string, name func() string) *journal {
	return &journal{path: dir, name: name}
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("capture: open journal: %w", err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: open journal: %w", err)
	}
	return &journal{f: f, path: path, size: size}, nil
}

// write appends the records of batch in one write and fills in where each delivery's record is. A
// record that cannot be encoded or written leaves its delivery's SessionPath empty: the message is
// stored and acknowledged all the same.
func (j *journal) write(batch []job) {
	if j.f == nil {
		j.writeFiles(batch)
		return
	}
	j.buf = j.buf[:0]
	offsets := make([]int64, len(batch))
	for i := range batch {
		offsets[i] = -1
		start := len(j.buf)
		b, err := appendSessionFile(j.buf, &batch[i].rec)
		if err != nil {
			j.buf = b[:start]
			continue
		}
		j.buf = b
		offsets[i] = j.size + int64(start)
	}
	if _, err := j.f.Write(j.buf); err != nil {
		j.err = fmt.Errorf("capture: write journal: %w", err)
		j.size, _ = j.f.Seek(0, io.SeekEnd) // after a short write, the next line starts at the end
		return
	}
	j.size += int64(len(j.buf))
	j.shrinkBuffer()
	for i, b := range batch {
		if d := b.delivery; d != nil && offsets[i] >= 0 {
			d.SessionPath, d.SessionOffset = j.path, offsets[i]
		}
	}
}

// writeFiles writes each record of batch to a file named after its message (new/NAME: NAME.json).
func (j *journal) writeFiles(batch []job) {
	for i := range batch {
		b, err := appendSessionFile(j.buf[:0], &batch[i].rec)
		j.buf = b
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(batch[i].rec.Message, "new/")
		if name == "" {
			name = j.name()
		}
		path := filepath.Join(j.path, name+".json")
		if err := writeNewFile(path, j.buf); err != nil {
			j.err = fmt.Errorf("capture: write session record: %w", err)
			continue
		}
		if d := batch[i].delivery; d != nil {
			d.SessionPath, d.SessionOffset = path, 0
		}
	}
	j.shrinkBuffer()
}

// shrinkBuffer drops a buffer one huge batch grew, so that it is not pinned for the rest of the run.
func (j *journal) shrinkBuffer() {
	if cap(j.buf) > 1<<20 {
		j.buf = nil
	}
}

// writeNewFile creates path, which must not exist, and writes b to it.
func writeNewFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (j *journal) close() error {
	if j.f == nil {
		return j.err
	}
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("capture: close journal: %w", err)
	}
	return j.err
}

// notify writes the queued records to the journal, a batch per write, then makes the batch's
// callbacks in delivery order: a record is always written before its delivery is reported.
func (m *Maildir) notify() {
	defer m.wg.Done()
	batch := make([]job, 0, maxBatch)
	var seq uint64
	for first := range m.jobs {
		batch = append(batch[:0], first)
	gather:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-m.jobs:
				if !ok {
					break gather
				}
				batch = append(batch, j)
			default:
				break gather
			}
		}
		m.journal.write(batch)
		for i := range batch {
			if d := batch[i].delivery; d != nil {
				seq++ // numbered here, so that Seq follows the order of the callbacks
				d.Seq = seq
				if m.opts.OnDelivery != nil {
					m.opts.OnDelivery(*d)
				}
			}
			batch[i] = job{} // drop the references before the next batch
		}
	}
}
