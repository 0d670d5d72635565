package stacindex_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestFilePutAll: batches written by PutAll (new entries in a few multi-row statements,
// batches that replace or version one by one), also in a bulk load, leave the file as Put
// of each entry in turn.
func TestFilePutAll(t *testing.T) {
	ctx := context.Background()
	item := func(id, coll string, x float64) []byte {
		return fmt.Appendf(nil, `{"type":"Feature","id":%q,"collection":%q,"bbox":[%g,0,%g,1],"properties":{"datetime":"2020-01-0%dT00:00:00Z","n":%g},"assets":{}}`,
			id, coll, x, x+1, 1+int(x)%9, x)
	}
	entry := func(repo, id, coll string, x float64, created int, tags ...string) stacindex.Entry {
		b := item(id, coll, x)
		return stacindex.Entry{Repo: repo, Digest: digest.FromBytes(append(b, repo...)), Item: b, Tags: tags,
			Created: time.Unix(int64(created), 0)}
	}
	batches := [][]stacindex.Entry{
		{ // all new; tag "latest" of eo/a ends on b
			entry("eo/a", "a", "c1", 1, 10, "latest", "a"), entry("eo/a", "b", "c1", 2, 11, "latest"),
			entry("eo/b", "a", "c2", 3, 12), entry("eo/b", "nobox", "", 4, 13, "x"),
		},
		{ // new, and a newer push of c1/a elsewhere, and an older one of c1/b
			entry("eo/c", "z", "c1", 5, 20, "z"), entry("eo/c", "a", "c1", 6, 21, "latest"),
			entry("eo/c", "b", "c1", 7, 5, "old"),
		},
		{ // the same manifest twice, and a retag
			entry("eo/d", "d", "c3", 8, 30, "one"), entry("eo/d", "d", "c3", 8, 30, "two"),
			entry("eo/a", "b", "c1", 2, 11, "latest", "b"),
		},
		{entry("eo/e", "e", "c3", 9, 40, "e")},
	}
	dir := t.TempDir()
	all, err := stacindex.OpenFile(filepath.Join(dir, "all.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	one, err := stacindex.OpenFile(filepath.Join(dir, "one.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	bulk, err := stacindex.OpenFile(filepath.Join(dir, "bulk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bulk.Close()
	if err := bulk.BeginBulk(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := all.PutAll(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := bulk.PutAll(ctx, b); err != nil {
			t.Fatal(err)
		}
		for _, e := range b {
			if err := one.Put(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	dump := func(f *stacindex.File) string {
		var s strings.Builder
		page, err := f.Search(ctx, stacindex.Query{Limit: 100, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&s, "matched %d\n", page.NumberMatched)
		for _, h := range page.Hits {
			fmt.Fprintf(&s, "%s/%s %s@%s %v %s versions:", h.Collection, h.Item, h.Repo, h.Digest, h.Tags, h.Created)
			for _, v := range h.Versions {
				fmt.Fprintf(&s, " %s@%s %v", v.Repo, v.Digest, v.Tags)
			}
			s.WriteString("\n")
		}
		for _, repo := range []string{"eo/a", "eo/b", "eo/c", "eo/d", "eo/e"} {
			ds, err := f.Digests(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&s, "%s %v\n", repo, ds)
		}
		page, err = f.Search(ctx, stacindex.Query{BBox: []float64{6.5, 0, 7.5, 1}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Hits {
			fmt.Fprintf(&s, "bbox: %s@%s\n", h.Repo, h.Digest)
		}
		cols, err := f.Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			fmt.Fprintf(&s, "collection %s %d\n", c.ID, c.Count)
		}
		return s.String()
	}
	if err := bulk.EndBulk(ctx); err != nil {
		t.Fatal(err)
	}
	got, want := dump(all), dump(one)
	if got != want {
		t.Errorf("PutAll:\n%s\nPut one by one:\n%s", got, want)
	}
	if b := dump(bulk); b != want {
		t.Errorf("PutAll in a bulk load:\n%s\nPut one by one:\n%s", b, want)
	}
	if !strings.Contains(got, "matched 7\n") || !strings.Contains(got, "bbox: eo/c@") {
		t.Errorf("unexpected index:\n%s", got)
	}
}
