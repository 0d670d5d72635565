package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/eopack/eopack/sign"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

func init() { register(newCopyCommand) }

// sides are the source and destination flags of a copy between registries and layouts
// (cp, mirror): each side's remote flags with ORAS's from-/to- prefixes, the flags both
// share, and --from-oci-layout / --to-oci-layout.
type sides struct {
	from, to             target.Options
	fromLayout, toLayout bool
}

func (s *sides) addFlags(f *pflag.FlagSet) {
	s.from.AddFlagsWithPrefix(f, "from", "source ")
	s.to.AddFlagsWithPrefix(f, "to", "destination ")
	target.AddSharedFlags(f, &s.from, &s.to)
	f.BoolVar(&s.fromLayout, "from-oci-layout", false, "the source is an OCI image layout folder")
	f.BoolVar(&s.toLayout, "to-oci-layout", false, "the destination is an OCI image layout folder")
}

type copyOptions struct {
	sides
	fromRef, toRef     string
	toFlag             string
	recursive          bool
	force              bool
	platforms          []string // ORAS's --platform, repeatable or comma-separated (cp_platform.go)
	format             formatFlags
	concurrencyOptions target.Options
	upload             target.UploadFlags

	verify verifyFlags // --verify with --key/--certificate/--policy (verify_before.go)
}

func newCopyCommand(stdio *IO) *cobra.Command {
	var opts copyOptions
	cmd := &cobra.Command{
		Use:     "cp [flags] <from>{:<tag>|@<digest>} <to>[:<tag>[,<tag>][...]]",
		Aliases: []string{"copy"},
		Short:   "Copy an artifact between registries and OCI image layouts",
		Long: `Copy an artifact (manifest digest unchanged) between any two of: registries and OCI
image layouts. Blobs already at the destination are skipped; between two repositories of one
registry they are mounted instead of uploaded. With -r the artifact's referrers come along.
The destination may be given as a second argument (ORAS) or with --to (the seed's form).`,
		Example: `  eopack cp --from-oci-layout eo-layout:eo/products:v1 --to localhost:5000/eo/products:v1
  eopack cp localhost:5000/eo/products:v1 localhost:5000/eo/mirror:v1,latest
  eopack cp -r localhost:5000/eo/products:v1 --to-oci-layout backup:v1`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fromRef = args[0]
			switch {
			case len(args) == 2 && opts.toFlag != "":
				return usagef("destination given twice: %q and --to %q", args[1], opts.toFlag)
			case len(args) == 2:
				opts.toRef = args[1]
			case opts.toFlag != "":
				opts.toRef = opts.toFlag
			default:
				return usagef("no destination: give it as a second argument or with --to")
			}
			return runCopy(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.sides.addFlags(f)
	f.StringVar(&opts.toFlag, "to", "", "destination `reference` (instead of a second argument)")
	f.BoolVarP(&opts.recursive, "recursive", "r", false, "also copy the artifact's referrers (signatures, SBOMs, …), recursively")
	f.BoolVar(&opts.force, "force", false, "force a deep traversal of the destination graph before tagging the root; useful when the destination is partially populated (e.g. by a registry cache)")
	f.StringSliceVar(&opts.platforms, "platform", nil, "copy only the manifests for these "+platformForm+" of an image index, repeatable or comma-separated")
	opts.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	opts.concurrencyOptions.AddConcurrencyFlag(f)
	opts.upload.AddUploadFlags(f)
	opts.verify.addFlags(f)
	return cmd
}

func runCopy(ctx context.Context, stdio *IO, opts *copyOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	if err := opts.verify.check(); err != nil {
		return err
	}
	srcRef, err := opts.from.Parse(opts.fromRef, opts.fromLayout)
	if err != nil {
		return usageError{err}
	}
	if srcRef.Reference == "" {
		return usagef("%q: no tag or digest given for the source", opts.fromRef)
	}
	toBase, extraTags := opts.to.SplitTags(opts.toRef)
	dstRef, err := opts.to.Parse(toBase, opts.toLayout)
	if err != nil {
		return usageError{err}
	}
	if dstRef.Reference == "" {
		dstRef.Reference = srcRef.Reference
		if !dstRef.Layout && !target.IsDigest(srcRef.Reference) && target.ValidateTag(srcRef.Reference) != nil {
			// the seed's layout tag "eo/products:v1" → tag "v1" in a registry
			dstRef.Reference = srcRef.Reference[strings.LastIndex(srcRef.Reference, ":")+1:]
		}
	}
	if !dstRef.Layout && !target.IsDigest(dstRef.Reference) {
		if err := target.ValidateTag(dstRef.Reference); err != nil {
			return usageError{err}
		}
	}
	platforms, err := parsePlatforms(opts.platforms)
	if err != nil {
		return err
	}
	src, err := target.OpenExisting(ctx, srcRef, opts.from)
	if err != nil {
		return target.Explain(err, srcRef)
	}
	if err := opts.verify.before(ctx, textOut(stdio, opts.format), src, srcRef, nil); err != nil {
		return err
	}
	dst, err := target.Open(ctx, dstRef, opts.to)
	if err != nil {
		return target.Explain(err, dstRef)
	}
	p := newTransferPrinter(stdio, opts.format.structured(), opts.from, opts.to)
	defer p.close()
	stats := &transfer.Stats{}
	topts := transfer.Options{
		Concurrency:      opts.concurrencyOptions.Concurrency,
		SmallConcurrency: opts.concurrencyOptions.SmallConcurrency(),
		Referrers:        opts.recursive,
		Force:            opts.force,
		Upload:           opts.upload.Options(),
		Stats:            stats,
		Events:           p.transferEvents("Copying", "Copied ", "Exists ", "Mounted"),
	}
	root, err := copyArtifact(ctx, stdio.Err, src, srcRef, dst, dstRef, platforms, topts)
	if err != nil {
		return copyError(err, srcRef, dstRef)
	}
	if target.IsDigest(srcRef.Reference) && srcRef.Reference != root.Digest.String() {
		// a platform picked from an index named by digest: name what was copied
		if dstRef.Reference == srcRef.Reference {
			dstRef = dstRef.With(root.Digest.String())
		}
		srcRef = srcRef.With(root.Digest.String())
	}
	if opts.recursive { // cosign's legacy signature tags are not referrers: they come too
		if _, err := sign.CopyLegacyTags(ctx, src, dst, root); err != nil {
			return copyError(err, srcRef, dstRef)
		}
	}
	if err := transfer.ReconcileRoot(ctx, src, root, stats); err != nil {
		return target.Explain(err, srcRef)
	}
	tags, err := tagExtras(dstRef, extraTags, p, func(full string) error { return dst.Tag(ctx, root, full) })
	if err != nil {
		return err
	}
	p.println(stats.Summary("Copied"))
	p.close()
	if opts.format.structured() {
		// ORAS's cp prints text only; eopack gives it push's model
		return opts.format.write(stdio.Out, newPushModel(repoPath(dstRef), root, tags))
	}
	fmt.Fprintln(stdio.Out, "Copied", srcRef.Display(), "=>", dstRef.Display())
	fmt.Fprintln(stdio.Out, "Digest:", root.Digest)
	return nil
}

// copyError names the side (source or destination) an error came from.
func copyError(err error, src, dst target.Ref) error {
	if ce, ok := asCopyError(err); ok {
		switch ce.Origin.String() {
		case "source":
			return fmt.Errorf("source %s: %w", src, target.Explain(ce.Err, src))
		case "destination":
			return fmt.Errorf("destination %s: %w", dst, target.Explain(ce.Err, dst))
		}
	}
	return target.Explain(err, src)
}
