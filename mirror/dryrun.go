package mirror

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/transfer"
)

// missing walks the artifact of j and its referrers (recursively) in the source as a copy
// would, asking the destination (HEAD) for each node: below a manifest the destination
// holds nothing is looked at, as the copy skips it too; referrers are looked at always.
// The counts are the tag's own; the run's totals count a node that several tags of one
// destination repository share once.
func (m *run) missing(ctx context.Context, j *job, dst content.ReadOnlyStorage) (Missing, error) {
	var out Missing
	seen := map[string]bool{}
	var walk func(d ocispec.Descriptor) error
	walk = func(d ocispec.Descriptor) error {
		if seen[d.Digest.String()] {
			return nil
		}
		seen[d.Digest.String()] = true
		ok, err := dst.Exists(ctx, d)
		if err != nil {
			return err
		}
		manifest := transfer.IsManifest(d.MediaType)
		if !ok {
			add := Missing{Blobs: 1, Bytes: d.Size}
			if manifest {
				add = Missing{Manifests: 1}
			}
			out.add(add)
			m.countMissing(j.dstRepo, d, add)
		}
		if !manifest {
			return nil
		}
		var next []ocispec.Descriptor
		if !ok {
			if next, err = content.Successors(ctx, j.src, d); err != nil {
				return err
			}
		}
		refs, err := registry.Referrers(ctx, j.src, d, "")
		if err != nil {
			return err
		}
		for _, n := range append(next, refs...) {
			if err := walk(n); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(j.root)
	return out, err
}

func (s *Missing) add(o Missing) {
	s.Blobs += o.Blobs
	s.Bytes += o.Bytes
	s.Manifests += o.Manifests
}

// countMissing adds a node missing at destination repository repo to the run's totals,
// once per repository.
func (m *run) countMissing(repo string, d ocispec.Descriptor, add Missing) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.seen[repo]
	if s == nil {
		s = map[string]bool{}
		m.seen[repo] = s
	}
	if !s[d.Digest.String()] {
		s[d.Digest.String()] = true
		m.rep.Missing.add(add)
	}
}
