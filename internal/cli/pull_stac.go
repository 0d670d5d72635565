package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/target"
)

// stacPullPlan turns pull's EO flags into a pullPlan. Filters (--asset, --band, --role,
// --media-type, --annotation; comma lists allowed) select asset layers — a filter matching
// nothing fails before anything is downloaded, naming the assets that exist. With --stac
// the item (from the config or the stac-item layer) is fetched first, and after the files
// are written, item.json is written beside them: pulled assets point at the local files,
// the others at their blobs in the registry (<scheme>://<registry>/v2/<repo>/blobs/<digest>)
// or, for an OCI layout, at the blob file in the layout.
func stacPullPlan(ctx context.Context, opts *pullOptions, ref target.Ref, src oras.ReadOnlyTarget, manifest ocispec.Manifest) (*pullPlan, error) {
	f, err := pullFilter(opts)
	if err != nil {
		return nil, err
	}
	selected := map[string]bool{} // digest + title of each selected layer
	key := func(d ocispec.Descriptor) string {
		return d.Digest.String() + "\x00" + d.Annotations[stac.AnnotationTitle]
	}
	if !f.Empty() {
		layers, err := stac.Select(manifest, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		for _, l := range layers {
			selected[key(l)] = true
		}
	}
	itemDesc, hasItem := stac.ItemDescriptor(manifest)
	isItem := func(d ocispec.Descriptor) bool {
		return stac.IsItemLayer(d) || (hasItem && key(d) == key(itemDesc))
	}
	plan := &pullPlan{Select: func(d ocispec.Descriptor) bool {
		if opts.stac && isItem(d) {
			return false // --stac writes its own item.json
		}
		return f.Empty() || selected[key(d)]
	}}
	if !opts.stac {
		return plan, nil
	}
	for _, l := range manifest.Layers {
		if !isItem(l) && l.Annotations[stac.AnnotationTitle] == stac.ItemLayerTitle {
			return nil, fmt.Errorf("%s: a data layer is titled %s, which --stac writes the item to", ref, stac.ItemLayerTitle)
		}
	}
	item, err := fetchItem(ctx, src, manifest)
	if err != nil {
		return nil, fmt.Errorf("%s: --stac: %w", ref, err)
	}
	blobHref := func(d ocispec.Descriptor) string {
		if ref.Layout {
			abs, err := filepath.Abs(filepath.Join(ref.Path, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
			if err != nil {
				return filepath.Join(ref.Path, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
			}
			return abs
		}
		scheme := "https"
		if opts.remote.PlainHTTPFor(ref.Registry) {
			scheme = "http"
		}
		return stac.BlobURL(scheme, ref.Registry, ref.Repository, d)
	}
	plan.After = func(_ context.Context, outDir string, pulled []ocispec.Descriptor) error {
		got := map[string]bool{}
		for _, d := range pulled {
			got[key(d)] = true
		}
		itemTitle := ""
		if itemDesc.Digest != manifest.Config.Digest {
			itemTitle = itemDesc.Annotations[stac.AnnotationTitle]
		}
		stac.RewritePulled(item, manifest, itemTitle, func(d ocispec.Descriptor) bool { return got[key(d)] }, blobHref)
		data, err := item.Encode()
		if err != nil {
			return err
		}
		dst := filepath.Join(outDir, stac.ItemLayerTitle)
		if _, err := os.Lstat(dst); err == nil && opts.keepOld {
			return fmt.Errorf("%s exists (--keep-old-files)", dst)
		}
		return writeFileAtomic(dst, bytes.NewReader(data), nil)
	}
	return plan, nil
}

// pullFilter builds the layer filter from pull's flags; each flag may repeat and take a
// comma-separated list.
func pullFilter(opts *pullOptions) (stac.Filter, error) {
	split := func(vals []string) []string {
		var out []string
		for _, v := range vals {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	f := stac.Filter{Assets: split(opts.assets), Bands: split(opts.bands), Roles: split(opts.roles), MediaTypes: split(opts.mediaTypes)}
	for _, a := range opts.annotations {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return f, usagef("--annotation %q: want key=value", a)
		}
		if f.Annotations == nil {
			f.Annotations = map[string]string{}
		}
		f.Annotations[k] = v
	}
	return f, nil
}
