// Command gosmtp-sink is the comparison issue 5 names beside smtp-sink: an
// SMTP sink built on emersion/go-smtp that stores each message in a Maildir
// the usual way, before its 250: a file in tmp/, fsync, rename into new/,
// fsync of new/. It analyses nothing and keeps no session record. Only
// bench/smtp-bench.sh (REFERENCE=1) uses it; it is a module of its own so
// that go-smtp stays out of mailtrace's.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dir := flag.String("dir", "maildir", "Maildir")
	flag.Parse()
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(*dir, sub), 0o700); err != nil {
			log.Fatal(err)
		}
	}
	s := smtp.NewServer(&backend{dir: *dir})
	s.Domain = "mx.test"
	s.MaxMessageBytes = 25 << 20
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", l.Addr())
	log.Fatal(s.Serve(l))
}

type backend struct {
	dir string
	seq atomic.Uint64
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct{ b *backend }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }

// Data stores the message: written and fsynced in tmp/, renamed into new/,
// and new/ fsynced, so that an acknowledged message survives a crash.
func (s *session) Data(r io.Reader) error {
	now := time.Now()
	name := fmt.Sprintf("%d.M%dP%dQ%d.gosmtp-sink", now.Unix(), now.Nanosecond()/1000, os.Getpid(), s.b.seq.Add(1))
	tmp := filepath.Join(s.b.dir, "tmp", name)
	if err := writeSynced(tmp, r); err != nil {
		os.Remove(tmp)
		return err
	}
	newDir := filepath.Join(s.b.dir, "new")
	if err := os.Rename(tmp, filepath.Join(newDir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(newDir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

func writeSynced(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
