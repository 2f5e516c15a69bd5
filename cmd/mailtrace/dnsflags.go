package main

import (
	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/dns"
)

// dnsFlags are the DNS flags shared by analyze, route and serve.
func dnsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "offline", Usage: "no DNS at all: DNS checks report \"not checked\""},
		&cli.StringSliceFlag{Name: "dns", Usage: "DNS server to ask, by address: `IP[:PORT]` or [IPv6]:PORT (repeatable; default: /etc/resolv.conf)"},
		&cli.StringSliceFlag{Name: "dns-zone", Usage: "answer from RFC 1035 master `FILE` (repeatable); alone, a reproducible offline world: names a file's zone (SOA) leaves out are NXDOMAIN, names outside every zone unknown"},
		&cli.DurationFlag{Name: "dns-timeout", Usage: "timeout of one DNS query (default: the timeout option of /etc/resolv.conf or RES_OPTIONS when its servers are asked, else 2s)"},
	}
}

// resolverFromFlags builds the run's resolver (cached, shared by every
// message) and names its mode for reports. Offline returns a nil resolver:
// analysis then skips DNS checks and says so.
func resolverFromFlags(c *cli.Context) (dns.Resolver, string, error) {
	cfg := dns.Config{
		Offline:   c.Bool("offline"),
		Servers:   c.StringSlice("dns"),
		ZoneFiles: c.StringSlice("dns-zone"),
		Timeout:   c.Duration("dns-timeout"),
	}
	if cfg.Offline {
		if len(cfg.Servers) > 0 || len(cfg.ZoneFiles) > 0 {
			return nil, "", usageErrorf("--offline cannot be combined with --dns or --dns-zone")
		}
		return nil, "offline", nil
	}
	for _, s := range cfg.Servers {
		if _, err := dns.ServerAddr(s); err != nil {
			return nil, "", usageErrorf("--dns %q: want an IP address, IP:PORT or [IPv6]:PORT, with a port from 1 to 65535", s)
		}
	}
	if c.IsSet("dns-timeout") && cfg.Timeout <= 0 {
		return nil, "", usageErrorf("--dns-timeout must be positive, not %s", cfg.Timeout)
	}
	r, err := dns.New(cfg)
	if err != nil {
		return nil, "", err // package dns's errors say "dns:" already
	}
	mode := "network"
	if len(cfg.ZoneFiles) > 0 && len(cfg.Servers) == 0 {
		mode = "zone"
	}
	return r, mode, nil
}
