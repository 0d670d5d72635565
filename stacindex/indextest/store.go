package indextest

import (
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacindex"
)

// StoreTarget is a registry metadata store that keeps the STAC index: entries are put as
// manifest PUTs (their asset blobs linked first) carrying the entry, deletes are manifest
// deletes.
func StoreTarget(s metadata.Store) Target {
	put := func(t *testing.T, repo string, d digest.Digest, artifactType string, blobs []digest.Digest, p metadata.PutManifest) {
		t.Helper()
		for _, b := range blobs {
			if err := s.LinkBlob(t.Context(), repo, b, 1); err != nil {
				t.Fatal(err)
			}
		}
		p.Repo, p.Blobs = repo, blobs
		p.Manifest.Digest, p.Manifest.MediaType, p.Manifest.ArtifactType = d, ocispec.MediaTypeImageManifest, artifactType
		p.Manifest.Body = []byte(`{"schemaVersion":2,"artifactType":"` + artifactType + `","digest":"` + d.String() + `"}`)
		if err := s.PutManifest(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	return Target{
		Index: s.(stacindex.Index),
		Put: func(t *testing.T, e stacindex.Entry) {
			var blobs []digest.Digest
			for _, b := range e.Assets {
				blobs = append(blobs, b.Digest)
			}
			put(t, e.Repo, e.Digest, stac.ArtifactType, blobs, metadata.PutManifest{Tags: e.Tags,
				Manifest: metadata.Manifest{Created: e.Created}, Product: &e})
		},
		PutCollection: func(t *testing.T, c stacindex.CollectionDoc) {
			put(t, c.Repo, c.Digest, stacindex.ArtifactTypeCollection, nil, metadata.PutManifest{
				Manifest: metadata.Manifest{Created: c.Created}, Collection: &c})
		},
		Delete: func(t *testing.T, repo string, d digest.Digest) {
			if err := s.DeleteManifest(t.Context(), repo, d); err != nil {
				t.Fatal(err)
			}
		},
	}
}
