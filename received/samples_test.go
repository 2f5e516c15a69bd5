package received

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleFamily is the MTA family each crafted sample of ../testdata/mta
// must show on at least one hop; "" when the sample shows a format rather
// than a family.
var sampleFamily = map[string]string{
	"01-postfix": "postfix", "02-sendmail": "sendmail", "03-exim": "exim", "04-qmail": "qmail",
	"05-exchange": "exchange", "06-m365": "m365", "07-gmail": "gmail", "08-yahoo": "yahoo",
	"09-ses": "ses", "10-sendgrid": "sendgrid", "11-mailgun": "mailgun", "12-powermta": "powermta",
	"13-haraka": "haraka", "14-momentum": "momentum", "15-communigate": "communigate",
	"16-mdaemon": "mdaemon", "17-domino": "domino", "18-ibm": "ibm", "19-opensmtpd": "opensmtpd",
	"20-halon": "halon", "21-zimbra-amavis": "amavis", "22-proofpoint": "proofpoint",
	"23-cyrus-lmtp": "cyrus", "24-fetchmail": "fetchmail", "25-getmail": "getmail",
	"26-qpsmtpd": "qpsmtpd", "27-smtpsvc": "exchange",
	// The second audit: MTAs in their current formats.
	"28-kerio": "kerio", "29-hmailserver": "hmailserver", "30-mailenable": "mailenable", "31-axigen": "axigen",
	"32-icewarp": "icewarp", "33-courier": "courier", "34-opensmtpd": "opensmtpd", "35-stalwart-out": "stalwart",
	"36-maddy": "", "37-mox": "", "38-chasquid": "chasquid", "39-chasquid-in": "chasquid", "40-exim497-out": "exim",
	"41-sendmail-tls": "sendmail",
}

// TestMTASamples checks the crafted messages the analysis tests build on:
// every hop parses fully, clocks never step back, each hop's from-clause
// names the host of the hop before it, and the family is recognised.
func TestMTASamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "mta", "*.eml"))
	if err != nil || len(paths) < 25 {
		t.Fatalf("want at least 25 samples, found %d (%v)", len(paths), err)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".eml")
		t.Run(name, func(t *testing.T) {
			msg, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			checkSample(t, name, BuildChain(receivedFields(msg)))
		})
	}
}

func checkSample(t *testing.T, name string, c Chain) {
	if n := len(c.Hops); n < 2 || n > 6 {
		t.Errorf("%d Received fields, want 2 to 6", n)
	}
	family, ok := sampleFamily[name]
	if !ok {
		t.Errorf("no family listed for %s", name)
	}
	seen := false
	for i, h := range c.Hops {
		seen = seen || h.MTA == family
		if h.Parsed != ParsedFull || h.Time == nil {
			t.Errorf("hop %d: parsed %s, notes %q", h.Index, h.Parsed, h.Notes)
		}
		for _, n := range h.Notes {
			if strings.Contains(n, "weekday") || strings.Contains(n, "no zone") {
				t.Errorf("hop %d: %s", h.Index, n)
			}
		}
		if h.DelaySeconds != nil && *h.DelaySeconds < 0 {
			t.Errorf("hop %d: clock steps back %.0fs", h.Index, *h.DelaySeconds)
		}
		if i > 0 && !follows(c.Hops[i-1], h) {
			t.Errorf("hop %d from %q/%q/%q does not follow by %q/%q", h.Index,
				h.From.HELO, h.From.RDNS, h.From.IP, c.Hops[i-1].By.Host, c.Hops[i-1].By.IP)
		}
	}
	if family != "" && !seen {
		t.Errorf("no hop recognised as %q", family)
	}
}

// follows reports whether hop h names the host that wrote prev, when both
// say who they are. A content filter that re-injects over loopback on the
// same host (Proofpoint's "from pps.filterd") also follows.
func follows(prev, h Hop) bool {
	by := strings.TrimSuffix(prev.By.Host, ".")
	if by == "" || h.From == (From{}) || h.From.HELO == "" && h.From.RDNS == "" {
		return true
	}
	if a, err := netip.ParseAddr(h.From.IP); err == nil && a.IsLoopback() && strings.EqualFold(h.By.Host, by) {
		return true
	}
	return strings.EqualFold(h.From.HELO, by) || strings.EqualFold(h.From.RDNS, by) ||
		h.From.IP != "" && h.From.IP == prev.By.IP
}
