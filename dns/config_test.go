package dns_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/dns/dnstest"
)

func TestNewOffline(t *testing.T) {
	r, err := dns.New(dns.Config{Offline: true, ZoneFiles: []string{testZone}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LookupMX(ctxT(t), "mt.test"); !errors.Is(err, dns.ErrOffline) {
		t.Errorf("error = %v, want ErrOffline", err)
	}
	if _, ok := dns.StatsOf(r); !ok {
		t.Error("no stats")
	}
}

// TestNewZoneOnly: with zone files and no server, nothing leaves the
// process. The files have the last word only under their SOAs: there a
// missing name is NXDOMAIN and a missing type NODATA; about a name no SOA
// of theirs encloses nobody was asked, so the answer is unknown
// (temporary), never "does not exist". From the audit: a file holding only
// an unrelated DKIM key made genuine-postfix.eml's PTR and forward lookups
// NXDOMAIN, and rdns-unconfirmed came out of it.
func TestNewZoneOnly(t *testing.T) {
	dir := t.TempDir()
	keyOnly := filepath.Join(dir, "keyonly.zone") // records without a SOA
	extra := filepath.Join(dir, "extra.zone")
	for path, text := range map[string]string{
		keyOnly: "sel._domainkey.unrelated.test. 300 TXT \"v=DKIM1; p=\"\n",
		extra: "$ORIGIN auth.test.\n@ SOA ns hostmaster 1 7200 900 1209600 300\n" +
			"out CNAME x.elsewhere.test.\nin CNAME absent.auth.test.\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := dns.New(dns.Config{ZoneFiles: []string{testZone, demoZone, keyOnly, extra}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lookup func(dns.Resolver) error
		want   error // nil: an answer
	}{
		{"in the files", mxOfErr("example.com"), nil},
		{"in a file without SOA", txtOfErr("sel._domainkey.unrelated.test"), nil},
		{"under a SOA, missing name", mxOfErr("absent.mt.test"), dns.ErrNotFound},
		{"under a SOA, missing type", mxOfErr("textonly.mt.test"), dns.ErrNoData},
		{"under a reverse SOA, missing PTR", ptrOfErr("192.0.2.99"), dns.ErrNotFound},
		{"CNAME to a missing name under a SOA", ipOfErr("in.auth.test"), dns.ErrNotFound},
		{"no SOA above", mxOfErr("gmail.com"), dns.ErrTemporary},
		{"no SOA above, PTR", ptrOfErr("203.0.114.7"), dns.ErrTemporary},
		{"no SOA above, beside a record of the files", txtOfErr("_dmarc.unrelated.test"), dns.ErrTemporary},
		{"no SOA above, empty non-terminal", txtOfErr("unrelated.test"), dns.ErrTemporary},
		{"CNAME out of the files' zones", ipOfErr("out.auth.test"), dns.ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.lookup(r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("error = %v, want an answer", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.want == dns.ErrTemporary && dns.StatusOf(err) != dns.StatusTempError {
				t.Errorf("status = %s, want temperror", dns.StatusOf(err))
			}
		})
	}
	if _, err := dns.New(dns.Config{ZoneFiles: []string{badZone}}); err == nil {
		t.Error("bad zone file: no error")
	}
}

// TestNewZoneOverNetwork: the files answer first; the network answers names
// the files know nothing about, but not names under a SOA of the files.
func TestNewZoneOverNetwork(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZone("$ORIGIN other.test.\n@ MX 10 mx\nmx A 192.0.2.200\n"))
	r, err := dns.New(dns.Config{ZoneFiles: []string{testZone}, Servers: []string{srv.Addr()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if ips, err := r.LookupIP(ctx, "www.mt.test"); err != nil || len(ips) != 2 {
		t.Errorf("from the file: %v, %v", ips, err)
	}
	if mx, err := r.LookupMX(ctx, "other.test"); err != nil || fmt.Sprint(mx) != "[{10 mx.other.test}]" {
		t.Errorf("from the network: %v, %v", mx, err)
	}
	if _, err := r.LookupMX(ctx, "absent.mt.test"); !errors.Is(err, dns.ErrNotFound) {
		t.Errorf("under the file's SOA: %v, want ErrNotFound", err)
	}
	if got := srv.QueriesFor("www.mt.test") + srv.QueriesFor("absent.mt.test"); got != 0 {
		t.Errorf("network asked %d times about names the file is authoritative for", got)
	}
	if srv.QueriesFor("other.test") != 1 {
		t.Errorf("network asked %d times about other.test, want 1", srv.QueriesFor("other.test"))
	}
}

// TestZoneAliasOverNetwork: a file's alias of a host elsewhere (a CNAME out
// of its zones) is followed to the network for the host's records, as a
// recursive server would; it is not "no such name".
func TestZoneAliasOverNetwork(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ov.zone")
	zone := "$ORIGIN ov.test.\n@ SOA ns host 1 3600 600 86400 300\n@ MX 10 alias\nalias CNAME mail.outside.test.\nnone CNAME gone.outside.test.\n"
	if err := os.WriteFile(file, []byte(zone), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := dnstest.NewServer(t, dnstest.WithZone("$ORIGIN outside.test.\n@ SOA ns host 1 3600 600 86400 300\nmail A 192.0.2.77\n"))
	r, err := dns.New(dns.Config{ZoneFiles: []string{file}, Servers: []string{srv.Addr()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if ips, err := r.LookupIP(ctx, "alias.ov.test"); err != nil || fmt.Sprint(ips) != "[192.0.2.77]" {
		t.Errorf("alias of a host elsewhere: %v, %v", ips, err)
	}
	if _, err := r.LookupIP(ctx, "none.ov.test"); !errors.Is(err, dns.ErrNotFound) {
		t.Errorf("alias of a name that does not exist: %v, want ErrNotFound", err)
	}
	if res := dns.Route(ctx, r, "ov.test"); res.Status != dns.RouteMX || !res.HasIP(netip.MustParseAddr("192.0.2.77")) {
		t.Errorf("route: %s %+v", res.Status, res.Hosts)
	}
	if srv.QueriesFor("alias.ov.test") != 0 {
		t.Error("network asked about the file's own name")
	}
}

func TestNewNetworkOnly(t *testing.T) {
	srv := dnstest.NewServer(t, dnstest.WithZoneFile(testZone))
	r, err := dns.New(dns.Config{Servers: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := r.LookupTXT(ctxT(t), "mt.test"); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := dns.StatsOf(r)
	if srv.Queries() != 1 || st.Hits != 2 {
		t.Errorf("%d queries, stats %+v: want the cache in front", srv.Queries(), st)
	}
	if _, err := dns.New(dns.Config{Servers: []string{"127.0.0.1:99999"}}); err == nil {
		t.Error("bad server address: no error")
	}
}
