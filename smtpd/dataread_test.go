package smtpd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// decoded is the result of running the DATA decoder over some octets.
type decoded struct {
	out       []byte
	consumed  int64
	rest      []byte
	anomalies []string
	err       error
}

// decodeData runs dotReader and textScanner as the engine does, with a bufio buffer of bufSize.
func decodeData(data []byte, bufSize int) decoded {
	var d decoded
	add := func(code string, off, line int64, detail string) { d.anomalies = append(d.anomalies, code) }
	var out bytes.Buffer
	sink := &msgSink{w: &out, max: 1 << 40, scanner: newTextScanner(1000, false, add)}
	br := bufio.NewReaderSize(bytes.NewReader(data), bufSize)
	dr := newDotReader(br, sink, add, make([]byte, 0, 64))
	d.err = dr.readAll()
	sink.scanner.finish()
	d.out, d.consumed = out.Bytes(), dr.raw
	d.rest, _ = io.ReadAll(br)
	return d
}

// TestDataReader covers RFC 5321 §4.5.2 transparency and the end of data, with the anomalies each input
// must produce.
func TestDataReader(t *testing.T) {
	tests := []struct {
		name, in, out, rest string
		anomalies           []string
	}{
		{"plain", "a\r\nb\r\n.\r\nQUIT\r\n", "a\r\nb\r\n", "QUIT\r\n", nil},
		{"empty message", ".\r\n", "", "", nil},
		{"stuffed dots", "..a\r\n..\r\n.\r\n", ".a\r\n.\r\n", "", nil},
		{"dot inside a line", "a.\r\n. b\r\n.\r\n", "a.\r\n b\r\n", "", nil},
		{"no final CRLF before the dot is not an end", "a.\r\n.\r\n", "a.\r\n", "", nil},
		{"bare LF kept", "a\nb\r\n.\r\n", "a\nb\r\n", "", []string{AnomalyDataBareLF}},
		{"bare CR kept", "a\rb\r\n.\r\n", "a\rb\r\n", "", []string{AnomalyDataBareCR}},
		// SEC Consult's smuggling sequences: never an end of data, always reported.
		{"LF.LF", "a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", "", []string{AnomalyDataBareLF, AnomalyDataSmuggling, AnomalyDataBareLF}},
		{"CR.CRLF", "a\r.\r\nb\r\n.\r\n", "a\r.\r\nb\r\n", "", []string{AnomalyDataBareCR, AnomalyDataSmuggling}},
		{"LF.CRLF", "a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", "", []string{AnomalyDataBareLF, AnomalyDataSmuggling}},
		{"CRLF.LF drops the stuffing dot", "a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n", "", []string{AnomalyDataSmuggling, AnomalyDataBareLF}},
		{"CR.LF", "a\r.\nb\r\n.\r\n", "a\r.\nb\r\n", "", []string{AnomalyDataBareCR, AnomalyDataSmuggling, AnomalyDataBareLF}},
		{"CRLF.CR", "a\r\n.\rb\r\n.\r\n", "a\r\n\rb\r\n", "", []string{AnomalyDataSmuggling, AnomalyDataBareCR}},
		{"dot then LF at start", ".\nx\r\n.\r\n", "\nx\r\n", "", []string{AnomalyDataSmuggling, AnomalyDataBareLF}},
		{"8-bit and NUL", "\xe9\x00\r\n.\r\n", "\xe9\x00\r\n", "", []string{AnomalyData8Bit, AnomalyDataNUL}},
	}
	for _, tt := range tests {
		for _, size := range []int{16, 4096} {
			t.Run(fmt.Sprintf("%s/buf%d", tt.name, size), func(t *testing.T) {
				d := decodeData([]byte(tt.in), size)
				if d.err != nil {
					t.Fatalf("error %v", d.err)
				}
				if string(d.out) != tt.out || string(d.rest) != tt.rest {
					t.Errorf("out %q rest %q, want %q %q", d.out, d.rest, tt.out, tt.rest)
				}
				if fmt.Sprint(d.anomalies) != fmt.Sprint(tt.anomalies) && !(len(d.anomalies) == 0 && len(tt.anomalies) == 0) {
					t.Errorf("anomalies %v, want %v", d.anomalies, tt.anomalies)
				}
			})
		}
	}
}

func TestDataReaderUnterminated(t *testing.T) {
	for _, in := range []string{"", "abc", "a\r\n.", "a\r\n.\r", "a\n.\n", "a\r\n.\n"} {
		if d := decodeData([]byte(in), 16); d.err == nil {
			t.Errorf("%q: no error for data without <CRLF>.<CRLF>", in)
		}
	}
}

// referenceDecode is the RFC 5321 §4.1.1.4 / §4.5.2 definition, written as plainly as possible: the data
// ends at the first <CRLF>.<CRLF> (counting the CRLF before the data), and every CRLF-delimited line
// loses a leading dot. It returns ok=false when the data never ends.
func referenceDecode(data []byte) (out []byte, consumed int, ok bool) {
	p := append([]byte("\r\n"), data...)
	i := bytes.Index(p, []byte("\r\n.\r\n"))
	if i < 0 {
		return nil, 0, false
	}
	lines := bytes.Split(data[:i], []byte("\r\n"))
	for k, l := range lines {
		lines[k] = bytes.TrimPrefix(l, []byte("."))
	}
	return bytes.Join(lines, []byte("\r\n")), i + 3, true
}

