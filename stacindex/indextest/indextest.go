// Package indextest is the test table every stacindex.Index must pass: the registry's
// metadata store on SQLite and PostgreSQL, and the standalone index File. Expected results
// are computed in Go from the items the tests generate, never written down.
package indextest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// Target is an index under test with the ways to change it.
type Target struct {
	Index stacindex.Index
	// Put stores an EO product (e.Tags are its tags, e.Created its push time).
	Put func(t *testing.T, e stacindex.Entry)
	// PutCollection stores a STAC Collection document.
	PutCollection func(t *testing.T, c stacindex.CollectionDoc)
	// Delete removes a manifest.
	Delete func(t *testing.T, repo string, d digest.Digest)
}

// Run runs every test on a new, empty target from open.
func Run(t *testing.T, open func(t *testing.T) Target) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"PagingLimit1", testPaging},
		{"Filters", testFilters},
		{"Sort", testSort},
		{"BadQueries", testBadQueries},
		{"Count", testCount},
		{"Versions", testVersions},
		{"DeletePromotes", testDeletePromotes},
		{"Collections", testCollections},
		{"Queryables", testQueryables},
		{"Item", testItem},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// item is a generated product and what the tests know of it.
type item struct {
	repo, coll, id string // coll: the collection it is served in
	dt             time.Time
	datetime       bool       // false: an interval item (datetime null)
	start, end     time.Time  // its interval (an instant: both dt)
	box            [4]float64 // west, south, east, north; the footprint is the triangle (w,s) (e,s) (w,n)
	cloud          *float64
	platform       string
	entry          stacindex.Entry
}

var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// generate makes n items in collections c0…c2 and (no collection) the repository's, with
// some near the antimeridian, some intervals, some without eo:cloud_cover.
func generate(n int, seed uint64) []*item {
	r := rand.New(rand.NewPCG(seed, 7))
	var out []*item
	for i := range n {
		it := &item{repo: []string{"eo/a", "eo/b"}[i%2], id: fmt.Sprintf("scene-%03d", i)}
		coll := ""
		if i%7 != 0 {
			coll = fmt.Sprintf("c%d", i%3)
			it.coll = coll
		} else {
			it.coll = it.repo
		}
		it.dt = epoch.Add(time.Duration(r.IntN(700*24)) * time.Hour).Add(time.Duration(i) * time.Second)
		it.datetime = i%11 != 5
		it.start, it.end = it.dt, it.dt
		if !it.datetime || i%13 == 3 {
			it.end = it.dt.Add(time.Duration(1+r.IntN(40)) * 24 * time.Hour)
		}
		w, s := -170+r.Float64()*330, -60+r.Float64()*120
		if i%9 == 4 {
			w = 178.5 + r.Float64()
		}
		it.box = [4]float64{w, s, w + 1.5, s + 1.5}
		if i%5 != 2 {
			c := float64(r.IntN(1000)) / 10
			it.cloud = &c
		}
		it.platform = []string{"sentinel-2a", "sentinel-2b", "landsat-9"}[r.IntN(3)]
		it.entry = stacindex.Entry{Repo: it.repo, Digest: digest.FromString(it.repo + it.id),
			Tags: []string{it.id}, Created: epoch.Add(time.Duration(i) * time.Minute),
			Item: it.json(coll), Assets: map[string]stacindex.Blob{
				"B04": {Digest: digest.FromString("B04" + it.id), Size: int64(1000 + i), MediaType: "image/tiff"}}}
		out = append(out, it)
	}
	return out
}

// json is the item's STAC Item. A box crossing the antimeridian is written as STAC does
// (west > east), its footprint a multipolygon.
func (it *item) json(coll string) json.RawMessage {
	w, s, e, n := it.box[0], it.box[1], it.box[2], it.box[3]
	var geometry any = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{w, s}, {e, s}, {w, n}, {w, s}}}}
	bbox := []float64{w, s, e, n}
	if e > 180 {
		bbox[2] = e - 360
	}
	props := map[string]any{"platform": it.platform, "gsd": 10}
	if it.datetime {
		props["datetime"] = it.dt.Format(time.RFC3339Nano)
	} else {
		props["datetime"] = nil
	}
	if !it.end.Equal(it.start) {
		props["start_datetime"] = it.start.Format(time.RFC3339Nano)
		props["end_datetime"] = it.end.Format(time.RFC3339Nano)
	}
	if it.cloud != nil {
		props["eo:cloud_cover"] = *it.cloud
	}
	doc := map[string]any{"type": "Feature", "stac_version": "1.1.0", "id": it.id, "bbox": bbox,
		"geometry": geometry, "properties": props, "links": []any{},
		"assets": map[string]any{"B04": map[string]any{"href": "B04.tif", "type": "image/tiff"}}}
	if coll != "" {
		doc["collection"] = coll
	}
	b, _ := json.Marshal(doc)
	return b
}

// putAll stores items in order.
func putAll(t *testing.T, tg Target, items []*item) {
	t.Helper()
	for _, it := range items {
		tg.Put(t, it.entry)
	}
}

// sorted are the items matching fn in the default order: datetime descending, then
// collection, then id.
func sorted(items []*item, fn func(*item) bool) []string {
	var m []*item
	for _, it := range items {
		if fn(it) {
			m = append(m, it)
		}
	}
	slices.SortFunc(m, func(a, b *item) int {
		if c := b.dt.Compare(a.dt); c != 0 {
			return c
		}
		if c := strings.Compare(a.coll, b.coll); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return keys(m)
}

func keys(m []*item) []string {
	out := []string{}
	for _, it := range m {
		out = append(out, it.coll+"/"+it.id)
	}
	return out
}

// searchAll pages through a query with limit, checking every page's token.
func searchAll(t *testing.T, ix stacindex.Index, q stacindex.Query, limit int) []string {
	t.Helper()
	q.Limit = limit
	out := []string{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		p, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		if len(p.Hits) > limit {
			t.Fatalf("%d hits on a page of limit %d", len(p.Hits), limit)
		}
		for _, h := range p.Hits {
			var it struct {
				ID string `json:"id"`
			}
			json.Unmarshal(h.Item, &it)
			out = append(out, h.Collection+"/"+it.ID)
		}
		if p.Next == "" {
			return out
		}
		if len(p.Hits) < limit {
			t.Fatalf("a page of %d hits (limit %d) with a next token", len(p.Hits), limit)
		}
		q.Token = p.Next
	}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %d %v\nwant %d %v", what, len(got), got, len(want), want)
	}
}

func ptr[T any](v T) *T { return &v }
