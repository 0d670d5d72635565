package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newResolveCommand) }

type resolveOptions struct {
	targetFlags
	reference string
	fullRef   bool
	platform  string
}

func newResolveCommand(stdio *IO) *cobra.Command {
	var opts resolveOptions
	cmd := &cobra.Command{
		Use:     "resolve [flags] <name>{:<tag>|@<digest>}",
		Aliases: []string{"digest"},
		Short:   "Print the manifest digest a tag points to",
		Example: `  eopack resolve localhost:5000/eo/products:v1
  eopack resolve -l localhost:5000/eo/products:v1
  eopack resolve --oci-layout eo-layout:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runResolve(cmd.Context(), stdio, opts)
		},
	}
	opts.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&opts.platform, "platform", "", "pick this "+platformForm+" from an image index")
	cmd.Flags().BoolVarP(&opts.fullRef, "full-reference", "l", false, "print the full reference with the digest")
	return cmd
}

func runResolve(ctx context.Context, stdio *IO, opts resolveOptions) error {
	ref, t, platform, err := opts.platformSource(ctx, stdio.In, opts.reference, opts.platform)
	if err != nil {
		return err
	}
	desc, err := resolveIn(ctx, t, ref, platform)
	if err != nil {
		return err
	}
	if opts.fullRef {
		_, err = fmt.Fprintf(stdio.Out, "%s@%s\n", repoPath(ref), desc.Digest)
		return err
	}
	_, err = fmt.Fprintln(stdio.Out, desc.Digest)
	return err
}