// referenceSmuggling counts dots between two line-end octets (CR or LF) before the true end, except the
// end itself: the places where some server might have seen an end of data.
func referenceSmuggling(data []byte, consumed int) int {
	p := append([]byte("\r\n"), data[:consumed]...)
	n := 0
	for q := 2; q < len(p)-3; q++ {
		if p[q] == '.' && (p[q-1] == '\r' || p[q-1] == '\n') && (p[q+1] == '\r' || p[q+1] == '\n') {
			n++
		}
	}
	return n
}

// referenceBare counts bare LFs and bare CRs in text.
func referenceBare(out []byte) (lf, cr int) {
	for i, b := range out {
		if b == '\n' && (i == 0 || out[i-1] != '\r') {
			lf++
		}
		if b == '\r' && (i == len(out)-1 || out[i+1] != '\n') {
			cr++
		}
	}
	return lf, cr
}

func count(list []string, code string) int {
	n := 0
	for _, c := range list {
		if c == code {
			n++
		}
	}
	return n
}

func FuzzDataReader(f *testing.F) {
	for _, s := range []string{".\r\n", "a\r\n.\r\n", "a\n.\nb\r\n.\r\n", "..x\r\n.\r\nrest", "\r.\r\n\r\n.\r\n", "\r\n.\rx\r\n.\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := decodeData(data, 16)
		want, consumed, ok := referenceDecode(data)
		if !ok {
			if d.err == nil {
				t.Fatalf("ended data that has no <CRLF>.<CRLF>: consumed %d", d.consumed)
			}
			return
		}
		if d.err != nil {
			t.Fatalf("error %v, want end after %d octets", d.err, consumed)
		}
		if d.consumed != int64(consumed) || !bytes.Equal(d.out, want) || !bytes.Equal(d.rest, data[consumed:]) {
			t.Fatalf("consumed %d out %q rest %q\nwant %d %q %q", d.consumed, d.out, d.rest, consumed, want, data[consumed:])
		}
		if got, w := count(d.anomalies, AnomalyDataSmuggling), referenceSmuggling(data, consumed); got != w {
			t.Fatalf("smuggling anomalies %d, want %d (%v)", got, w, d.anomalies)
		}
		lf, cr := referenceBare(d.out)
		if count(d.anomalies, AnomalyDataBareLF) != lf || count(d.anomalies, AnomalyDataBareCR) != cr {
			t.Fatalf("bare LF/CR anomalies %v, want %d LF %d CR", d.anomalies, lf, cr)
		}
	})
}

// smugglingPayloads reads testdata/smuggling.txt.
func smugglingPayloads(t testing.TB) []string {
	b, err := os.ReadFile("testdata/smuggling.txt")
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, `"`) {
			p, err := strconv.Unquote(line)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
	}
	if len(ps) != 10 {
		t.Fatalf("%d smuggling payloads, want 10", len(ps))
	}
	return ps
}

// TestSmugglingOverTCP sends each payload in a real session, in both modes: the message is kept whole
// (one 250, one stored message containing the smuggled text) or refused whole (554, nothing stored), and
// the smuggled MAIL/RCPT/DATA never run as commands: the next command gets the next reply.
func TestSmugglingOverTCP(t *testing.T) {
	for _, reject := range []bool{false, true} {
		for i, p := range smugglingPayloads(t) {
			t.Run(fmt.Sprintf("reject=%v/%d", reject, i), func(t *testing.T) {
				be := newRecBackend()
				ts := startServer(t, be, func(o *Options) { o.RejectBareLineEnds = reject })
				msg := "Subject: first\r\n\r\nbody" + p + "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@mx.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
				replies := sendRaw(t, ts.addr, "EHLO client.example\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n", msg+".\r\nNOOP\r\nQUIT\r\n")
				want := []string{"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "<final>", "250 2.0.0 Ok", "221 2.0.0 Bye"}
				stored := be.messages()
				bare := strings.ContainsAny(strings.ReplaceAll(p, "\r\n", ""), "\r\n")
				switch {
				case reject && bare:
					want[3] = "554 5.6.0 Error: bare <CR> or <LF> in message text"
					if len(stored) != 0 {
						t.Errorf("%d messages stored, want 0", len(stored))
					}
				default:
					if len(replies) > 3 && strings.HasPrefix(replies[3], "250 2.0.0 Ok: queued as ") {
						want[3] = replies[3]
					}
					if len(stored) != 1 || !strings.Contains(string(stored[0].data), "Subject: smuggled") {
						t.Errorf("stored %d messages, want 1 holding the smuggled text", len(stored))
					}
				}
				if strings.Join(replies, "\n") != strings.Join(want, "\n") {
					t.Errorf("replies:\n%s\nwant:\n%s", strings.Join(replies, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}

// sendRaw greets, sends head (EHLO...DATA) and after the 354 the raw body, and returns the replies after
// the EHLO's, one line each, until the server closes.
func sendRaw(t *testing.T, addr, head, body string) []string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	var replies []string
	ehloDone := false
	if _, err := nc.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return replies
		}
		line = strings.TrimSuffix(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "220 "), strings.HasPrefix(line, "250-"):
			continue
		case !ehloDone && strings.HasPrefix(line, "250 "):
			ehloDone = true
			continue
		}
		replies = append(replies, line)
		if strings.HasPrefix(line, "354") {
			nc.Write([]byte(body))
		}
	}
}
