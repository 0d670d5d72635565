package stacindex_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/stacindex/indextest"
)

// bulkIndex ends the running bulk load of its File before every read, as a caller does
// before serving the file.
type bulkIndex struct {
	t *testing.T
	f *stacindex.File
}

func (b bulkIndex) end(ctx context.Context) {
	if err := b.f.EndBulk(ctx); err != nil {
		b.t.Fatal(err)
	}
}

func (b bulkIndex) Search(ctx context.Context, q stacindex.Query) (stacindex.Page, error) {
	b.end(ctx)
	return b.f.Search(ctx, q)
}

func (b bulkIndex) Collections(ctx context.Context) ([]stacindex.Collection, error) {
	b.end(ctx)
	return b.f.Collections(ctx)
}

func (b bulkIndex) Collection(ctx context.Context, id string) (stacindex.Collection, error) {
	b.end(ctx)
	return b.f.Collection(ctx, id)
}

func (b bulkIndex) Item(ctx context.Context, collection, id string) (stacindex.Hit, error) {
	b.end(ctx)
	return b.f.Item(ctx, collection, id)
}

func (b bulkIndex) Queryables(ctx context.Context, collection string) (map[string]any, error) {
	b.end(ctx)
	return b.f.Queryables(ctx, collection)
}

// TestFileBulk runs the shared table on a file written in bulk loads: every run of writes
// is one (the first on an empty file, the next ones on a file that has entries, with
// versions and deletes), ended before the next read; searches answer as on a file written
// with Put (TestFile).
func TestFileBulk(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Target {
		f, err := stacindex.OpenFile(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		begin := func(t *testing.T) {
			if err := f.BeginBulk(t.Context()); err != nil && !strings.Contains(err.Error(), "already running") {
				t.Fatal(err)
			}
		}
		return indextest.Target{
			Index: bulkIndex{t: t, f: f},
			Put: func(t *testing.T, e stacindex.Entry) {
				begin(t)
				if err := f.Put(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			},
			PutCollection: func(t *testing.T, c stacindex.CollectionDoc) {
				begin(t)
				if err := f.PutCollection(t.Context(), c, nil); err != nil {
					t.Fatal(err)
				}
			},
			Delete: func(t *testing.T, repo string, d digest.Digest) {
				begin(t)
				if err := f.Delete(t.Context(), repo, d); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

// TestFileHalfBuilt: a file whose bulk load did not end is refused on open, in one line.
func TestFileHalfBuilt(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "index.db")
	f, err := stacindex.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.BeginBulk(ctx); err != nil {
		t.Fatal(err)
	}
	b := []byte(`{"type":"Feature","id":"a","collection":"c","bbox":[0,0,1,1],"properties":{"datetime":"2020-01-01T00:00:00Z"},"assets":{}}`)
	if err := f.Put(ctx, stacindex.Entry{Repo: "eo/a", Digest: digest.FromBytes(b), Item: b}); err != nil {
		t.Fatal(err)
	}
	f.Close() // no EndBulk: as a process stopped mid-load
	_, err = stacindex.OpenFile(path)
	if !errors.Is(err, stacindex.ErrHalfBuilt) {
		t.Fatalf("open of a half-built file: %v; want ErrHalfBuilt", err)
	}
	want := "index file " + path + " was left half-built; delete it and run stac index again"
	if err.Error() != want {
		t.Errorf("error %q; want %q", err, want)
	}

	// Ended, the file opens and answers.
	path = filepath.Join(t.TempDir(), "index.db")
	if f, err = stacindex.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	if err := f.BeginBulk(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Put(ctx, stacindex.Entry{Repo: "eo/a", Digest: digest.FromBytes(b), Item: b}); err != nil {
		t.Fatal(err)
	}
	// A write that fails before changing anything leaves the load usable.
	if err := f.Put(ctx, stacindex.Entry{Repo: "eo/a", Digest: digest.FromString("x"), Item: []byte(`{"id":`)}); err == nil {
		t.Fatal("a bad item was indexed")
	}
	if err := f.EndBulk(ctx); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if f, err = stacindex.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page, err := f.Search(ctx, stacindex.Query{BBox: []float64{0.5, 0.5, 2, 2}, Limit: 10})
	if err != nil || len(page.Hits) != 1 {
		t.Fatalf("search: %v, %v; want one hit", page.Hits, err)
	}
}

// TestFileBulkOpenElsewhere: a file another connection has open (a server) is not
// bulk-loaded, and stays a good file.
func TestFileBulkOpenElsewhere(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "index.db")
	f, err := stacindex.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	other, err := stacindex.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Search(ctx, stacindex.Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.BeginBulk(ctx); err == nil {
		t.Fatal("a bulk load started on a file open elsewhere")
	}
	other.Close()
	again, err := stacindex.OpenFile(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	again.Close()
}
