//go:build linux

package capture

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fsSyncer returns a function that makes every file of dir's file system durable with one syncfs(2),
// or nil when syncfs is unavailable. syncfs reports write-back errors since Linux 5.8; the kernel must
// be that new for the committer to rely on it, else every file is fsynced.
//
// syncfs alone is not enough on a file system without a journal (ext2, ext4 without one): it flushes
// the device's write cache and only then writes out the last metadata buffers (fs/sync.c: sync_fs,
// then sync_blockdev), so inodes it wrote may still sit in a volatile cache, and a name renamed into
// new/ could reach the disk before the inode it points at. An fsync of dir right after ends with a
// flush (on a clean directory it writes nothing else), so the data and inodes are durable before any
// name points at them.
func fsSyncer(dir *os.File) func() error {
	if !kernelAtLeast(5, 8) {
		return nil
	}
	fd := int(dir.Fd())
	return func() error {
		if err := retryEINTR(func() error { return unix.Syncfs(fd) }); err != nil {
			return &os.PathError{Op: "syncfs", Path: dir.Name(), Err: err}
		}
		if err := retryEINTR(func() error { return unix.Fsync(fd) }); err != nil {
			return &os.PathError{Op: "fsync", Path: dir.Name(), Err: err}
		}
		return nil
	}
}

// fsSynced reports whether f is covered by a file-system sync: a plain descriptor that createFile
// made. Other files (tests wrap them to inject faults) are fsynced one by one.
func fsSynced(f file) bool {
	_, ok := f.(fdFile)
	return ok
}

// kernelAtLeast reports whether the running kernel's release is major.minor or later.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var ma, mi int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
