//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func TestHintStdinOnTerminal(t *testing.T) {
	const hint = "reading a message from standard input"
	raw, err := os.ReadFile("../../testdata/examples/genuine-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	master, slave := openPTY(t)
	// Typed at the terminal, then Ctrl-D on an empty line: end of input.
	typed := strings.ReplaceAll(string(raw), "\r\n", "\n") + "\n\x04"
	go master.Write([]byte(typed))
	go func() { // the terminal echoes what is typed: keep its buffer drained
		buf := make([]byte, 4096)
		for {
			if _, err := master.Read(buf); err != nil {
				return
			}
		}
	}()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"mailtrace", "analyze", "--offline", "-f", "jsonl"}, slave, &out, &errOut)
	if code != exitOK || !strings.Contains(errOut.String(), hint) || !strings.Contains(out.String(), `"file":"-"`) {
		t.Fatalf("on a terminal: exit %d, stdout %q, stderr %q; want the hint and the message", code, out.String(), errOut.String())
	}

	devNull, err := os.Open(os.DevNull) // a character device, but no terminal
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for name, in := range map[string]*os.File{"/dev/null": devNull} {
		errOut.Reset()
		run(context.Background(), []string{"mailtrace", "analyze", "--offline"}, in, &out, &errOut)
		if strings.Contains(errOut.String(), hint) {
			t.Errorf("%s: hint given: %q", name, errOut.String())
		}
	}
	if _, _, stderr := runCLI(t, string(raw), "analyze", "--offline", "-"); strings.Contains(stderr, hint) {
		t.Errorf("piped input: hint given: %q", stderr)
	}
}
