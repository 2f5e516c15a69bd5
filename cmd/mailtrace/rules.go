package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mailtrace/mailtrace/analyze"
	"github.com/mailtrace/mailtrace/dns"
)

// rulesCommand is `mailtrace rules`: the catalogue of checks, with their
// ids, severities, explanations and examples, and how they combine.
func rulesCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "rules",
		Usage:     "list every forgery rule: id, severity, what it means, an example; and how the verdict is scored",
		ArgsUsage: "[RULE-ID]...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text, json"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			return runRules(c.Args().Slice(), c.String("format"), s)
		},
	}
}

func runRules(ids []string, format string, s streams) error {
	if err := checkFormat(format, "text", "json"); err != nil {
		return err
	}
	rules, err := selectRules(ids)
	if err != nil {
		return err
	}
	if format == "json" {
		type jsonRule struct {
			ID       string           `json:"id"`
			Severity analyze.Severity `json:"severity"`
			Title    string           `json:"title"`
			Explain  string           `json:"explain"`
			Example  string           `json:"example"`
		}
		out := make([]jsonRule, len(rules))
		for i, r := range rules {
			out[i] = jsonRule{r.ID, r.Severity, r.Title, r.Explain, r.Example}
		}
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(s.out)
		}
		fmt.Fprintf(s.out, "%s  [%s]  %s\n", r.ID, r.Severity, r.Title)
		fmt.Fprintf(s.out, "%s\n", wrap(r.Explain, 100, "    "))
		fmt.Fprintf(s.out, "    Example:\n")
		for _, l := range strings.Split(r.Example, "\n") {
			fmt.Fprintf(s.out, "      %s\n", l)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(s.out, "\n%s", scoringHelp)
	}
	return nil
}

// selectRules returns the named rules, or all of them.
func selectRules(ids []string) ([]analyze.Rule, error) {
	all := analyze.Rules()
	if len(ids) == 0 {
		return all, nil
	}
	byID := map[string]analyze.Rule{}
	for _, r := range all {
		byID[r.ID] = r
	}
	var out []analyze.Rule
	for _, id := range ids {
		r, ok := byID[id]
		if !ok {
			return nil, usageErrorf("no rule %q (mailtrace rules lists them)", id)
		}
		out = append(out, r)
	}
	return out, nil
}

var scoringHelp = fmt.Sprintf(`SCORING:
   Each finding weighs by severity: info 0, low 1, medium 3, high 8. A rule adds at most twice
   its heaviest finding. Score >= %d is forged, >= %d suspicious, else clean. An unparseable line
   or a DNS failure is never more than info.
`, analyze.ForgedScore, analyze.SuspiciousScore)

// wrap folds text at width, each line prefixed by indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}

// ruleOptions are the analyze flags that steer the rules and the gate.
type ruleOptions struct {
	trusted    []string
	disabled   []string // rule IDs not to run
	clockSkew  time.Duration
	failOn     func(*analyze.MessageReport) bool
	failOnText string
	now        func() time.Time // nil: the clock
}

// ruleFlags are the rule flags of analyze and serve. failOn is the default
// of --fail-on, and failOnUsage says when it applies.
func ruleFlags(failOn, failOnUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "fail-on", Value: failOn, Usage: failOnUsage},
		&cli.StringSliceFlag{Name: "trusted", Usage: "treat `CIDR|HOST|DOMAIN` as the receiving side's own, beyond what the chain shows (repeatable)"},
		&cli.StringSliceFlag{Name: "disable", Usage: "do not run rule `ID`: no finding, no weight in the score (repeatable, or comma-separated; mailtrace rules lists the IDs)"},
		&cli.DurationFlag{Name: "clock-skew", Value: 5 * time.Minute, Usage: "`DURATION` a hop may be stamped before the hop below it (e.g. 90s, 10m)"},
		&cli.TimestampFlag{Name: "now", Layout: time.RFC3339, Usage: "analyse as if the time were `RFC3339` (reproducible reports; default: the clock)"},
	}
}

// analyzeOptions are the analysis options the DNS and rule flags give,
// shared by analyze and serve; each adds what its own flags say.
func (o ruleOptions) analyzeOptions(resolver dns.Resolver, mode string) analyze.Options {
	return analyze.Options{Resolver: resolver, DNSMode: mode, Trusted: o.trusted, Disabled: o.disabled,
		ClockSkew: o.clockSkew, Now: o.now}
}

func ruleOptionsFrom(c *cli.Context) (ruleOptions, error) {
	o := ruleOptions{trusted: c.StringSlice("trusted"), disabled: c.StringSlice("disable"), clockSkew: c.Duration("clock-skew"), failOnText: c.String("fail-on")}
	if t := c.Timestamp("now"); t != nil {
		fixed := *t
		o.now = func() time.Time { return fixed }
	}
	switch o.failOnText {
	case "forged", "suspicious", "never":
	default:
		return o, usageErrorf("unknown --fail-on %q (want forged, suspicious or never)", o.failOnText)
	}
	level := o.failOnText
	o.failOn = func(m *analyze.MessageReport) bool { return analyze.Meets(m.Verdict, level) }
	if o.clockSkew <= 0 {
		return o, usageErrorf("--clock-skew must be positive, not %s", o.clockSkew)
	}
	for _, t := range o.trusted {
		if err := analyze.ValidTrusted(t); err != nil {
			return o, usageErrorf("%v", err)
		}
	}
	var disabled []string
	for _, id := range o.disabled {
		id = strings.TrimSpace(id)
		if err := analyze.ValidRuleID(id); err != nil {
			return o, usageErrorf("--disable: %v", err)
		}
		if !slices.Contains(disabled, id) {
			disabled = append(disabled, id)
		}
	}
	o.disabled = disabled
	return o, nil
}
