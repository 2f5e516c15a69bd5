package dns_test

import (
	"errors"
	"fmt"
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
// process and names not in the files do not exist.
func TestNewZoneOnly(t *testing.T) {
	r, err := dns.New(dns.Config{ZoneFiles: []string{testZone, demoZone}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if mx, err := r.LookupMX(ctx, "example.com"); err != nil || len(mx) != 2 {
		t.Errorf("demo MX: %v, %v", mx, err)
	}
	if _, err := r.LookupMX(ctx, "gmail.com"); !errors.Is(err, dns.ErrNotFound) {
		t.Errorf("name not in the files: %v, want ErrNotFound", err)
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
