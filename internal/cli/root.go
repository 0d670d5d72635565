// Package cli holds eopack's cobra commands. Cobra lives only here: each command is a
// newXCommand that fills an xOptions and calls runX(ctx, opts, …), which never touches cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes. Usage errors are 2, everything else that fails is 1.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// IO bundles the standard streams so commands can be run from tests.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// commandFactories are registered by each command file's init, so adding a command never
// edits this file.
var commandFactories []func(*IO) *cobra.Command

func register(f func(*IO) *cobra.Command) { commandFactories = append(commandFactories, f) }

// usageError marks an error as the caller's mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// NewRootCommand builds the eopack command tree.
func NewRootCommand(stdio *IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "eopack",
		Short:         "Store and distribute Earth-observation products as OCI artifacts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmds := make([]*cobra.Command, 0, len(commandFactories))
	for _, f := range commandFactories {
		cmds = append(cmds, f(stdio))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

// Execute runs eopack with args and returns the process exit code. Errors are printed as
// one line: "Error: <message>".
func Execute(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	stdio := &IO{In: in, Out: out, Err: errOut}
	root := NewRootCommand(stdio)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(errOut, "Error: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") ||
		strings.HasPrefix(err.Error(), "accepts ") || strings.HasPrefix(err.Error(), "requires ") {
		return exitUsage
	}
	return exitError
}

// oneLine folds a multi-line error so every failure prints as a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
