package mirror

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
)

// missing walks the artifact of j and its referrers (recursively) in the source as a copy
// would, asking the destination (HEAD) for each node: below a manifest the destination
// holds nothing is looked at, as the copy skips it too; referrers are looked at always.
// A node counted for one tag of a destination repository is not counted again for another.
func (m *run) missing(ctx context.Context, j *job, dst content.ReadOnlyStorage) (Missing, error) {
	var out Missing
	var walk func(d ocispec.Descriptor) error
	walk = func(d ocispec.Descriptor) error {
		if !m.firstSeen(j.dstRepo, d) {
			return nil
		}
		ok, err := dst.Exists(ctx, d)
		if err != nil {
			return err
		}
		manifest := isManifest(d.MediaType)
		switch {
		case ok:
		case manifest:
			out.Manifests++
			succ, err := content.Successors(ctx, j.src, d)
			if err != nil {
				return err
			}
			for _, s := range succ {
				if err := walk(s); err != nil {
					return err
				}
			}
		default:
			out.Blobs++
			out.Bytes += d.Size
		}
		if !manifest {
			return nil
		}
		refs, err := registry.Referrers(ctx, j.src, d, "")
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := walk(r); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(j.root)
	return out, err
}

func (m *run) firstSeen(repo string, d ocispec.Descriptor) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.seen[repo]
	if s == nil {
		s = map[string]bool{}
		m.seen[repo] = s
	}
	if s[d.Digest.String()] {
		return false
	}
	s[d.Digest.String()] = true
	return true
}

func isManifest(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return false
}
