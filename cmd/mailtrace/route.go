package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/dns"
	"github.com/mailtrace/mailtrace/report"
)

func routeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "route",
		Usage:     "show where mail for an address or domain goes: CNAMEs, MX by preference, addresses",
		ArgsUsage: "ADDRESS|DOMAIN",
		Description: "Mail routing as RFC 5321 §5.1 describes it: CNAMEs chased (depth limit, loops detected),\n" +
			"then MX records by preference (no MX: the domain's own A/AAAA; null MX per RFC 7505), then the\n" +
			"A/AAAA records of each MX host.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text, json"},
		}, dnsFlags()...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("route takes one ADDRESS or DOMAIN")
			}
			return runRoute(c, c.Args().First(), c.String("format"), s)
		},
	}
}

func runRoute(c *cli.Context, target, format string, s streams) error {
	if err := checkFormat(format, "text", "json"); err != nil {
		return err
	}
	domain, err := routeDomain(target)
	if err != nil {
		return err
	}
	r, _, err := resolverFromFlags(c)
	if err != nil {
		return err
	}
	if r == nil {
		r = dns.Offline{}
	}
	res := dns.Route(c.Context, r, domain)
	if format == "json" {
		return report.RouteJSON(s.out, res)
	}
	return report.RouteText(s.out, res)
}

// routeDomain is the domain of an address ("bob@example.org", with or without
// angle brackets or a display name before them) or the domain given. One
// that cannot be looked up is a usage error, not a DNS outcome.
func routeDomain(target string) (string, error) {
	t := strings.TrimSpace(target)
	if strings.HasSuffix(t, ">") {
		if i := strings.LastIndexByte(t, '<'); i >= 0 {
			t = t[i+1 : len(t)-1]
		}
	}
	domain := t
	if i := strings.LastIndexByte(t, '@'); i >= 0 {
		if !oneLocalPart(t[:i]) {
			return "", usageErrorf("%q is not one address or domain", target)
		}
		domain = t[i+1:]
	}
	switch {
	case domain == "":
		return "", usageErrorf("no domain in %q", target)
	case strings.ContainsAny(domain, " \t,;<>()\""):
		return "", usageErrorf("%q is not one address or domain", target)
	}
	if _, ok := dns.AddressLiteral(domain); ok {
		return domain, nil
	}
	if _, err := dns.CanonName(domain); err != nil {
		why := strings.TrimSuffix(err.Error(), ": "+dns.ErrPermanent.Error())
		if i := strings.LastIndex(why, ": "); i >= 0 {
			why = why[i+2:]
		}
		return "", usageErrorf("%q is not a domain name DNS can look up: %s", domain, why)
	}
	return domain, nil
}

// oneLocalPart reports whether s can be the local part of one address: no
// separator, space or second "@" outside a quoted string.
func oneLocalPart(s string) bool {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && strings.IndexByte(" \t,;<>()@", c) >= 0:
			return false
		}
	}
	return !quoted
}
