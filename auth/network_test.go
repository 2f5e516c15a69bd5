package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

// network points a cached Network resolver at an in-process server.
func network(t testing.TB, srv *dnstest.Server, timeout time.Duration) dns.Resolver {
	t.Helper()
	n, err := dns.NewNetwork(dns.Options{Servers: []string{srv.Addr()}, Timeout: timeout, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return dns.NewCache(n, dns.CacheOptions{})
}

// TestOverTheWire runs the whole check against a real DNS server on
// loopback: keys, SPF and DMARC records travel over UDP (the RSA key
// record is long enough to need EDNS0), and each name is asked once.
func TestOverTheWire(t *testing.T) {
	_, _, ek := testKeys(t)
	text := arcZone(t) + txtRR("ed._domainkey.example.com", keyRecord(t, ek)) +
		txtRR("example.com", "v=spf1 ip4:192.0.2.0/24 -all") +
		txtRR("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")
	srv := dnstest.NewServer(t, dnstest.WithZone(text))
	r := network(t, srv, time.Second)
	_, two := twoHops(t)
	msg := sign(t, two, signOpts{domain: "example.com", selector: "ed", signer: ek})
	res := check(t, r, msg, Input{IP: testIP, MailFrom: "bounce@example.com", HELO: "mx.example.com"})
	if !res.Checked {
		t.Fatal("not checked")
	}
	for _, d := range res.DKIM {
		if d.Result != StatusPass {
			t.Errorf("DKIM %s: %s (%s)", d.Selector, d.Result, d.Reason)
		}
	}
	if res.SPF.Result != StatusPass || res.DMARC.Result != StatusPass || res.ARC.Result != StatusPass {
		t.Errorf("spf %s dmarc %s arc %s (%s)", res.SPF.Result, res.DMARC.Result, res.ARC.Result, res.ARC.Reason)
	}
	if n := srv.QueriesFor("sel._domainkey.example.com"); n != 1 {
		t.Errorf("key asked %d times, want 1", n)
	}
	// A second message reuses the cached answers.
	before := srv.Queries()
	check(t, r, msg, Input{IP: testIP, MailFrom: "bounce@example.com", HELO: "mx.example.com"})
	if srv.Queries() != before {
		t.Errorf("second message asked %d more questions", srv.Queries()-before)
	}
}

// TestTimeouts: a server that never answers gives temperror everywhere,
// quickly, with a reason, and nothing reads as a failure.
func TestTimeouts(t *testing.T) {
	rk, _, _ := testKeys(t)
	srv := dnstest.NewServer(t, dnstest.WithNoAnswer())
	r := network(t, srv, 50*time.Millisecond)
	_, two := twoHops(t)
	msg := sign(t, two, signOpts{domain: "example.com", selector: "sel", signer: rk})
	start := time.Now()
	res := check(t, r, msg, Input{IP: testIP, MailFrom: "bounce@example.com", HELO: "mx.example.com"})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	for _, d := range res.DKIM {
		if d.Result != StatusTempError || d.Problem != ProblemKeyUnavailable || !strings.Contains(d.Reason, "temporary") {
			t.Errorf("DKIM %s: %s/%s (%s)", d.Selector, d.Result, d.Problem, d.Reason)
		}
	}
	if res.SPF.Result != StatusTempError {
		t.Errorf("SPF %s (%s)", res.SPF.Result, res.SPF.Reason)
	}
	if res.DMARC.Result != StatusTempError {
		t.Errorf("DMARC %s (%s)", res.DMARC.Result, res.DMARC.Reason)
	}
	if res.ARC.Result != StatusTempError || res.ARC.Structure != "ok" {
		t.Errorf("ARC %s %q (%s)", res.ARC.Result, res.ARC.Structure, res.ARC.Reason)
	}
}

// TestOffline: no resolver, or the offline resolver behind a cache as the
// command line builds it, checks nothing and says so.
func TestOffline(t *testing.T) {
	rk, _, _ := testKeys(t)
	msg := sign(t, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk})
	offline, err := dns.New(dns.Config{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]dns.Resolver{"nil": nil, "dns.Offline": offline} {
		t.Run(name, func(t *testing.T) {
			res := check(t, r, msg, Input{IP: testIP, MailFrom: "a@example.com"})
			if res.Checked || !strings.Contains(res.Note, "not checked") {
				t.Errorf("checked %v note %q", res.Checked, res.Note)
			}
			for _, st := range []Status{res.DKIM[0].Result, res.SPF.Result, res.DMARC.Result} {
				if st != StatusNotChecked {
					t.Errorf("status %s, want not-checked (dkim %s spf %s dmarc %s)", st, res.DKIM[0].Result, res.SPF.Result, res.DMARC.Result)
				}
			}
			if res.DKIM[0].Domain != "example.com" || res.DKIM[0].BodyHash != "match" {
				t.Errorf("the signature is still described: %+v", res.DKIM[0])
			}
		})
	}
}
