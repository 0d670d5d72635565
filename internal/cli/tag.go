package cli

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/eopack/eopack/target"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

func init() { register(newTagCommand) }

type tagOptions struct {
	targetFlags
	reference   string
	tags        []string
	concurrency int
}

func newTagCommand(stdio *IO) *cobra.Command {
	var opts tagOptions
	cmd := &cobra.Command{
		Use:   "tag [flags] <name>{:<tag>|@<digest>} <new_tag> [...]",
		Short: "Tag a manifest in a registry or an OCI image layout",
		Example: `  eopack tag localhost:5000/eo/products:v1 latest stable
  eopack tag localhost:5000/eo/products@sha256:… v1
  eopack tag --oci-layout eo-layout:v1 latest`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && (args[0] == "list" || args[0] == "ls") {
				return usagef(`there is no "list" sub-command for "eopack tag": to list tags use "eopack repo tags"`)
			}
			if len(args) < 2 {
				return usagef("tag needs the artifact to tag and at least one new tag, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.tags = args[0], args[1:]
			return runTag(cmd.Context(), stdio, opts)
		},
	}
	opts.addFlags(cmd.Flags(), true)
	cmd.Flags().IntVar(&opts.concurrency, "concurrency", 5, "concurrency level")
	return cmd
}

// runTag resolves the source once and adds every new tag to its manifest. On a registry the
// manifest is fetched once and PUT under each tag (what oras.TagN does), concurrently.
func runTag(ctx context.Context, stdio *IO, opts tagOptions) error {
	for _, tag := range opts.tags {
		if err := checkTag(opts.layout, tag); err != nil {
			return err
		}
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	desc, err := t.Resolve(ctx, ref.Reference)
	if err != nil {
		return target.Explain(err, ref)
	}
	fmt.Fprintf(stdio.Out, "Tagging %s\n", ref.With(desc.Digest.String()).Display())
	tagOne := func(tag string) error { return t.Tag(ctx, desc, tag) }
	if repo, ok := asRepository(t); ok {
		raw, err := fetchManifestBytes(ctx, t, desc)
		if err != nil {
			return target.Explain(err, ref)
		}
		tagOne = func(tag string) error {
			return repo.PushReference(ctx, desc, bytes.NewReader(raw), tag)
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.concurrency, 1))
	for _, tag := range opts.tags {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			if err := tagOne(tag); err != nil {
				return fmt.Errorf("tagging %s as %s: %w", ref, tag, target.Explain(err, ref))
			}
			mu.Lock()
			defer mu.Unlock()
			_, err := fmt.Fprintf(stdio.Out, "Tagged %s\n", tag)
			return err
		})
	}
	return g.Wait()
}

// fetchManifestBytes reads a manifest (size-limited by its descriptor and 4 MiB).
func fetchManifestBytes(ctx context.Context, t oras.ReadOnlyTarget, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxManifestBytes {
		return nil, fmt.Errorf("%s: manifest larger than %d bytes", desc.Digest, maxManifestBytes)
	}
	return content.FetchAll(ctx, t, desc)
}
