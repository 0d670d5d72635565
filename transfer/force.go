package transfer

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

// forced makes a copy look below manifests the destination already holds (ORAS's --force:
// a deep traversal of the destination graph, for a destination only partly populated, such
// as a registry cache that holds a manifest but not all its blobs). Every manifest of the
// graph is visited and pushed again (idempotent); blobs the destination holds are still
// skipped.
func forced(dst oras.Target) oras.Target {
	if r, ok := dst.(*remote.Repository); ok {
		// Embedding the repository keeps every optional capability oras-go looks for
		// (mount, push by reference, referrers).
		return &forcedRepository{r}
	}
	return &forcedTarget{dst}
}

type forcedRepository struct{ *remote.Repository }

func (f *forcedRepository) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	if IsManifest(d.MediaType) {
		return false, nil
	}
	return f.Repository.Exists(ctx, d)
}

type forcedTarget struct{ oras.Target }

func (f *forcedTarget) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	if IsManifest(d.MediaType) {
		return false, nil
	}
	return f.Target.Exists(ctx, d)
}
