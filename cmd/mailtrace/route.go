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
	domain := target
	if i := strings.LastIndexByte(target, '@'); i >= 0 {
		domain = target[i+1:]
	}
	domain = strings.Trim(domain, "<> ")
	if domain == "" {
		return usageErrorf("no domain in %q", target)
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
