package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunExitAfter starts the sink on a free port, delivers one message and expects run to return 0
// by itself (-exit-after 1) with the message in new/.
func TestRunExitAfter(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-addr", "127.0.0.1:0", "-dir", dir, "-nosync", "-exit-after", "1"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening on ") {
		t.Fatalf("first line %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	c, err := smtp.Dial(addr) // not SendMail: it would insist on verifying the self-signed certificate
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@client.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@mx.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: x\r\n\r\nx\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after one message")
	}
	if files, _ := os.ReadDir(filepath.Join(dir, "new")); len(files) != 1 {
		t.Errorf("%d files in new/", len(files))
	}
}

// TestRunPortTaken: a taken port is exit code 3.
func TestRunPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if code := run(context.Background(), []string{"-addr", l.Addr().String(), "-dir", t.TempDir()}, io.Discard, io.Discard); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
}
