//go:build unix

package capture

import (
	"io"
	"os"
	"syscall"
)

// createFile creates a message file in tmp/ as a bare descriptor: a regular file gains nothing from
// Go's poller, whose registration an *os.File attempts (and fails) at every open. At one file per
// message, every system call saved counts.
func createFile(path string) (file, error) {
	fd, err := openRetry(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fdFile(fd), nil
}

// fdFile is a message file open for writing. It must be closed exactly once: a descriptor number is
// reused at once.
type fdFile int

func (f fdFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := syscall.Write(int(f), p[n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return n, &os.PathError{Op: "write", Path: "message", Err: err} // keeps ENOSPC for errors.Is
		case m == 0:
			return n, io.ErrShortWrite
		}
		n += m
	}
	return n, nil
}

func (f fdFile) Sync() error {
	if err := retryEINTR(func() error { return syscall.Fsync(int(f)) }); err != nil {
		return &os.PathError{Op: "fsync", Path: "message", Err: err}
	}
	return nil
}

func (f fdFile) Close() error {
	if err := syscall.Close(int(f)); err != nil {
		return &os.PathError{Op: "close", Path: "message", Err: err}
	}
	return nil
}

// rename moves a message into new/ with one system call: os.Rename first checks that the target is not
// a directory, which a Maildir unique name never is.
func rename(from, to string) error {
	if err := syscall.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// readFileSized reads a whole file in as few system calls as possible: size is what it should hold,
// so one read usually takes it all, and nothing registers with Go's poller. A file that grew is still
// read to its end.
func readFileSized(path string, size int64) ([]byte, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, max(size, 0)+1) // one spare byte: a full buffer means "maybe more"
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// openRetry is open(2), retried when a signal interrupts it.
func openRetry(path string, flags int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, perm)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// retryEINTR runs call again while a signal interrupts it.
func retryEINTR(call func() error) error {
	for {
		if err := call(); err != syscall.EINTR {
			return err
		}
	}
}
