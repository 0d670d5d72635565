package cli

import (
	"context"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/target"
)

type indexCreateOptions struct {
	indexFlags
	reference   string   // <name>[:<tag>[,<tag>…]]
	sources     []string // tags or digests of the children
	annotations annotationFlags
}

func newManifestIndexCreateCommand(stdio *IO) *cobra.Command {
	var opts indexCreateOptions
	cmd := &cobra.Command{
		Use:     "create [flags] <name>[:<tag>[,<tag>][...]] [{<tag>|<digest>}...]",
		Aliases: []string{"pack"},
		Short:   "Create and push an index from manifests in the same repository",
		Long: `Create and push an image index from manifests in the same repository or OCI image layout.
Each child is listed with its media type, digest, size and artifact type; an image's platform
is read from its config. When children are EO products, the index also gets stac:bbox (their
union), stac:start_datetime and stac:end_datetime (their time range) and, when they all share
one, stac:collection.`,
		Example: `  eopack manifest index create localhost:5000/eo/products:2001 scene-a scene-b
  eopack manifest index create localhost:5000/eo/products:v1,latest scene-a sha256:…
  eopack manifest index create --annotation "key=val" --artifact-type application/vnd.example localhost:5000/eo/products scene-a
  eopack manifest index create --oci-layout eo-layout:v1 scene-a scene-b
  eopack manifest index create --output - --pretty localhost:5000/eo/products scene-a`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.sources = args[0], args[1:]
			return runIndexCreate(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.indexFlags.addFlags(f, "artifact type for overall index")
	f.StringArrayVarP(&opts.annotations.pairs, "annotation", "a", nil, "manifest annotations")
	return cmd
}

// runIndexCreate fetches each source as a manifest of the index's repository, lists them in a
// new index and pushes it (or writes it to --output).
func runIndexCreate(ctx context.Context, stdio *IO, opts *indexCreateOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	first, extra := target.SplitTags(opts.reference)
	ref, err := opts.parse(first)
	if err != nil {
		return err
	}
	if err := checkExtraTags(ref, extra); err != nil {
		return err
	}
	ann, err := opts.annotations.parse()
	if err != nil {
		return err
	}
	if err := opts.readPassword(stdio.In, false); err != nil {
		return err
	}
	t, err := opts.open(ctx, ref)
	if err != nil {
		return err
	}
	st := newIndexStatus(stdio, &opts.indexFlags)
	manifests := []ocispec.Descriptor{}
	var children []map[string]string
	for _, src := range opts.sources {
		d, childAnn, err := fetchChild(ctx, t, st, ref, src)
		if err != nil {
			return err
		}
		manifests = append(manifests, d)
		children = append(children, childAnn)
	}
	idx := ocispec.Index{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: opts.artifactType,
		Manifests:    manifests,
		Annotations:  withAnnotations(stac.IndexAnnotations(children), ann[annotationManifestKey]),
	}
	return storeIndex(ctx, stdio, &opts.indexFlags, st, t, stored{ref: ref, pushedAs: ref.Display(), extra: extra}, idx,
		func(d ocispec.Descriptor) { st.status("Packed", d) })
}
