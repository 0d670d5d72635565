package stacindex_test

import (
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/stacindex/indextest"
)

// TestFile runs the shared table on a standalone index file.
func TestFile(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Target {
		f, err := stacindex.OpenFile(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return indextest.Target{
			Index: f,
			Put: func(t *testing.T, e stacindex.Entry) {
				if err := f.Put(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			},
			PutCollection: func(t *testing.T, c stacindex.CollectionDoc) {
				if err := f.PutCollection(t.Context(), c, nil); err != nil {
					t.Fatal(err)
				}
			},
			Delete: func(t *testing.T, repo string, d digest.Digest) {
				if err := f.Delete(t.Context(), repo, d); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}
