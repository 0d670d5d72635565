// Package backup moves the tagged artifacts of one repository between a registry and an OCI
// image layout (a folder or a tar archive), as ORAS's backup and restore do, so that each
// tool restores what the other backed up: the layout's index.json names each tag with
// org.opencontainers.image.ref.name set to the bare tag, and referrers that came along are
// listed without a name.
package backup

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/transfer"
)

// Options tune Copy.
type Options struct {
	Referrers   bool // also copy the referrers of each tagged artifact, recursively
	Concurrency int
	Upload      remote.UploadOptions // chunked, resumable uploads of large blobs to a registry
	Events      transfer.Events
	Stats       *transfer.Stats
}

// Tags are the tags to copy: given, or, if none are given, every tag src lists (sorted).
func Tags(ctx context.Context, src oras.ReadOnlyTarget, given []string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	lister, ok := src.(registry.TagLister)
	if !ok {
		return nil, fmt.Errorf("cannot list the tags of this source: name them")
	}
	tags, err := registry.Tags(ctx, lister)
	if err != nil {
		return nil, err
	}
	slices.Sort(tags)
	return tags, nil
}

// CopyTag copies the artifact tagged tag in src, with its referrers if asked, to dst under
// the same tag, and returns its descriptor and how many referrers it has (0 without
// Options.Referrers).
func CopyTag(ctx context.Context, src oras.ReadOnlyGraphTarget, dst oras.Target, tag string, o Options) (ocispec.Descriptor, int, error) {
	root, err := transfer.Copy(ctx, src, tag, dst, tag, transfer.Options{
		Concurrency: o.Concurrency, Referrers: o.Referrers, Events: o.Events, Stats: o.Stats, Upload: o.Upload,
	})
	if err != nil || !o.Referrers {
		return root, 0, err
	}
	refs, err := registry.Referrers(ctx, src, root, "")
	return root, len(refs), err
}

// Verify reads every blob and manifest of the artifact tagged tag in src (and, with
// referrers, of its referrers, recursively) and checks it against its digest and size,
// a blob at a time, so a damaged backup is refused before anything is pushed.
func Verify(ctx context.Context, src oras.ReadOnlyGraphTarget, tag string, referrers bool) error {
	root, err := src.Resolve(ctx, tag)
	if err != nil {
		return err
	}
	seen := map[digest.Digest]bool{}
	var walk func(d ocispec.Descriptor) error
	walk = func(d ocispec.Descriptor) error {
		if seen[d.Digest] {
			return nil
		}
		seen[d.Digest] = true
		if err := verifyBlob(ctx, src, d); err != nil {
			return err
		}
		succ, err := content.Successors(ctx, src, d)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Digest, err)
		}
		if referrers && transfer.IsManifest(d.MediaType) {
			refs, err := registry.Referrers(ctx, src, d, "")
			if err != nil {
				return err
			}
			succ = append(succ, refs...)
		}
		for _, s := range succ {
			if err := walk(s); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// verifyBlob streams d from src through a digest check.
func verifyBlob(ctx context.Context, src content.Fetcher, d ocispec.Descriptor) error {
	rc, err := src.Fetch(ctx, d)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Digest, err)
	}
	defer rc.Close()
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%s: %w", d.Digest, err)
	}
	v := d.Digest.Verifier()
	n, err := io.Copy(v, io.LimitReader(rc, d.Size+1))
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", d.Digest, err)
	case n != d.Size:
		return fmt.Errorf("%s: %d bytes, the manifest says %d", d.Digest, n, d.Size)
	case !v.Verified():
		return fmt.Errorf("%s: content does not match its digest", d.Digest)
	}
	return nil
}

// ReferrerCount is how many referrers the artifact tagged tag has in src (0 unless
// referrers).
func ReferrerCount(ctx context.Context, src oras.ReadOnlyGraphTarget, tag string, referrers bool) (int, error) {
	if !referrers {
		return 0, nil
	}
	root, err := src.Resolve(ctx, tag)
	if err != nil {
		return 0, err
	}
	refs, err := registry.Referrers(ctx, src, root, "")
	return len(refs), err
}
