package received

import (
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// corpusDir is the shared corpus of real messages, relative to this
// package; MAILTRACE_CORPUS overrides it.
func corpusDir() string {
	if d := os.Getenv("MAILTRACE_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "corpus")
}

// minCoverage is the share of corpus headers that must yield what they
// write (a date, an IP literal).
const minCoverage = 99.5

// TestCorpusCoverage parses every Received field of the shared corpus and
// measures (a) how many yield a Time and (b) how many of those that write
// an IP literal yield it as From.IP (or as By.IP when that is the only
// address written). Both are measured against detectors written here,
// without the parser's help. The threshold for (a) applies to the headers
// that write a date at all: a field such as "Received: apparently" cannot
// yield one. The share over all headers is logged beside it, and every
// header that misses is printed.
func TestCorpusCoverage(t *testing.T) {
	dir := corpusDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var c coverage
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		msg, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		c.message(t, filepath.Base(filepath.Dir(path))+"/"+d.Name(), msg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.report(t)
}

type coverage struct {
	messages, headers, timed int
	dated, datedTimed        int
	withIP, withIPFound      int
	dateFailures, ipFailures []string
	undated                  []string // headers that write no date at all
	full, partial, none      int
}

func (c *coverage) message(t *testing.T, name string, msg []byte) {
	c.messages++
	for _, f := range receivedFields(msg) {
		h := Parse(f.Value)
		if h.Raw != f.Value {
			t.Errorf("%s:%d: Raw differs from the input", name, f.Line)
		}
		c.header(name, f, h)
	}
}

func (c *coverage) header(name string, f Field, h Hop) {
	c.headers++
	switch h.Parsed {
	case ParsedFull:
		c.full++
	case ParsedPartial:
		c.partial++
	default:
		c.none++
	}
	where := name + ":" + strconv.Itoa(f.Line) + ": " + collapse(f.Value)
	if h.Time != nil {
		c.timed++
	}
	if writesDate(f.Value) {
		c.dated++
		if h.Time != nil {
			c.datedTimed++
		} else {
			c.dateFailures = append(c.dateFailures, where)
		}
	} else if h.Time == nil {
		c.undated = append(c.undated, where)
	}
	if ips := writtenIPs(f.Value); len(ips) > 0 {
		c.withIP++
		if ipFound(h, ips) {
			c.withIPFound++
		} else {
			c.ipFailures = append(c.ipFailures, where+"  => from="+h.From.IP+" by="+h.By.IP)
		}
	}
}

func (c *coverage) report(t *testing.T) {
	timeAll := pct(c.timed, c.headers)
	timeDated := pct(c.datedTimed, c.dated)
	ip := pct(c.withIPFound, c.withIP)
	t.Logf("%d messages, %d Received headers: %d full, %d partial, %d none", c.messages, c.headers, c.full, c.partial, c.none)
	t.Logf("(a) Time: %d/%d headers that write a date (%.2f%%); %d/%d of all headers (%.2f%%)",
		c.datedTimed, c.dated, timeDated, c.timed, c.headers, timeAll)
	t.Logf("(b) IP: %d/%d headers that write an IP literal (%.2f%%)", c.withIPFound, c.withIP, ip)
	for _, l := range c.undated {
		t.Log("writes no date: ", l)
	}
	for _, l := range c.dateFailures {
		t.Log("no time: ", l)
	}
	for _, l := range c.ipFailures {
		t.Log("no IP: ", l)
	}
	if c.headers == 0 {
		t.Fatal("no Received headers found in the corpus")
	}
	if timeDated < minCoverage {
		t.Errorf("Time coverage %.2f%% < %.1f%%", timeDated, minCoverage)
	}
	if ip < minCoverage {
		t.Errorf("IP coverage %.2f%% < %.1f%%", ip, minCoverage)
	}
}

// ipFound: the hop yields From.IP, or By.IP when that is the only address
// the header writes. Any address reported must be one the header writes.
func ipFound(h Hop, written map[string]bool) bool {
	if h.From.IP != "" {
		return written[h.From.IP]
	}
	return h.By.IP != "" && len(written) == 1 && written[h.By.IP]
}

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// Detectors, written apart from the parser.

var (
	monthWord = regexp.MustCompile(`(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b`)
	clockTime = regexp.MustCompile(`\b\d{1,2} ?: ?\d{2}\b`)
	isoDate   = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}`)
)

// writesDate reports a header that writes a date: a month name and a
// clock time, or an ISO date and time.
func writesDate(v string) bool {
	return monthWord.MatchString(v) && clockTime.MatchString(v) || isoDate.MatchString(v)
}

// writtenIPs returns the canonical addresses a header writes: tokens
// between separators that net/netip accepts once an "IPv6:" tag, a
// "user@" prefix, a zone and an IPv4 ":port" are removed, or that start
// with an IPv4 address followed by a colon. The token after the word "id" is an
// identifier, never an address (Exchange's "id 15.20.218.12").
func writtenIPs(v string) map[string]bool {
	ips := map[string]bool{}
	toks := strings.FieldsFunc(v, func(r rune) bool {
		return r <= ' ' || strings.ContainsRune(`()[]<>;,"=`, r)
	})
	for i, tok := range toks {
		if i > 0 && strings.EqualFold(toks[i-1], "id") {
			continue
		}
		if a, ok := tokenIP(tok); ok {
			ips[a.String()] = true
		}
	}
	return ips
}

func tokenIP(tok string) (netip.Addr, bool) {
	if i := strings.LastIndexByte(tok, '@'); i >= 0 {
		tok = tok[i+1:]
	}
	tok = strings.TrimPrefix(strings.TrimPrefix(tok, "IPv6:"), "ipv6:")
	if i := strings.IndexByte(tok, '%'); i >= 0 {
		tok = tok[:i]
	}
	for _, cand := range []string{tok, colonPrefix(tok), portless(tok)} {
		if a, err := netip.ParseAddr(cand); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// colonPrefix returns the address in "192.0.2.1::junk" (SLmail).
func colonPrefix(s string) string {
	i := 0
	for i < len(s) && strings.IndexByte("0123456789.", s[i]) >= 0 {
		i++
	}
	if i == len(s) || s[i] != ':' {
		return ""
	}
	return s[:i]
}

func portless(s string) string {
	if i := strings.LastIndexByte(s, ':'); i > 0 && strings.Count(s, ":") == 1 {
		return s[:i]
	}
	return s
}
