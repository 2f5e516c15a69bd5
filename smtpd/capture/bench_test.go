package capture

import (
	"bufio"
	"io"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mailtrace/mailtrace/smtpd"
)

// benchMessage is a 4 KiB message, as smtp-source -l 4096 sends.
var benchMessage = "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 4096/80)

// sendNetSMTP delivers n messages over one net/smtp session.
func sendNetSMTP(b *testing.B, addr string, n int) {
	c, err := smtp.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		b.Fatal(err)
	}
	for range n {
		if err := c.Mail("bench@client.example"); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt("sink@mx.test"); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		io.WriteString(w, benchMessage)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	c.Quit()
}

// BenchmarkNetSMTP: messages per second through net/smtp into the Maildir, fsync on, one session.
func BenchmarkNetSMTP(b *testing.B) {
	s := startSink(b, Options{}, nil)
	go func() {
		for range s.deliveries {
		}
	}()
	b.SetBytes(int64(len(benchMessage)))
	b.ResetTimer()
	sendNetSMTP(b, s.addr, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkNetSMTPParallel: the same with one session per parallel goroutine (GOMAXPROCS×8), so that
// group commit has company.
func BenchmarkNetSMTPParallel(b *testing.B) {
	s := startSink(b, Options{}, nil)
	go func() {
		for range s.deliveries {
		}
	}()
	b.SetBytes(int64(len(benchMessage)))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(s.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		c.Hello("client.example")
		for pb.Next() {
			c.Mail("bench@client.example")
			c.Rcpt("sink@mx.test")
			w, err := c.Data()
			if err != nil {
				b.Error(err)
				return
			}
			io.WriteString(w, benchMessage)
			if err := w.Close(); err != nil {
				b.Error(err)
				return
			}
		}
		c.Quit()
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkMemory20x20MB receives 20 concurrent 20 MiB messages and reports the process's peak RSS
// (VmHWM; client side included). It needs MAILTRACE_MEMBENCH=1: it writes 400 MiB. The limit to keep
// under is 150 MB. bench/smtp-memory.sh measures the sink process alone.
func BenchmarkMemory20x20MB(b *testing.B) {
	if os.Getenv("MAILTRACE_MEMBENCH") == "" || testing.Short() {
		b.Skip("set MAILTRACE_MEMBENCH=1 to run")
	}
	const sessions, size = 20, 20 << 20
	s := startSink(b, Options{}, func(o *smtpd.Options) { o.MaxMessageSize = 32 << 20 })
	go func() {
		for range s.deliveries {
		}
	}()
	for range b.N {
		var wg sync.WaitGroup
		for range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dial(&panicT{b}, s.addr) // Fatal from a goroutine becomes a panic
				defer c.nc.Close()
				c.cmd("MAIL FROM:<big@client.example> SIZE="+strconv.Itoa(size), "250 ")
				c.cmd("RCPT TO:<sink@mx.test>", "250 ")
				c.cmd("DATA", "354 ")
				w := bufio.NewWriterSize(c.nc, 32<<10)
				line := strings.Repeat("y", 998) + "\r\n"
				for sent := 0; sent < size; sent += len(line) {
					w.WriteString(line)
				}
				w.WriteString(".\r\n")
				w.Flush()
				c.expect("250 ")
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(vmHWM(b))/1024, "VmHWM-MB")
}

// vmHWM reads the peak resident set size of this process, in kB.
func vmHWM(b *testing.B) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	b.Skip("no VmHWM")
	return 0
}

// BenchmarkSessionPerMessageNoSync is what smtp-source -l 4096 does, one connection per message, into
// a Maildir without fsync: allocs/op are the server's (engine and capture) and the client's.
func BenchmarkSessionPerMessageNoSync(b *testing.B) {
	md, err := New(Options{Dir: b.TempDir(), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := smtpd.NewServer(smtpd.Options{Hostname: "mx.test", DisableSTARTTLS: true, MaxConns: 1000}, md)
	if err != nil {
		b.Fatal(err)
	}
	l, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer func() {
		srv.Shutdown(b.Context())
		md.Close()
	}()
	body := benchMessage
	if !strings.HasSuffix(body, "\r\n") {
		body += "\r\n"
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c := dial(b, l.Addr().String())
		c.send("bench@client.example", "sink@mx.test", body, "250 ")
		c.cmd("QUIT", "221 ")
		c.nc.Close()
	}
}
