package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/stac"
)

// stacNotes receives push --stac's notes (remote assets kept as links). It is standard
// error so --format json output on standard output stays clean.
var stacNotes io.Writer = os.Stderr

// stacPushInputs builds a push from the STAC item in opts.stac: one layer per local asset
// (media type = STAC type without parameters, annotations per docs/eo-artifacts.md), the
// item — hrefs rewritten to the layer titles — as the config and/or an application/geo+json
// layer (opts.stacIn), and stac:* manifest annotations. Every asset file is hashed before
// anything is sent, so a bad item pushes nothing.
func stacPushInputs(_ context.Context, opts *pushOptions) (*pushInputs, error) {
	if len(opts.fileRefs) > 0 {
		return nil, usagef("--stac takes the files from the item's assets; drop the file arguments %v", opts.fileRefs)
	}
	place, err := stac.ParsePlacement(opts.stacIn)
	if err != nil {
		return nil, usageError{err}
	}
	if err := checkMediaType(opts.artifactType); err != nil {
		return nil, err
	}
	ann, err := opts.annotations.parse()
	if err != nil {
		return nil, err
	}
	if opts.config != "" {
		return nil, usagef("--stac and --config cannot be combined: the STAC item is the config (see --stac-in)")
	}
	prod, err := stac.PlanProduct(opts.stac)
	if err != nil {
		return nil, fmt.Errorf("--stac: %w", err)
	}
	in := &pushInputs{ArtifactType: stac.ArtifactType, ManifestAnnotations: prod.Annotations}
	if opts.artifactType != "" {
		in.ArtifactType = opts.artifactType
	}
	for k, v := range ann[annotationManifestKey] {
		in.ManifestAnnotations[k] = v
	}
	paths := map[digest.Digest]string{}
	inMemory := map[digest.Digest][]byte{}
	for _, f := range prod.Files {
		if _, err := files.CheckTitle(f.Title); err != nil {
			return nil, fmt.Errorf("--stac: asset %q: %w", f.Key, err)
		}
		if err := checkMediaType(f.MediaType); err != nil {
			return nil, fmt.Errorf("--stac: asset %q: %w", f.Key, err)
		}
		d, n, err := files.HashFile(f.Path)
		if err != nil {
			return nil, fmt.Errorf("--stac: asset %q: %w", f.Key, err)
		}
		paths[d] = f.Path
		in.Layers = append(in.Layers, ocispec.Descriptor{MediaType: f.MediaType, Digest: d, Size: n, Annotations: f.Annotations})
	}
	if place.Layer() {
		d := content.NewDescriptorFromBytes(stac.MediaTypeItemLayer, prod.ItemJSON)
		d.Annotations = stac.ItemLayerAnnotations()
		inMemory[d.Digest] = prod.ItemJSON
		in.Layers = append(in.Layers, d)
	}
	if place.Config() {
		d := content.NewDescriptorFromBytes(stac.MediaTypeItemConfig, prod.ItemJSON)
		in.Config, in.ConfigBytes = &d, prod.ItemJSON
	}
	in.Open = func(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
		if b, ok := inMemory[d.Digest]; ok {
			return io.NopCloser(bytes.NewReader(b)), nil
		}
		p, ok := paths[d.Digest]
		if !ok {
			return nil, fmt.Errorf("%s: not among the item's assets", d.Digest)
		}
		return os.Open(p)
	}
	for _, r := range prod.Remote {
		fmt.Fprintf(stacNotes, "Note: asset %q has a remote href %s: kept as a link in the item, not uploaded\n", r.Key, r.Href)
	}
	return in, nil
}
