package indextest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// testSort: sort by a property (missing values first ascending, last descending), by id,
// by collection; ties broken by collection and id; paging stays in that order.
func testSort(t *testing.T, tg Target) {
	items := generate(45, 5)
	putAll(t, tg, items)
	byCloud := func(desc bool) []string {
		m := slices.Clone(items)
		slices.SortFunc(m, func(a, b *item) int {
			c := 0
			switch {
			case a.cloud == nil && b.cloud == nil:
			case a.cloud == nil:
				c = -1
			case b.cloud == nil:
				c = 1
			default:
				c = cmp.Compare(*a.cloud, *b.cloud)
			}
			if desc {
				c = -c
			}
			if c != 0 {
				return c
			}
			if c := strings.Compare(a.coll, b.coll); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		return keys(m)
	}
	equal(t, "eo:cloud_cover ascending", searchAll(t, tg.Index,
		stacindex.Query{SortBy: []stacindex.Sort{{Field: "eo:cloud_cover"}}}, 4), byCloud(false))
	equal(t, "properties.eo:cloud_cover descending", searchAll(t, tg.Index,
		stacindex.Query{SortBy: []stacindex.Sort{{Field: "properties.eo:cloud_cover", Desc: true}}}, 4), byCloud(true))
	byID := slices.Clone(items)
	slices.SortFunc(byID, func(a, b *item) int {
		if c := strings.Compare(b.id, a.id); c != 0 {
			return c
		}
		return strings.Compare(a.coll, b.coll)
	})
	equal(t, "id descending", searchAll(t, tg.Index, stacindex.Query{SortBy: []stacindex.Sort{{Field: "id", Desc: true}}}, 6), keys(byID))
	byColl := slices.Clone(items)
	slices.SortFunc(byColl, func(a, b *item) int {
		if c := strings.Compare(a.coll, b.coll); c != 0 {
			return c
		}
		if c := b.dt.Compare(a.dt); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	equal(t, "collection, then datetime descending", searchAll(t, tg.Index, stacindex.Query{SortBy: []stacindex.Sort{
		{Field: "collection"}, {Field: "datetime", Desc: true}}}, 5), keys(byColl))
}

// product is a minimal EO product entry.
func product(repo, coll, id string, pushed time.Time, tags ...string) stacindex.Entry {
	doc := map[string]any{"type": "Feature", "stac_version": "1.1.0", "id": id, "collection": coll,
		"bbox": []float64{10, 40, 11, 41}, "geometry": nil, "links": []any{}, "assets": map[string]any{},
		"properties": map[string]any{"datetime": "2024-05-01T10:00:00Z", "platform": "sentinel-2a", "eopack:push": pushed.Format(time.RFC3339)}}
	b, _ := json.Marshal(doc)
	return stacindex.Entry{Repo: repo, Digest: digest.FromBytes(b), Tags: tags, Created: pushed, Item: b,
		Assets: map[string]stacindex.Blob{}}
}

// testVersions: one collection + id pushed to two repositories and again is one item, the
// newest push; the older pushes are its versions, newest first, with their tags.
func testVersions(t *testing.T, tg Target) {
	t0 := epoch
	a := product("eo/a", "s2", "x", t0, "v1")
	b := product("eo/b", "s2", "x", t0.Add(2*time.Hour), "v3", "latest")
	c := product("eo/a", "s2", "x", t0.Add(time.Hour), "v2")
	for _, e := range []stacindex.Entry{a, b, c} {
		tg.Put(t, e)
	}
	p, err := tg.Index.Search(context.Background(), stacindex.Query{Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hits) != 1 || p.NumberMatched != 1 {
		t.Fatalf("%d hits, numberMatched %d; want 1", len(p.Hits), p.NumberMatched)
	}
	h := p.Hits[0]
	if h.Repo != "eo/b" || h.Digest != b.Digest || !slices.Equal(h.Tags, []string{"latest", "v3"}) || h.Collection != "s2" {
		t.Errorf("hit %s@%s tags %v in %s; want eo/b@%s [latest v3] in s2", h.Repo, h.Digest, h.Tags, h.Collection, b.Digest)
	}
	if !h.Created.Equal(b.Created) {
		t.Errorf("created %v, want %v", h.Created, b.Created)
	}
	if len(h.Versions) != 2 || h.Versions[0].Digest != c.Digest || h.Versions[1].Digest != a.Digest ||
		!slices.Equal(h.Versions[0].Tags, []string{"v2"}) || h.Versions[1].Repo != "eo/a" {
		t.Errorf("versions %+v; want eo/a@%s [v2], then eo/a@%s [v1]", h.Versions, c.Digest, a.Digest)
	}
	if got := string(h.Item); got != string(b.Item) {
		t.Errorf("item %s, want %s", got, b.Item)
	}
}

// testDeletePromotes: deleting the current push makes the next newest current; deleting an
// older one leaves the current one; deleting the last removes the item.
func testDeletePromotes(t *testing.T, tg Target) {
	a := product("eo/a", "s2", "x", epoch, "v1")
	b := product("eo/a", "s2", "x", epoch.Add(time.Hour), "v2")
	c := product("eo/a", "s2", "x", epoch.Add(2*time.Hour), "v3")
	for _, e := range []stacindex.Entry{a, b, c} {
		tg.Put(t, e)
	}
	current := func() (digest.Digest, int) {
		t.Helper()
		h, err := tg.Index.Item(context.Background(), "s2", "x")
		if errors.Is(err, stacindex.ErrNotFound) {
			return "", 0
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := tg.Index.Search(context.Background(), stacindex.Query{BBox: []float64{10.5, 40.5, 10.6, 40.6}, Count: true})
		if err != nil || p.NumberMatched != 1 || p.Hits[0].Digest != h.Digest {
			t.Fatalf("bbox search: %v, %+v; want the current item alone", err, p)
		}
		return h.Digest, len(h.Versions)
	}
	tg.Delete(t, "eo/a", c.Digest)
	if d, n := current(); d != b.Digest || n != 1 {
		t.Errorf("after deleting the newest: current %s with %d versions; want %s with 1", d, n, b.Digest)
	}
	tg.Delete(t, "eo/a", a.Digest)
	if d, n := current(); d != b.Digest || n != 0 {
		t.Errorf("after deleting the oldest: current %s with %d versions; want %s with 0", d, n, b.Digest)
	}
	tg.Delete(t, "eo/a", b.Digest)
	if _, err := tg.Index.Item(context.Background(), "s2", "x"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("after deleting all: %v, want ErrNotFound", err)
	}
	if _, err := tg.Index.Collection(context.Background(), "s2"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("collection after deleting all: %v, want ErrNotFound", err)
	}
}

// testCollections: extents and summaries computed from the current items, recomputed after
// a change; a pushed Collection document is served as Doc.
func testCollections(t *testing.T, tg Target) {
	ctx := context.Background()
	items := generate(30, 6)
	putAll(t, tg, items)
	check := func(items []*item) {
		t.Helper()
		cols, err := tg.Index.Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string][]*item{}
		for _, it := range items {
			byID[it.coll] = append(byID[it.coll], it)
		}
		var ids []string
		for _, c := range cols {
			ids = append(ids, c.ID)
			want := byID[c.ID]
			if c.Count != int64(len(want)) {
				t.Errorf("%s: count %d, want %d", c.ID, c.Count, len(want))
			}
			s, e := want[0].start, want[0].end
			minS := 90.0
			platforms := map[string]bool{}
			for _, it := range want {
				if it.start.Before(s) {
					s = it.start
				}
				if it.end.After(e) {
					e = it.end
				}
				minS = min(minS, it.box[1])
				platforms[it.platform] = true
			}
			if c.Start == nil || !c.Start.Equal(s) || !c.End.Equal(e) {
				t.Errorf("%s: temporal extent %v..%v, want %v..%v", c.ID, c.Start, c.End, s, e)
			}
			if len(c.BBox) != 4 || c.BBox[1] != minS {
				t.Errorf("%s: bbox %v, want south %g", c.ID, c.BBox, minS)
			}
			if got, _ := c.Summaries["platform"].([]any); len(got) != len(platforms) {
				t.Errorf("%s: platform summary %v, want %d values", c.ID, c.Summaries["platform"], len(platforms))
			}
			one, err := tg.Index.Collection(ctx, c.ID)
			if err != nil || one.Count != c.Count {
				t.Errorf("Collection(%s): count %d, %v; want %d", c.ID, one.Count, err, c.Count)
			}
		}
		if len(ids) != len(byID) {
			t.Errorf("collections %v, want %d", ids, len(byID))
		}
	}
	check(items)
	tg.Delete(t, items[1].repo, items[1].entry.Digest)
	check(slices.Delete(slices.Clone(items), 1, 2))

	doc := json.RawMessage(`{"type":"Collection","stac_version":"1.1.0","id":"c1","description":"Sentinel-2 L2A","license":"CC-BY-4.0","extent":{},"links":[]}`)
	tg.PutCollection(t, stacindex.CollectionDoc{Repo: "eo/meta", Digest: digest.FromBytes(doc), ID: "c1", Doc: doc, Created: epoch})
	c, err := tg.Index.Collection(ctx, "c1")
	if err != nil || !strings.Contains(string(c.Doc), "CC-BY-4.0") || c.Count == 0 {
		t.Errorf("c1 with its document: %s, count %d, %v", c.Doc, c.Count, err)
	}
	only := json.RawMessage(`{"type":"Collection","stac_version":"1.1.0","id":"empty","description":"nothing yet","license":"proprietary","extent":{},"links":[]}`)
	tg.PutCollection(t, stacindex.CollectionDoc{Repo: "eo/meta", Digest: digest.FromBytes(only), ID: "empty", Doc: only, Created: epoch})
	if c, err := tg.Index.Collection(ctx, "empty"); err != nil || c.Count != 0 || c.Doc == nil {
		t.Errorf("collection of a document alone: %+v, %v", c, err)
	}
	tg.Delete(t, "eo/meta", digest.FromBytes(only))
	if _, err := tg.Index.Collection(ctx, "empty"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("deleted document: %v, want ErrNotFound", err)
	}
}

func testQueryables(t *testing.T, tg Target) {
	putAll(t, tg, generate(10, 7))
	e := product("eo/x", "special", "p", epoch)
	var doc map[string]any
	json.Unmarshal(e.Item, &doc)
	doc["properties"].(map[string]any)["sar:polarizations"] = []string{"VV"}
	e.Item, _ = json.Marshal(doc)
	e.Digest = digest.FromBytes(e.Item)
	tg.Put(t, e)
	ctx := context.Background()
	all, err := tg.Index.Queryables(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "datetime", "geometry", "eo:cloud_cover", "platform", "sar:polarizations"} {
		if all[k] == nil {
			t.Errorf("global queryables lack %s", k)
		}
	}
	if s, _ := all["sar:polarizations"].(map[string]any); s["type"] != "array" {
		t.Errorf("sar:polarizations: %v, want type array", all["sar:polarizations"])
	}
	c1, err := tg.Index.Queryables(ctx, "c1")
	if err != nil || c1["sar:polarizations"] != nil || c1["eo:cloud_cover"] == nil {
		t.Errorf("queryables of c1: %v, %v", c1, err)
	}
	if _, err := tg.Index.Queryables(ctx, "nope"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("queryables of an unknown collection: %v", err)
	}
	p, err := tg.Index.Search(ctx, stacindex.Query{SortBy: []stacindex.Sort{{Field: "sar:polarizations"}}})
	if err != nil || len(p.Hits) == 0 {
		t.Errorf("sort by a property one item has: %v", err)
	}
}

func testItem(t *testing.T, tg Target) {
	items := generate(8, 8)
	putAll(t, tg, items)
	it := items[3]
	h, err := tg.Index.Item(context.Background(), it.coll, it.id)
	if err != nil {
		t.Fatal(err)
	}
	if h.Digest != it.entry.Digest || h.Assets["B04"] != it.entry.Assets["B04"] || !slices.Equal(h.Tags, it.entry.Tags) {
		t.Errorf("item %s: %s %v %v; want %s %v %v", it.id, h.Digest, h.Assets, h.Tags, it.entry.Digest, it.entry.Assets, it.entry.Tags)
	}
	if _, err := tg.Index.Item(context.Background(), "other", it.id); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("item in another collection: %v, want ErrNotFound", err)
	}
	noColl := items[0] // generated without a collection: served in its repository's
	if _, err := tg.Index.Item(context.Background(), noColl.repo, noColl.id); err != nil {
		t.Errorf("item without a collection, in %s: %v", noColl.repo, err)
	}
}
