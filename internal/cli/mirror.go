package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/mirror"
	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

func init() { register(newMirrorCommand) }

type mirrorOptions struct {
	sides
	tags               []string
	since              string
	artifactType       string
	annotations        []string
	dryRun             bool
	concurrencyOptions target.Options
	src, dst           string
}

func newMirrorCommand(stdio *IO) *cobra.Command {
	var opts mirrorOptions
	cmd := &cobra.Command{
		Use:   "mirror [flags] <src> <dst>",
		Short: "Mirror the tagged artifacts of registries and OCI image layouts, with their referrers",
		Long: `Copy every tagged artifact of the source that passes the filters, with its referrers
(signatures, SBOMs, lineage), recursively, to the destination. Either side is a registry
host (every repository), a host/prefix (every repository under it; "prefix" itself too),
one host/repository, or an OCI image layout folder (--from-oci-layout, --to-oci-layout).

Repository paths below the source prefix are kept below the destination's: mirroring
src.example/eo to dst.example/mirror copies src.example/eo/s2/l2a:v1 to
dst.example/mirror/s2/l2a:v1. A bare destination host or a layout keeps the whole source
path. In a layout, a tag of repository eo/s2 is named "eo/s2:v1"; a layout source is read
the same way (a bare tag "v1" belongs to the destination's prefix itself).

The mirror is incremental: what the destination holds is skipped, so a second run copies
0 blobs. Tags and repositories that fail are listed at the end (one line each) after the
others were mirrored, and the exit code is 1.

--since keeps artifacts whose org.opencontainers.image.created annotation is at or after
the given time (a duration before now, e.g. 7d or 36h, or a time, e.g. 2026-11-30 or
2026-11-30T12:00:00Z); artifacts without that annotation are left out when --since is given.
--tag, --artifact-type and --annotation apply to the tagged artifact; its referrers always
come along.`,
		Example: `  eopack mirror localhost:5000/eo mirror.example/eo
  eopack mirror --tag 'v*' --since 7d localhost:5000/eo/s2 localhost:6000/s2
  eopack mirror --to-oci-layout localhost:5000/eo eo-layout
  eopack mirror --dry-run --artifact-type application/vnd.eopack.product localhost:5000 localhost:6000`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.src, opts.dst = args[0], args[1]
			return runMirror(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.sides.addFlags(f)
	f.StringArrayVar(&opts.tags, "tag", nil, "mirror only tags matching this `pattern` (path.Match glob, e.g. 'v*'), repeatable; default every tag")
	f.StringVar(&opts.since, "since", "", "mirror only artifacts created at or after this `time` (7d, 36h, 2026-11-30, RFC 3339)")
	f.StringVar(&opts.artifactType, "artifact-type", "", "mirror only artifacts of this `type` (artifactType, else the config media type)")
	f.StringArrayVar(&opts.annotations, "annotation", nil, "mirror only artifacts with this `key=value` annotation, repeatable (all must match)")
	f.BoolVar(&opts.dryRun, "dry-run", false, "list what would be copied and how many bytes the destination lacks; copy nothing")
	opts.concurrencyOptions.AddConcurrencyFlag(f)
	return cmd
}

func runMirror(ctx context.Context, stdio *IO, opts *mirrorOptions) error {
	if opts.from.LayoutPath != "" || opts.to.LayoutPath != "" {
		return usagef("mirror takes --from-oci-layout / --to-oci-layout with the folder as argument, not --*-oci-layout-path")
	}
	if err := opts.from.ReadPassword(stdio.In); err != nil {
		return usageError{err}
	}
	if err := opts.to.ReadPassword(stdio.In); err != nil {
		return usageError{err}
	}
	filter, err := mirrorFilter(opts, time.Now())
	if err != nil {
		return usageError{err}
	}
	src, err := mirror.ParseSide(opts.src, opts.fromLayout)
	if err != nil {
		return usageError{err}
	}
	dst, err := mirror.ParseSide(opts.dst, opts.toLayout)
	if err != nil {
		return usageError{err}
	}
	p := newPrinter(stdio.Out, false)
	if !opts.dryRun {
		p = newTransferPrinter(stdio, false, opts.from, opts.to)
	}
	defer p.close()
	mo := mirror.Options{
		Filter:      filter,
		Concurrency: opts.concurrencyOptions.Concurrency,
		DryRun:      opts.dryRun,
		Upload:      remote.UploadOptions{State: remote.DefaultUploadState()},
		Warn:        func(s string) { p.warn(stdio.Err, "Warning: "+s) },
	}
	if !opts.dryRun {
		mo.Events = func(string) transfer.Events {
			return p.transferEvents("Copying", "Copied ", "Exists ", "Mounted")
		}
		mo.Done = func(it mirror.Item) {
			if it.Err == nil {
				p.println("Mirrored", it.Src.String(), "→", it.Dst.String())
			}
		}
	}
	rep, err := mirror.Run(ctx, mirror.Side{Ref: src, Options: opts.from}, mirror.Side{Ref: dst, Options: opts.to}, mo)
	p.close()
	if err != nil {
		return err
	}
	if opts.dryRun {
		for _, it := range rep.Items { // sorted, once all are known
			if it.Err == nil {
				p.println(fmt.Sprintf("Would copy %s → %s: %d blobs (%d bytes), %d manifests missing",
					it.Src, it.Dst, it.Missing.Blobs, it.Missing.Bytes, it.Missing.Manifests))
			}
		}
	}
	p.println(rep.Summary(opts.dryRun))
	for _, f := range rep.Failures {
		fmt.Fprintln(stdio.Err, "Failed:", oneLine(f))
	}
	return rep.Err()
}

// mirrorFilter reads the filter flags.
func mirrorFilter(opts *mirrorOptions, now time.Time) (mirror.Filter, error) {
	var f mirror.Filter
	var err error
	if f.Tags, err = mirror.ParseTagPatterns(opts.tags); err != nil {
		return f, err
	}
	if f.Since, err = mirror.ParseSince(opts.since, now); err != nil {
		return f, err
	}
	if err := checkMediaType(opts.artifactType); err != nil {
		return f, err
	}
	f.ArtifactType = opts.artifactType
	f.Annotations, err = mirror.ParseAnnotations(opts.annotations)
	return f, err
}
