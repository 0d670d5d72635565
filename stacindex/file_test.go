package stacindex_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
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

// TestFileSourceAndRepositories: the source survives reopening; repositories of products
// and Collection documents are listed once each; a version-1 file is migrated on open.
func TestFileSourceAndRepositories(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	f, err := stacindex.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := f.Source(ctx); s != "" || err != nil {
		t.Errorf("source of a new file: %q, %v", s, err)
	}
	item := []byte(`{"type":"Feature","id":"a","collection":"c","bbox":[0,0,1,1],"properties":{"datetime":"2020-01-01T00:00:00Z"},"assets":{}}`)
	for _, repo := range []string{"eo/b", "eo/a", "eo/b"} {
		e := stacindex.Entry{Repo: repo, Digest: digest.FromString(repo + string(rune(len(repo)))), Item: item}
		if err := f.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	doc := []byte(`{"type":"Collection","id":"c"}`)
	if err := f.PutCollection(ctx, stacindex.CollectionDoc{Repo: "eo/meta", Digest: digest.FromBytes(doc), ID: "c", Doc: doc}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSource(ctx, `{"registry":"example.org"}`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// As a file of version 1: no table of its own.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE stac_file`, `PRAGMA user_version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if f, err = stacindex.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s, err := f.Source(ctx); s != "" || err != nil {
		t.Errorf("source after migrating from version 1: %q, %v", s, err)
	}
	if err := f.SetSource(ctx, `{"registry":"example.org"}`); err != nil {
		t.Fatal(err)
	}
	if s, err := f.Source(ctx); s != `{"registry":"example.org"}` || err != nil {
		t.Errorf("source: %q, %v", s, err)
	}
	repos, err := f.Repositories(ctx)
	if err != nil || !slices.Equal(repos, []string{"eo/a", "eo/b", "eo/meta"}) {
		t.Errorf("repositories %v, %v; want [eo/a eo/b eo/meta]", repos, err)
	}
}
