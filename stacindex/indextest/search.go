package indextest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
	"github.com/eopack/eopack/stacindex"
)

// testPaging: paging with limit 1 gives every item once, in sort order, alone and with a
// bbox and datetime.
func testPaging(t *testing.T, tg Target) {
	items := generate(60, 1)
	putAll(t, tg, items)
	equal(t, "all, limit 1", searchAll(t, tg.Index, stacindex.Query{}, 1), sorted(items, func(*item) bool { return true }))
	equal(t, "all, limit 7", searchAll(t, tg.Index, stacindex.Query{}, 7), sorted(items, func(*item) bool { return true }))
	box := []float64{-100, -40, 60, 50}
	start, end := epoch.Add(100*24*time.Hour), epoch.Add(500*24*time.Hour)
	q := stacindex.Query{BBox: box, Start: &start, End: &end}
	equal(t, "bbox+datetime, limit 1", searchAll(t, tg.Index, q, 1), sorted(items, func(it *item) bool {
		return inBox(it, box) && inTime(it, &start, &end)
	}))
}

// inBox: the item's bbox overlaps box (STAC's w, s, e, n; w > e crosses the antimeridian).
func inBox(it *item, box []float64) bool {
	lon := func(w, e float64) [][2]float64 {
		if w > e {
			return [][2]float64{{w, 180}, {-180, e}}
		}
		return [][2]float64{{w, e}}
	}
	ie := it.box[2]
	if ie > 180 {
		ie -= 360
	}
	if it.box[1] > box[3] || it.box[3] < box[1] {
		return false
	}
	for _, a := range lon(it.box[0], ie) {
		for _, b := range lon(box[0], box[2]) {
			if a[0] <= b[1] && a[1] >= b[0] {
				return true
			}
		}
	}
	return false
}

// inTime: the item's interval overlaps [start, end] (nil: open).
func inTime(it *item, start, end *time.Time) bool {
	return (start == nil || !it.end.Before(*start)) && (end == nil || !it.start.After(*end))
}

// inTriangle: point (x, y) is on the item's footprint.
func inTriangle(it *item, x, y float64) bool {
	w, s, e, n := it.box[0], it.box[1], it.box[2], it.box[3]
	return x >= w && y >= s && (x-w)/(e-w)+(y-s)/(n-s) <= 1
}

// cloud compares eo:cloud_cover as SQL's three-valued logic: unknown (false, false) without one.
func cloud(it *item, fn func(float64) bool) (v, known bool) {
	if it.cloud == nil {
		return false, false
	}
	return fn(*it.cloud), true
}

