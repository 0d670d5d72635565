package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCommand) }

func newVersionCommand(stdio *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print eopack's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			_, err := fmt.Fprintf(stdio.Out, "eopack %s\n", v)
			return err
		},
	}
}
