package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst lets a command's flags follow its arguments, as people type
// them (`mailtrace analyze msg.eml --format json`): urfave/cli, like Go's
// flag package, stops reading flags at the first argument, and would take
// "--format" and "json" for two more files. It moves the flags of the
// command named in args (and the value of each flag that takes one) in
// front of the command's other arguments, which keep their order, and puts
// a "--" between the two, so that an argument is never read as a flag
// once it has been read as an argument.
//
// "--" still ends the flags: what follows it is left as it is. "-" (standard
// input) is an argument. A word that starts with "-" and is no flag of the
// command is moved as a flag all the same, so that the command reports it
// as unknown, a usage error, instead of trying to read it as a file. Args
// without a known command, or with flags before it, are returned as given.
// A flag that takes a value but ends the line is a usage error: moved in
// front of the "--", it would take that for its value.
func flagsFirst(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args, nil
	}
	var flags, operands []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		word := rest[i]
		switch {
		case word == "--":
			operands = append(operands, rest[i+1:]...)
			i = len(rest)
		case word == "-" || !strings.HasPrefix(word, "-"):
			operands = append(operands, word)
		default:
			flags = append(flags, word)
			if takesValue(cmd, word) {
				if i+1 == len(rest) {
					return nil, usageErrorf("flag needs an argument: %s", word)
				}
				i++
				flags = append(flags, rest[i])
			}
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(operands) > 0 {
		out = append(out, "--")
		out = append(out, operands...)
	}
	return out, nil
}

// takesValue reports whether word names a flag of cmd that takes its value
// from the next word: any flag but a boolean one, unless the value is
// written in the same word ("--format=json").
func takesValue(cmd *cli.Command, word string) bool {
	name := strings.TrimLeft(word, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			_, isBool := f.(*cli.BoolFlag)
			return !isBool
		}
	}
	return false
}
