package cli

// cp --platform, as the pinned ORAS CLI (v1.3.6) does it:
//
//   - One platform: the index's manifest for it is copied (and tagged) as if it had been
//     named; with -r, its referrers come along.
//   - Several (repeatable or comma-separated): the source must be an image index. Its
//     entries for those platforms, and the entries that name no platform, are kept; every
//     platform asked for must match one. When every entry is kept the index is copied as it
//     is; otherwise a new index with only the kept entries is written (platform.go keeps
//     the other members' bytes) and copied in its place, so its digest is new. With -r the
//     referrers of the kept manifests come along; those of the source index cannot (they
//     name the old digest), which a warning says.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

// copyArtifact copies srcRef to dstRef, narrowed to platforms (none: the whole artifact),
// and returns the root that was copied.
func copyArtifact(ctx context.Context, errOut io.Writer, src oras.ReadOnlyGraphTarget, srcRef target.Ref, dst oras.GraphTarget, dstRef target.Ref, platforms []*ocispec.Platform, o transfer.Options) (ocispec.Descriptor, error) {
	dstTag := dstRef.Reference
	switch len(platforms) {
	case 0:
		return transfer.Copy(ctx, src, srcRef.Reference, dst, dstTag, o)
	case 1:
		ropts := oras.DefaultResolveOptions
		ropts.TargetPlatform = platforms[0]
		sel, err := oras.Resolve(ctx, src, srcRef.Reference, ropts)
		if err != nil {
			return sel, fmt.Errorf("source %s: %w", srcRef, target.Explain(err, srcRef))
		}
		if dstTag == srcRef.Reference && target.IsDigest(dstTag) {
			dstTag = "" // the index's digest does not name the manifest picked from it
		}
		return transfer.Copy(ctx, src, sel.Digest.String(), dst, dstTag, o)
	}
	root, raw, err := oras.FetchBytes(ctx, src, srcRef.Reference, oras.FetchBytesOptions{MaxBytes: manifestLimit})
	if err != nil {
		return root, fmt.Errorf("source %s: %w", srcRef, target.Explain(err, srcRef))
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal(raw, &probe)
	if !isIndex(root.MediaType) && !isIndex(probe.MediaType) {
		return root, fmt.Errorf("%q is not an image index or a manifest list: selecting multiple platforms requires a multi-platform source; use a single --platform value to copy a specific platform of an image", srcRef.String())
	}
	cut, kept, err := selectPlatforms(raw, platforms)
	if err != nil {
		return root, fmt.Errorf("source %s: %w", srcRef, err)
	}
	if bytes.Equal(cut, raw) {
		return transfer.Copy(ctx, src, root.Digest.String(), dst, dstTag, o)
	}
	if dstTag == srcRef.Reference && target.IsDigest(dstTag) {
		dstTag = ""
	}
	newRoot := content.NewDescriptorFromBytes(root.MediaType, cut)
	if o.Referrers {
		for _, m := range kept {
			if _, err := transfer.Copy(ctx, src, m.Digest.String(), dst, "", o); err != nil {
				return newRoot, err
			}
		}
		if refs, err := registry.Referrers(ctx, src, root, ""); err == nil && len(refs) > 0 {
			fmt.Fprintln(errOut, "Warning: referrers of the source index are not copied because selecting a subset of platforms produces a new index digest")
		}
		o.Referrers = false
	}
	return newRoot, transfer.CopyRoot(ctx, withRoot{src, newRoot, cut}, newRoot, dst, dstTag, o)
}

// withRoot is src plus one manifest held in memory (the cut index).
type withRoot struct {
	oras.ReadOnlyGraphTarget
	desc ocispec.Descriptor
	raw  []byte
}

func (w withRoot) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if d.Digest == w.desc.Digest {
		return io.NopCloser(bytes.NewReader(w.raw)), nil
	}
	return w.ReadOnlyGraphTarget.Fetch(ctx, d)
}

func (w withRoot) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	if d.Digest == w.desc.Digest {
		return true, nil
	}
	return w.ReadOnlyGraphTarget.Exists(ctx, d)
}

func (w withRoot) Resolve(ctx context.Context, ref string) (ocispec.Descriptor, error) {
	if ref == w.desc.Digest.String() {
		return w.desc, nil
	}
	return w.ReadOnlyGraphTarget.Resolve(ctx, ref)
}