func testFilters(t *testing.T, tg Target) {
	items := generate(80, 2)
	putAll(t, tg, items)
	some := items[17]
	at := some.dt
	from, to := epoch.Add(200*24*time.Hour), epoch.Add(260*24*time.Hour)
	triangle := items[22] // a point inside its bbox but outside its footprint, and one inside
	px, py := triangle.box[0]+1.2, triangle.box[1]+1.2
	qx, qy := triangle.box[0]+0.2, triangle.box[1]+0.2
	prop := func(n string) cql2.Property { return cql2.Property{Name: n} }
	cc := prop("eo:cloud_cover")
	for _, c := range []struct {
		name  string
		q     stacindex.Query
		match func(*item) bool
	}{
		{"collections", stacindex.Query{Collections: []string{"c1", "eo/b"}},
			func(it *item) bool { return it.coll == "c1" || it.coll == "eo/b" }},
		{"ids", stacindex.Query{IDs: []string{"scene-003", "scene-040", "nothing"}},
			func(it *item) bool { return it.id == "scene-003" || it.id == "scene-040" }},
		{"bbox", stacindex.Query{BBox: []float64{0, 0, 60, 40}},
			func(it *item) bool { return inBox(it, []float64{0, 0, 60, 40}) }},
		{"bbox 6 numbers", stacindex.Query{BBox: []float64{0, 0, -10, 60, 40, 10}},
			func(it *item) bool { return inBox(it, []float64{0, 0, 60, 40}) }},
		{"bbox across the antimeridian", stacindex.Query{BBox: []float64{170, -90, -175, 90}},
			func(it *item) bool { return inBox(it, []float64{170, -90, -175, 90}) }},
		{"bbox west of the antimeridian", stacindex.Query{BBox: []float64{-180, -90, -179.8, 90}},
			func(it *item) bool { return inBox(it, []float64{-180, -90, -179.8, 90}) }},
		{"intersects outside the footprint", stacindex.Query{Intersects: geom.NewPoint(geom.Coordinates{XY: geom.XY{X: px, Y: py}}).AsGeometry()},
			func(it *item) bool { return inTriangle(it, px, py) }},
		{"intersects inside the footprint", stacindex.Query{Intersects: geom.NewPoint(geom.Coordinates{XY: geom.XY{X: qx, Y: qy}}).AsGeometry()},
			func(it *item) bool { return inTriangle(it, qx, qy) }},
		{"datetime instant", stacindex.Query{Start: &at, End: &at},
			func(it *item) bool { return inTime(it, &at, &at) }},
		{"datetime interval", stacindex.Query{Start: &from, End: &to},
			func(it *item) bool { return inTime(it, &from, &to) }},
		{"datetime open start", stacindex.Query{End: &from},
			func(it *item) bool { return inTime(it, nil, &from) }},
		{"datetime open end", stacindex.Query{Start: &to},
			func(it *item) bool { return inTime(it, &to, nil) }},
		{"filter <", stacindex.Query{Filter: cql2.Op{Op: "<", Args: []cql2.Expr{cc, 10.0}}},
			func(it *item) bool { v, _ := cloud(it, func(c float64) bool { return c < 10 }); return v }},
		{"filter literal first", stacindex.Query{Filter: cql2.Op{Op: ">=", Args: []cql2.Expr{10.0, cc}}},
			func(it *item) bool { v, _ := cloud(it, func(c float64) bool { return 10 >= c }); return v }},
		{"filter NOT (missing is unknown)", stacindex.Query{Filter: cql2.Op{Op: "not", Args: []cql2.Expr{cql2.Op{Op: "<", Args: []cql2.Expr{cc, 10.0}}}}},
			func(it *item) bool { v, known := cloud(it, func(c float64) bool { return c < 10 }); return known && !v }},
		{"filter BETWEEN and collection", stacindex.Query{Filter: cql2.Op{Op: "and", Args: []cql2.Expr{
			cql2.Op{Op: "=", Args: []cql2.Expr{prop("collection"), "c2"}},
			cql2.Op{Op: "between", Args: []cql2.Expr{cc, 10.0, 50.0}}}}},
			func(it *item) bool {
				v, _ := cloud(it, func(c float64) bool { return c >= 10 && c <= 50 })
				return it.coll == "c2" && v
			}},
		{"filter OR IN", stacindex.Query{Filter: cql2.Op{Op: "or", Args: []cql2.Expr{
			cql2.Op{Op: "in", Args: []cql2.Expr{prop("id"), []cql2.Expr{"scene-001", "scene-002"}}},
			cql2.Op{Op: "=", Args: []cql2.Expr{prop("platform"), "landsat-9"}}}}},
			func(it *item) bool { return it.id == "scene-001" || it.id == "scene-002" || it.platform == "landsat-9" }},
		{"filter isNull", stacindex.Query{Filter: cql2.Op{Op: "isNull", Args: []cql2.Expr{cc}}},
			func(it *item) bool { return it.cloud == nil }},
		{"filter wrong type is unknown", stacindex.Query{Filter: cql2.Op{Op: "=", Args: []cql2.Expr{prop("platform"), 3.0}}},
			func(it *item) bool { return false }},
		{"filter datetime", stacindex.Query{Filter: cql2.Op{Op: ">", Args: []cql2.Expr{prop("datetime"), cql2.Timestamp{T: from}}}},
			func(it *item) bool { return it.dt.After(from) }}, // a null datetime reads as start_datetime
		{"filter LIKE (case-sensitive)", stacindex.Query{Filter: cql2.Op{Op: "like", Args: []cql2.Expr{prop("platform"), "Sentinel%"}}},
			func(it *item) bool { return false }},
		{"filter LIKE", stacindex.Query{Filter: cql2.Op{Op: "like", Args: []cql2.Expr{prop("platform"), "sentinel-2_"}}},
			func(it *item) bool { return strings.HasPrefix(it.platform, "sentinel-2") }},
		{"filter CASEI (decided by Eval alone)", stacindex.Query{Filter: cql2.Op{Op: "=", Args: []cql2.Expr{
			cql2.Op{Op: "casei", Args: []cql2.Expr{prop("platform")}}, cql2.Op{Op: "casei", Args: []cql2.Expr{"LANDSAT-9"}}}}},
			func(it *item) bool { return it.platform == "landsat-9" }},
		{"filter S_INTERSECTS", stacindex.Query{Filter: cql2.Op{Op: "s_intersects", Args: []cql2.Expr{prop("geometry"),
			cql2.Geometry{G: geom.NewPoint(geom.Coordinates{XY: geom.XY{X: px, Y: py}}).AsGeometry()}}}},
			func(it *item) bool { return inTriangle(it, px, py) }},
		{"filter T_INTERSECTS", stacindex.Query{Filter: cql2.Op{Op: "t_intersects", Args: []cql2.Expr{prop("datetime"),
			cql2.Interval{Start: cql2.Timestamp{T: from}, End: cql2.Timestamp{T: to}}}}},
			func(it *item) bool { return inTime(it, &from, &to) }},
		{"filter AND with a part SQL cannot decide", stacindex.Query{Filter: cql2.Op{Op: "and", Args: []cql2.Expr{
			cql2.Op{Op: "<", Args: []cql2.Expr{cc, 50.0}},
			cql2.Op{Op: "=", Args: []cql2.Expr{cql2.Op{Op: "casei", Args: []cql2.Expr{prop("platform")}}, "sentinel-2b"}}}}},
			func(it *item) bool {
				v, _ := cloud(it, func(c float64) bool { return c < 50 })
				return v && it.platform == "sentinel-2b"
			}},
		{"everything", stacindex.Query{Collections: []string{"c0", "c1", "c2"}, BBox: []float64{-180, -70, 180, 30},
			Start: &from, Filter: cql2.Op{Op: "<", Args: []cql2.Expr{cc, 60.0}}},
			func(it *item) bool {
				v, _ := cloud(it, func(c float64) bool { return c < 60 })
				return it.coll != "eo/a" && it.coll != "eo/b" && inBox(it, []float64{-180, -70, 180, 30}) && inTime(it, &from, nil) && v
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := sorted(items, c.match)
			equal(t, "limit 3", searchAll(t, tg.Index, c.q, 3), want)
			c.q.Count, c.q.Limit = true, 1000
			p, err := tg.Index.Search(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			if p.NumberMatched != int64(len(want)) {
				t.Errorf("numberMatched %d, want %d", p.NumberMatched, len(want))
			}
		})
	}
	_ = some
}

func testBadQueries(t *testing.T, tg Target) {
	putAll(t, tg, generate(10, 3))
	ctx := context.Background()
	first, err := tg.Index.Search(ctx, stacindex.Query{Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	for name, q := range map[string]stacindex.Query{
		"sort by an unknown field":  {SortBy: []stacindex.Sort{{Field: "nope"}}},
		"bbox and intersects":       {BBox: []float64{0, 0, 1, 1}, Intersects: geom.NewPoint(geom.Coordinates{XY: geom.XY{X: 1, Y: 1}}).AsGeometry()},
		"bbox of 5 numbers":         {BBox: []float64{0, 0, 1, 1, 1}},
		"bbox south of north":       {BBox: []float64{0, 10, 1, 1}},
		"token of another query":    {Limit: 2, Collections: []string{"c1"}, Token: first.Next},
		"token not written by this": {Limit: 2, Token: "bm90IGEgdG9rZW4"},
		"interval ends first":       {Start: ptr(epoch.Add(time.Hour)), End: &epoch},
	} {
		if _, err := tg.Index.Search(ctx, q); !errors.Is(err, stacindex.ErrBadQuery) {
			t.Errorf("%s: %v, want ErrBadQuery", name, err)
		}
	}
}

func testCount(t *testing.T, tg Target) {
	items := generate(40, 4)
	putAll(t, tg, items)
	p, err := tg.Index.Search(context.Background(), stacindex.Query{Limit: 5, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.NumberMatched != 40 || len(p.Hits) != 5 {
		t.Errorf("numberMatched %d with %d hits, want 40 with 5", p.NumberMatched, len(p.Hits))
	}
	p, err = tg.Index.Search(context.Background(), stacindex.Query{Limit: 5})
	if err != nil || p.NumberMatched != -1 {
		t.Errorf("uncounted: numberMatched %d, %v; want -1", p.NumberMatched, err)
	}
}
