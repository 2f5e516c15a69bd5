package smtpd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// referenceScan is textScanner.scan as first written, one octet at a time: the word-at-a-time
// version must report exactly the same anomalies, at the same offsets, in the same order.
func (s *textScanner) referenceScan(p []byte) {
	if s.off == 0 && len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
		s.add(AnomalyDataLeadingSpace, 0, 1, "message text starts with white space: it would continue the receiver's last field")
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		if s.cr && b != '\n' {
			s.cr = false
			s.bare = true
			s.add(AnomalyDataBareCR, s.off+int64(i)-1, s.line, "CR not followed by LF")
		}
		s.lineLen++
		if s.lineLen > s.maxLine && !s.tooLong {
			s.tooLong = true
			s.add(AnomalyDataLineTooLong, s.off+int64(i), s.line, "text line longer than the limit")
		}
		if !special[b] {
			continue
		}
		switch {
		case b == '\r':
			s.cr = true
		case b == '\n':
			if !s.cr {
				s.bare = true
				s.add(AnomalyDataBareLF, s.off+int64(i), s.line, "LF not preceded by CR")
			}
			s.cr = false
			s.line++
			s.lineLen = 0
		case b == 0:
			if !s.seenNUL {
				s.seenNUL = true
				s.add(AnomalyDataNUL, s.off+int64(i), s.line, "NUL octet")
			}
		default:
			if !s.allow8 && !s.seen8bit {
				s.seen8bit = true
				s.add(AnomalyData8Bit, s.off+int64(i), s.line, "8-bit octet without BODY=8BITMIME")
			}
		}
	}
	s.off += int64(len(p))
}

// scanBoth runs both scanners over data cut into the given chunks and fails on any difference.
func scanBoth(t *testing.T, data []byte, cuts []int, maxLine int, allow8 bool) {
	t.Helper()
	var got, want []string
	log := func(l *[]string) anomalySink {
		return func(code string, off, line int64, detail string) {
			*l = append(*l, fmt.Sprintf("%s@%d line %d: %s", code, off, line, detail))
		}
	}
	a, b := newTextScanner(maxLine, allow8, log(&got)), newTextScanner(maxLine, allow8, log(&want))
	prev := 0
	for _, c := range append(cuts, len(data)) {
		a.scan(data[prev:c])
		b.referenceScan(data[prev:c])
		prev = c
	}
	a.finish()
	b.finish()
	state := func(s *textScanner) string { s.add = nil; return fmt.Sprintf("%+v", *s) }
	if sa, sb := state(a), state(b); !slices.Equal(got, want) || sa != sb {
		t.Fatalf("data %q cuts %v max %d:\n got %v %s\nwant %v %s", data, cuts, maxLine, got, sa, want, sb)
	}
}

// TestScanMatchesReference compares the scanners on random text rich in the octets they look at.
func TestScanMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("xxxxxxxxxxxxxxxxxxxx.\r\n\x00\xc3\xa9\x80\xff \t")
	for range 20000 {
		data := make([]byte, rng.IntN(200))
		for i := range data {
			data[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var cuts []int
		for c := rng.IntN(len(data) + 1); c < len(data); c += 1 + rng.IntN(40) {
			cuts = append(cuts, c)
		}
		scanBoth(t, data, cuts, 1+rng.IntN(50), rng.IntN(2) == 0)
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\nbody\r\n"), 10, 3)
	f.Add([]byte("a\rb\nc\x00\xff\r\r\n"), 2, 1)
	f.Fuzz(func(t *testing.T, data []byte, maxLine, cut int) {
		if maxLine < 1 || maxLine > 2000 || cut < 0 || cut > len(data) {
			return
		}
		scanBoth(t, data, []int{cut}, maxLine, false)
		scanBoth(t, data, nil, maxLine, true)
	})
}

// TestLineEndAt compares the word-at-a-time searches with the plain loops.
func TestLineEndAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	alphabet := []byte("abcdefgh\r\n\x00\x80\xff\x0c\x0e\x8d\x8a")
	for range 20000 {
		p := make([]byte, rng.IntN(40))
		for i := range p {
			if rng.IntN(8) == 0 {
				p[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				p[i] = byte('a' + rng.IntN(26))
			}
		}
		from := rng.IntN(len(p) + 1)
		wantLE, wantPE := from, from
		for wantLE < len(p) && p[wantLE] != '\r' && p[wantLE] != '\n' {
			wantLE++
		}
		for wantPE < len(p) && !special[p[wantPE]] {
			wantPE++
		}
		if got := lineEndAt(p, from); got != wantLE {
			t.Fatalf("lineEndAt(%q, %d) = %d, want %d", p, from, got, wantLE)
		}
		if got := plainEnd(p, from); got != wantPE {
			t.Fatalf("plainEnd(%q, %d) = %d, want %d", p, from, got, wantPE)
		}
	}
}

// BenchmarkDecode4K: the DATA decoder and text scanner over a 4 KiB message, as the engine runs them.
func BenchmarkDecode4K(b *testing.B) {
	data := []byte(benchBody)
	add := func(string, int64, int64, string) {}
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, 16<<10)
	out := make([]byte, 0, dotOutSize)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(data)
		br.Reset(rd)
		sink := &msgSink{w: io.Discard, max: 1 << 40, scanner: newTextScanner(1000, false, add)}
		dr := newDotReader(br, sink, add, out)
		if err := dr.readAll(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan4K: the text scanner alone, word at a time and octet by octet.
func BenchmarkScan4K(b *testing.B) {
	data := []byte(benchBody)
	add := func(string, int64, int64, string) {}
	b.SetBytes(int64(len(data)))
	b.Run("words", func(b *testing.B) {
		for b.Loop() {
			newTextScanner(1000, false, add).scan(data)
		}
	})
	b.Run("octets", func(b *testing.B) {
		for b.Loop() {
			newTextScanner(1000, false, add).referenceScan(data)
		}
	})
}
