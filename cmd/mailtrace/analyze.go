package main

import (
	"bufio"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/report"
)

// analyzeOptions are the flags of `mailtrace analyze`.
type analyzeOptions struct {
	paths      []string
	format     string
	headerOnly bool
	color      bool
}

func analyzeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "analyse messages: summary, Received hop chain, findings, verdict",
		ArgsUsage: "[FILE|DIR|MBOX|-]...",
		Description: "Reads .eml files, directories (recursively; Maildir cur/ and new/), mbox files and standard\n" +
			"input (\"-\" or no argument). A message that cannot be read becomes an error entry; the others go on.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text, json, jsonl"},
			&cli.BoolFlag{Name: "header-only", Usage: "do not decode the MIME body (faster; header analysis is the same)"},
		}, dnsFlags()...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts := analyzeOptions{paths: c.Args().Slice(), format: c.String("format"), headerOnly: c.Bool("header-only")}
			return runAnalyze(c, opts, s)
		},
	}
}

func runAnalyze(c *cli.Context, opts analyzeOptions, s streams) error {
	if err := checkFormat(opts.format, "text", "json", "jsonl"); err != nil {
		return err
	}
	resolver, mode, err := resolverFromFlags(c)
	if err != nil {
		return err
	}
	a := analyze.New(analyze.Options{HeaderOnly: opts.headerOnly, Resolver: resolver, DNSMode: mode})
	out := bufio.NewWriter(s.out)
	defer out.Flush()
	rep := &analyze.Report{Schema: analyze.Schema, Messages: []*analyze.MessageReport{}}
	err = analyze.ReadSources(opts.paths, s.in, func(src analyze.Source) error {
		m := analyzeSource(c, a, src)
		if opts.format == "jsonl" {
			return report.JSONLine(out, m) // streamed: memory stays flat on big mboxes
		}
		rep.Messages = append(rep.Messages, m)
		return nil
	})
	if err != nil {
		return err
	}
	return render(out, opts.format, rep, opts.color)
}

func analyzeSource(c *cli.Context, a *analyze.Analyzer, src analyze.Source) *analyze.MessageReport {
	if src.Err != nil {
		return &analyze.MessageReport{File: src.File, Index: src.Index, Verdict: analyze.VerdictError,
			Error: src.Err.Error(), Findings: []analyze.Finding{}}
	}
	return a.Analyze(c.Context, analyze.Input{File: src.File, Index: src.Index, Raw: src.Raw})
}

func render(w io.Writer, format string, rep *analyze.Report, color bool) error {
	switch format {
	case "json":
		return report.JSON(w, rep)
	case "jsonl":
		return nil // already streamed
	default:
		return report.Text(w, rep, report.TextOptions{Color: color})
	}
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageErrorf("unknown --format %q (want one of %v)", format, allowed)
}
