package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/transfer"
)

func init() { register(newAttachCommand) }

type attachOptions struct {
	pushOptions
	platform string // ORAS's --platform: the subject is the index's manifest for it
}

func newAttachCommand(stdio *IO) *cobra.Command {
	var opts attachOptions
	cmd := &cobra.Command{
		Use:   "attach [flags] --artifact-type=<type> <name>{:<tag>|@<digest>} {<file>[:<type>] [...]}",
		Short: "Attach files to an existing artifact as a referrer (OCI subject)",
		Long: `Push a new artifact whose subject is the given one, so it is listed by
"eopack discover" (referrers API, or the tag schema where the registry lacks it).`,
		Example: `  eopack attach --artifact-type application/vnd.eopack.qa.v1 localhost:5000/eo/products:v1 qa-report.json:application/json
  eopack attach --artifact-type application/vnd.eopack.qa.v1 -a reviewed=true localhost:5000/eo/products:v1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.fileRefs = args[0], args[1:]
			return runAttach(cmd.Context(), stdio, &opts)
		},
	}
	opts.addArtifactFlags(cmd.Flags(), "artifact type (required)")
	opts.remote.AddDistributionSpecFlag(cmd.Flags())
	cmd.Flags().StringVar(&opts.platform, "platform", "", "attach to the manifest for this "+platformForm+" of an image index")
	return cmd
}

func runAttach(ctx context.Context, stdio *IO, opts *attachOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	if opts.artifactType == "" {
		return usagef("--artifact-type is required")
	}
	if len(opts.fileRefs) == 0 && len(opts.annotations.pairs) == 0 && opts.annotations.file == "" {
		return usagef("neither file nor annotation provided")
	}
	if opts.config != "" && opts.platform != "" {
		return usagef("--config, --platform cannot be used at the same time")
	}
	ref, dst, platform, err := opts.platformSource(ctx, stdio.In, opts.reference, opts.platform)
	if err != nil {
		return err
	}
	subject, err := resolveIn(ctx, dst, ref, platform)
	if err != nil {
		return err
	}
	subject.Annotations, subject.ArtifactType, subject.Data, subject.Platform = nil, "", nil, nil
	in, err := filePushInputs(ctx, &opts.pushOptions)
	if err != nil {
		return err
	}
	defer in.Cleanup()
	in.Subject = &subject
	p := newTransferPrinter(stdio, opts.format.structured(), opts.remote)
	defer p.close()
	root, manifest, stats, err := uploadArtifact(ctx, in, dst, ref.With(""), opts.reproducible, transfer.Options{Concurrency: opts.remote.Concurrency, SmallConcurrency: opts.remote.SmallConcurrency(), Upload: opts.upload.Options()}, p)
	if err != nil {
		return err
	}
	p.println(stats.Summary("Pushed"))
	p.close()
	if opts.exportManifest != "" {
		if err := writeFileAtomic(opts.exportManifest, bytesReader(manifest), nil); err != nil {
			return err
		}
	}
	if opts.format.structured() {
		return opts.format.write(stdio.Out, newDescriptorModel(repoPath(ref), root))
	}
	fmt.Fprintln(stdio.Out, "Attached to", ref.Display())
	fmt.Fprintln(stdio.Out, "Digest:", root.Digest)
	return nil
}
