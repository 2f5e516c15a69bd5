package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/received"
	"github.com/mailtrace/mailtrace/report"
)

func receivedCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "received",
		Usage:     "parse Received header values given as arguments or on stdin (one per line)",
		ArgsUsage: "[VALUE]...",
		Description: "Each argument is one Received value; on standard input each line is, with the lines that\n" +
			"start with white space joined to it (a folded header, pasted as it was). A leading \"Received:\"\n" +
			"is ignored. Handy for debugging one odd line.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text, json"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			return runReceived(c.Args().Slice(), c.String("format"), s)
		},
	}
}

func runReceived(values []string, format string, s streams) error {
	if err := checkFormat(format, "text", "json"); err != nil {
		return err
	}
	if len(values) == 0 {
		var err error
		if values, err = readValues(s.in); err != nil {
			return err
		}
	}
	hops := make([]received.Hop, len(values))
	for i, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= 9 && strings.EqualFold(v[:9], "received:") {
			v = strings.TrimSpace(v[9:])
		}
		hops[i] = received.Parse(v)
		hops[i].Index = i + 1
	}
	if format == "json" {
		return report.WriteJSON(s.out, hops) // Received text is anyone's: inert on a terminal
	}
	for i, h := range hops {
		if i > 0 {
			fmt.Fprintln(s.out)
		}
		printHop(s, h)
	}
	return nil
}

// readValues reads one Received value per line, joining a folded value's
// continuation lines (RFC 5322 §2.2.3: they start with white space) to it,
// with their folding kept.
func readValues(in io.Reader) ([]string, error) {
	var values []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
		case (line[0] == ' ' || line[0] == '\t') && len(values) > 0:
			values[len(values)-1] += "\r\n" + line
		default:
			values = append(values, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return values, nil
}

// printHop writes every parsed field of one hop, one per line.
func printHop(s streams, h received.Hop) {
	line := func(name, v string) {
		if v != "" {
			fmt.Fprintf(s.out, "  %-14s %s\n", name, report.Safe(v))
		}
	}
	fmt.Fprintf(s.out, "hop %d (parsed: %s)\n", h.Index, h.Parsed)
	line("from.helo", h.From.HELO)
	line("from.rdns", h.From.RDNS)
	line("from.ip", h.From.IP)
	if h.From.Port != 0 {
		line("from.port", fmt.Sprint(h.From.Port))
	}
	line("from.ident", h.From.Ident)
	line("by.host", h.By.Host)
	line("by.ip", h.By.IP)
	line("via", h.Via)
	line("with", h.With)
	line("id", h.ID)
	line("for", h.For)
	line("tls", h.TLS)
	line("auth", h.Auth)
	line("envelope-from", h.EnvelopeFrom)
	line("mta", h.MTA)
	line("software", h.Software)
	if h.Time != nil {
		line("time", h.Time.Format("2006-01-02T15:04:05-07:00"))
	}
	line("date text", h.DateText)
	for _, n := range h.Notes {
		line("note", n)
	}
}
