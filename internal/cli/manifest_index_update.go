package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/target"
)

type indexUpdateOptions struct {
	indexFlags
	reference       string // <name>{:<tag>|@<digest>}
	add             []string
	merge           []string
	remove          []string
	tags            []string
	artifactTypeSet bool // --artifact-type given, even as "" (which removes it)
}

func newManifestIndexUpdateCommand(stdio *IO) *cobra.Command {
	var opts indexUpdateOptions
	cmd := &cobra.Command{
		Use:   "update [flags] <name>{:<tag>|@<digest>} [{--add|--merge|--remove} {<tag>|<digest>}] [...]",
		Short: "Update and push an index: add, remove or merge manifests of the same repository",
		Long: `Update and push an image index of a registry repository or an OCI image layout: remove
children (--remove, by digest), add manifests (--add) and the children of other indexes
(--merge), set or clear its artifact type. The tag given moves to the updated index. An index
of EO products gets its stac:* summary recomputed from its children.`,
		Example: `  eopack manifest index update localhost:5000/eo/products:2001 --add scene-c --remove sha256:…
  eopack manifest index update localhost:5000/eo/products:2001 --merge 2002
  eopack manifest index update localhost:5000/eo/products@sha256:… --add scene-c --tag v2 --tag latest
  eopack manifest index update --oci-layout eo-layout:v1 --add scene-c
  eopack manifest index update --output - --pretty localhost:5000/eo/products:v1 --remove sha256:…
  eopack manifest index update localhost:5000/eo/products:v1 --artifact-type=""`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			opts.artifactTypeSet = cmd.Flags().Changed("artifact-type")
			return runIndexUpdate(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.indexFlags.addFlags(f, "new artifact type for overall index")
	f.StringArrayVar(&opts.add, "add", nil, "manifests to add to the index")
	f.StringArrayVar(&opts.merge, "merge", nil, "indexes to be merged into the index")
	f.StringArrayVar(&opts.remove, "remove", nil, "manifests to remove from the index, must be digests")
	f.StringArrayVar(&opts.tags, "tag", nil, "extra tags for the updated index")
	return cmd
}

// runIndexUpdate fetches the index, removes, adds and merges children in that order (as
// ORAS), and pushes the result under the same tag (or by digest) plus --tag.
func runIndexUpdate(ctx context.Context, stdio *IO, opts *indexUpdateOptions) error {
	if len(opts.tags) > 0 && opts.output != "" {
		return usagef("--tag, --output cannot be used at the same time")
	}
	for _, r := range opts.remove {
		if !target.IsDigest(r) {
			return usagef("remove: %s is not a digest", r)
		}
	}
	if err := opts.check(); err != nil {
		return err
	}
	if _, err := opts.parse(opts.reference); err != nil {
		return err
	}
	if len(opts.add) == 0 && len(opts.merge) == 0 && len(opts.remove) == 0 && !opts.artifactTypeSet {
		fmt.Fprintln(stdio.Out, "Nothing to update as no change is requested")
		return nil
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	if err := checkExtraTags(ref, opts.tags); err != nil {
		return err
	}
	st := newIndexStatus(stdio, &opts.indexFlags)
	_, raw, err := fetchNamed(ctx, t, st, ref, ref.Reference, true)
	if err != nil {
		return err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	if opts.artifactTypeSet {
		idx.ArtifactType = opts.artifactType
	}
	eo := stac.IsEO(idx.Annotations)
	known := map[digest.Digest]map[string]string{} // annotations of children read here

	if idx.Manifests, err = removeChildren(st, idx.Manifests, opts.remove, ref.Reference); err != nil {
		return err
	}
	for _, a := range opts.add {
		d, ann, err := fetchChild(ctx, t, st, ref, a)
		if err != nil {
			return err
		}
		idx.Manifests, known[d.Digest], eo = append(idx.Manifests, d), ann, eo || stac.IsEO(ann)
		st.ref("Added", a, d)
	}
	for _, m := range opts.merge {
		desc, raw, err := fetchNamed(ctx, t, st, ref, m, true)
		if err != nil {
			return err
		}
		var other ocispec.Index
		if err := json.Unmarshal(raw, &other); err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		idx.Manifests, eo = append(idx.Manifests, other.Manifests...), eo || stac.IsEO(other.Annotations)
		st.ref("Merged", m, desc)
	}
	if eo {
		if err := resummarize(ctx, t, ref, &idx, known); err != nil {
			return err
		}
	}

	s := stored{ref: ref, pushedAs: ref.Display(), extra: opts.tags}
	if target.IsDigest(ref.Reference) {
		s.pushedAs = ref.With("").Display()
	}
	return storeIndex(ctx, stdio, &opts.indexFlags, st, t, s, idx, func(d ocispec.Descriptor) { st.line("Updated", d.Digest) })
}

// removeChildren drops every child whose digest is in remove; each digest must name a child
// of the index (indexRef in the error).
func removeChildren(st indexStatus, children []ocispec.Descriptor, remove []string, indexRef string) ([]ocispec.Descriptor, error) {
	kept := []ocispec.Descriptor{}
	for _, c := range children {
		if !slices.Contains(remove, c.Digest.String()) {
			kept = append(kept, c)
		}
	}
	var done []string
	for _, r := range remove {
		if slices.Contains(done, r) {
			continue
		}
		if !slices.ContainsFunc(children, func(c ocispec.Descriptor) bool { return c.Digest.String() == r }) {
			return nil, fmt.Errorf("%s does not exist in the index %s", r, indexRef)
		}
		done = append(done, r)
		st.line("Removed", r)
	}
	return kept, nil
}

// resummarize recomputes the EO summary annotations of idx from its children, reading the
// annotations of each child not in known.
func resummarize(ctx context.Context, t oras.ReadOnlyTarget, ref target.Ref, idx *ocispec.Index, known map[digest.Digest]map[string]string) error {
	children := make([]map[string]string, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		ann, ok := known[d.Digest]
		if !ok {
			raw, err := fetchManifestBytes(ctx, t, d)
			if err != nil {
				return fmt.Errorf("reading child %s for the index's stac:* summary: %w", d.Digest, target.Explain(err, ref))
			}
			var m struct {
				Annotations map[string]string `json:"annotations"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("child %s: %w", d.Digest, err)
			}
			ann, known[d.Digest] = m.Annotations, m.Annotations
		}
		children = append(children, ann)
	}
	for _, k := range stac.IndexSummaryKeys {
		delete(idx.Annotations, k)
	}
	idx.Annotations = withAnnotations(idx.Annotations, stac.IndexAnnotations(children))
	return nil
}
