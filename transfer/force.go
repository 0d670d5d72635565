package transfer

import (
	"context"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

// destination is dst as a copy with o sees it:
//   - With o.Force, manifests always count as missing, so the copy looks below manifests
//     the destination already holds (ORAS's --force: a deep traversal of the destination
//     graph, for a destination only partly populated, such as a registry cache that holds
//     a manifest but not all its blobs). Every manifest of the graph is visited and pushed
//     again (idempotent); blobs the destination holds are still skipped.
//   - Blobs of o.Uploaded and o.Present count as present without asking the destination:
//     this run sent them, or found them there, just before the copy.
func destination(dst oras.Target, o Options) oras.Target {
	if !o.Force && len(o.Uploaded) == 0 && len(o.Present) == 0 {
		return dst
	}
	c := checker{force: o.Force, known: func(d digest.Digest) bool { return o.Uploaded[d] || o.Present[d] }}
	if r, ok := dst.(*remote.Repository); ok {
		// Embedding the repository keeps every optional capability oras-go looks for
		// (mount, push by reference, referrers).
		c.exists = r.Exists
		return &checkedRepository{r, c}
	}
	c.exists = dst.Exists
	return &checkedTarget{dst, c}
}

// checker answers Exists for destination.
type checker struct {
	force  bool
	known  func(digest.Digest) bool
	exists func(context.Context, ocispec.Descriptor) (bool, error)
}

func (c checker) check(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	if IsManifest(d.MediaType) {
		if c.force {
			return false, nil
		}
	} else if c.known(d.Digest) {
		return true, nil
	}
	return c.exists(ctx, d)
}

type checkedRepository struct {
	*remote.Repository
	c checker
}

func (r *checkedRepository) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	return r.c.check(ctx, d)
}

type checkedTarget struct {
	oras.Target
	c checker
}

func (t *checkedTarget) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	return t.c.check(ctx, d)
}
