package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// onUsageError marks flag parsing errors of a command as usage errors.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%w: %v", errUsage, err)
}

// isFlagError recognises urfave/cli's own argument errors that reach run
// without passing through OnUsageError (unknown command, missing flag).
func isFlagError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"flag provided but not defined", "invalid value", "Required flag", "No help topic", "flag needs an argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
