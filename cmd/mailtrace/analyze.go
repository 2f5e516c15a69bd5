package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
)

// analyzeOptions are the flags of `mailtrace analyze`.
type analyzeOptions struct {
	paths      []string
	format     string
	headerOnly bool
}

func analyzeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "analyse messages: summary, Received hop chain, findings, verdict",
		ArgsUsage: "[FILE|DIR|MBOX|-]...",
		Description: "Reads .eml files, directories (recursively; Maildir cur/ and new/), mbox files and standard\n" +
			"input (\"-\" or no argument). A message that cannot be read becomes an error entry; the others go on.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: formatUsage},
			&cli.BoolFlag{Name: "header-only", Usage: "do not decode the MIME body (faster; header analysis is the same)"},
		}, append(append(dnsFlags(), outputFlags()...), ruleFlags()...)...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts := analyzeOptions{paths: c.Args().Slice(), format: c.String("format"), headerOnly: c.Bool("header-only")}
			return runAnalyze(c, opts, s)
		},
	}
}

func runAnalyze(c *cli.Context, opts analyzeOptions, s streams) error {
	out, err := outputOptionsFrom(c, opts.format)
	if err != nil {
		return err
	}
	resolver, mode, err := resolverFromFlags(c)
	if err != nil {
		return err
	}
	rules, err := ruleOptionsFrom(c)
	if err != nil {
		return err
	}
	out.failOn, out.failOnText = rules.failOn, rules.failOnText
	a := analyze.New(analyze.Options{HeaderOnly: opts.headerOnly, Resolver: resolver, DNSMode: mode,
		Trusted: rules.trusted, ClockSkew: rules.clockSkew, Now: rules.now})
	res, err := runBatch(c, a, opts.paths, out, s)
	if err != nil {
		return err
	}
	if res.failed > 0 {
		return errGate
	}
	if n := res.tally.Errors; n > 0 {
		// Every readable message was analysed and reported; the run still
		// fails so that a pipeline notices a fixture it could not read.
		return fmt.Errorf("%d %s could not be read", n, plural(n, "input", "inputs"))
	}
	return nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageErrorf("unknown --format %q (want one of %v)", format, allowed)
}
