package staccrawl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/stacindex"
)

// Docker's manifest list, followed like an OCI image index.
const mediaTypeDockerList = "application/vnd.docker.distribution.manifest.list.v2+json"

// manifest indexes the manifest desc of repository name, tagged tags. A manifest the index
// already has is only re-tagged. An image index is fetched and its child manifests indexed
// by digest (without tags); their digests are returned.
func (c *crawler) manifest(ctx context.Context, repo *remote.Repository, name string, desc ocispec.Descriptor, tags []string, known map[digest.Digest][]string) ([]digest.Digest, error) {
	isIndex := desc.MediaType == ocispec.MediaTypeImageIndex || desc.MediaType == mediaTypeDockerList
	if old, ok := known[desc.Digest]; ok && !isIndex {
		c.count(func(s *Summary) { s.Manifests++; s.Unchanged++ })
		if sameTags(old, tags) {
			return nil, nil
		}
		if err := c.st.SetTags(ctx, name, desc.Digest, tags); err != nil {
			return nil, err
		}
		c.count(func(s *Summary) { s.Retagged++ })
		return nil, nil
	}
	c.count(func(s *Summary) { s.Manifests++ })
	var b []byte
	err := c.do(ctx, func() (err error) { b, err = content.FetchAll(ctx, repo.Manifests(), desc); return err })
	if err != nil {
		c.fail(fmt.Errorf("%s@%s: %w", name, desc.Digest, err))
		return nil, ctx.Err()
	}
	if isIndex {
		return c.index(ctx, repo, name, desc, b, known)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		c.fail(fmt.Errorf("%s@%s: manifest: %w", name, desc.Digest, err))
		return nil, nil
	}
	fetch := c.fetcher(ctx, repo, m)
	e, ok, err := stacindex.FromManifest(name, desc.Digest, b, fetch)
	switch {
	case err != nil:
		c.fail(err)
		return nil, ctx.Err()
	case ok:
		e.Tags = tags
		e.Created = c.created(m)
		if err := c.st.Put(ctx, e); err != nil {
			return nil, err
		}
		c.count(func(s *Summary) { s.Indexed++ })
		return nil, nil
	}
	col, ok, err := stacindex.CollectionFromManifest(name, desc.Digest, b, fetch)
	switch {
	case err != nil:
		c.fail(err)
		return nil, ctx.Err()
	case ok:
		col.Created = c.created(m)
		if err := c.st.PutCollection(ctx, col, tags); err != nil {
			return nil, err
		}
		c.count(func(s *Summary) { s.Indexed++ })
		return nil, nil
	}
	c.count(func(s *Summary) { s.Skipped++ })
	return nil, nil
}

// index indexes the child manifests of an image index (one level: nested indexes are not
// followed) and returns their digests.
func (c *crawler) index(ctx context.Context, repo *remote.Repository, name string, desc ocispec.Descriptor, b []byte, known map[digest.Digest][]string) ([]digest.Digest, error) {
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		c.fail(fmt.Errorf("%s@%s: image index: %w", name, desc.Digest, err))
		return nil, nil
	}
	var children []digest.Digest
	for _, ch := range ix.Manifests {
		if ch.MediaType != ocispec.MediaTypeImageManifest {
			continue
		}
		children = append(children, ch.Digest)
		if _, err := c.manifest(ctx, repo, name, ch, nil, known); err != nil {
			return children, err
		}
	}
	return children, nil
}

// fetcher reads the small blobs of manifest m (STAC Item or Collection documents) by digest,
// verifying size and digest.
func (c *crawler) fetcher(ctx context.Context, repo *remote.Repository, m ocispec.Manifest) func(digest.Digest) ([]byte, error) {
	descs := map[digest.Digest]ocispec.Descriptor{m.Config.Digest: m.Config}
	for _, l := range m.Layers {
		descs[l.Digest] = l
	}
	return func(d digest.Digest) ([]byte, error) {
		desc, ok := descs[d]
		if !ok {
			return nil, fmt.Errorf("%s is not a blob of the manifest", d)
		}
		if desc.Size > stacindex.MaxDocSize {
			return nil, fmt.Errorf("%s is %d bytes, over the index's %d", d, desc.Size, stacindex.MaxDocSize)
		}
		var b []byte
		err := c.do(ctx, func() (err error) { b, err = content.FetchAll(ctx, repo.Blobs(), desc); return err })
		if err == nil {
			c.count(func(s *Summary) { s.Fetched++ })
		}
		return b, err
	}
}

// created is when a manifest was made: its org.opencontainers.image.created annotation, else
// now (a registry does not say when a manifest was pushed).
func (c *crawler) created(m ocispec.Manifest) time.Time {
	if s := m.Annotations[ocispec.AnnotationCreated]; s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
	}
	return c.o.Now().UTC()
}
