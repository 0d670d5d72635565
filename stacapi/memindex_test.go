package stacapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
	"github.com/eopack/eopack/stacindex"
)

// memIndex is a small in-memory stacindex.Index for the handler's unit tests: it filters,
// sorts and pages a list of hits the simple way. The real index is tested in stacindex and,
// with these handlers, in integration/stac.
type memIndex struct {
	hits       []stacindex.Hit
	docs       map[string]json.RawMessage // pushed collection documents
	queryables map[string]any
	last       stacindex.Query // the last query searched
}

func (m *memIndex) props(h stacindex.Hit) map[string]any {
	var it struct {
		Properties map[string]any `json:"properties"`
	}
	json.Unmarshal(h.Item, &it)
	return it.Properties
}

func (m *memIndex) itemID(h stacindex.Hit) string {
	var it struct {
		ID string `json:"id"`
	}
	json.Unmarshal(h.Item, &it)
	return it.ID
}

func (m *memIndex) geometry(h stacindex.Hit) geom.Geometry {
	var it struct {
		Geometry json.RawMessage `json:"geometry"`
	}
	json.Unmarshal(h.Item, &it)
	g, _ := geom.UnmarshalGeoJSON(it.Geometry)
	return g
}

func (m *memIndex) datetime(h stacindex.Hit) time.Time {
	t, _ := time.Parse(time.RFC3339, m.props(h)["datetime"].(string))
	return t
}

// feature adapts a hit to cql2.Feature.
type feature struct {
	m *memIndex
	h stacindex.Hit
}

func (f feature) Property(name string) (any, bool) {
	switch name {
	case "id":
		return f.m.itemID(f.h), true
	case "collection":
		return f.h.Collection, true
	case "geometry":
		return f.m.geometry(f.h), true
	}
	v, ok := f.m.props(f.h)[name]
	return v, ok
}

func (m *memIndex) match(h stacindex.Hit, q stacindex.Query) (bool, error) {
	if q.Collections != nil && !slices.Contains(q.Collections, h.Collection) {
		return false, nil
	}
	if q.IDs != nil && !slices.Contains(q.IDs, m.itemID(h)) {
		return false, nil
	}
	if q.BBox != nil {
		b := q.BBox
		if len(b) == 6 {
			b = []float64{b[0], b[1], b[3], b[4]}
		}
		boxes := [][4]float64{{b[0], b[1], b[2], b[3]}}
		if b[0] > b[2] { // across the antimeridian
			boxes = [][4]float64{{b[0], b[1], 180, b[3]}, {-180, b[1], b[2], b[3]}}
		}
		hit := false
		for _, x := range boxes {
			env := geom.NewEnvelope(geom.XY{X: x[0], Y: x[1]}, geom.XY{X: x[2], Y: x[3]})
			hit = hit || geom.Intersects(env.AsGeometry(), m.geometry(h))
		}
		if !hit {
			return false, nil
		}
	}
	if !q.Intersects.IsEmpty() && !geom.Intersects(q.Intersects, m.geometry(h)) {
		return false, nil
	}
	t := m.datetime(h)
	if q.Start != nil && t.Before(*q.Start) || q.End != nil && t.After(*q.End) {
		return false, nil
	}
	if q.Filter != nil {
		return cql2.Eval(q.Filter, feature{m, h})
	}
	return true, nil
}

func (m *memIndex) sortKey(h stacindex.Hit, field string) (any, error) {
	switch strings.TrimPrefix(field, "properties.") {
	case "id":
		return m.itemID(h), nil
	case "collection":
		return h.Collection, nil
	case "datetime":
		return m.datetime(h).Format(time.RFC3339Nano), nil
	}
	name := strings.TrimPrefix(field, "properties.")
	if _, ok := m.queryables[name]; !ok {
		return nil, fmt.Errorf("cannot sort by %s: %w", field, stacindex.ErrBadQuery)
	}
	return m.props(h)[name], nil
}

func compare(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		return int(x - y)
	}
	return 0
}

func (m *memIndex) Search(_ context.Context, q stacindex.Query) (stacindex.Page, error) {
	m.last = q
	var out []stacindex.Hit
	for _, h := range m.hits {
		ok, err := m.match(h, q)
		if err != nil {
			return stacindex.Page{}, fmt.Errorf("%v: %w", err, stacindex.ErrBadQuery)
		}
		if ok {
			out = append(out, h)
		}
	}
	sorts := q.SortBy
	if sorts == nil {
		sorts = []stacindex.Sort{{Field: "datetime", Desc: true}, {Field: "collection"}, {Field: "id"}}
	}
	for _, s := range sorts {
		if _, err := m.sortKey(m.hits[0], s.Field); err != nil {
			return stacindex.Page{}, err
		}
	}
	slices.SortStableFunc(out, func(a, b stacindex.Hit) int {
		for _, s := range sorts {
			ka, _ := m.sortKey(a, s.Field)
			kb, _ := m.sortKey(b, s.Field)
			if c := compare(ka, kb); c != 0 {
				if s.Desc {
					return -c
				}
				return c
			}
		}
		return 0
	})
	off := 0
	if q.Token != "" {
		var err error
		if off, err = strconv.Atoi(q.Token); err != nil {
			return stacindex.Page{}, fmt.Errorf("bad token: %w", stacindex.ErrBadQuery)
		}
	}
	p := stacindex.Page{NumberMatched: -1}
	if q.Count {
		p.NumberMatched = int64(len(out))
	}
	end := min(off+q.Limit, len(out))
	p.Hits = out[min(off, end):end]
	if end < len(out) {
		p.Next = strconv.Itoa(end)
	}
	return p, nil
}

func (m *memIndex) Collections(ctx context.Context) ([]stacindex.Collection, error) {
	var ids []string
	for _, h := range m.hits {
		if !slices.Contains(ids, h.Collection) {
			ids = append(ids, h.Collection)
		}
	}
	slices.Sort(ids)
	var out []stacindex.Collection
	for _, id := range ids {
		c, _ := m.Collection(ctx, id)
		out = append(out, c)
	}
	return out, nil
}

func (m *memIndex) Collection(_ context.Context, id string) (stacindex.Collection, error) {
	c := stacindex.Collection{ID: id, Doc: m.docs[id], Summaries: map[string]any{}}
	var platforms []any
	for _, h := range m.hits {
		if h.Collection != id {
			continue
		}
		c.Count++
		t := m.datetime(h)
		if c.Start == nil || t.Before(*c.Start) {
			c.Start = &t
		}
		if c.End == nil || t.After(*c.End) {
			c.End = &t
		}
		b := m.geometry(h).Envelope()
		lo, hi, _ := b.MinMaxXYs()
		if c.BBox == nil {
			c.BBox = []float64{lo.X, lo.Y, hi.X, hi.Y}
		} else {
			c.BBox = []float64{min(c.BBox[0], lo.X), min(c.BBox[1], lo.Y), max(c.BBox[2], hi.X), max(c.BBox[3], hi.Y)}
		}
		if p := m.props(h)["platform"]; p != nil && !slices.Contains(platforms, p) {
			platforms = append(platforms, p)
		}
	}
	if c.Count == 0 {
		return c, fmt.Errorf("collection %q: %w", id, stacindex.ErrNotFound)
	}
	c.Summaries["platform"] = platforms
	return c, nil
}

func (m *memIndex) Item(_ context.Context, collection, id string) (stacindex.Hit, error) {
	for _, h := range m.hits {
		if h.Collection == collection && m.itemID(h) == id {
			return h, nil
		}
	}
	return stacindex.Hit{}, fmt.Errorf("item %s/%s: %w", collection, id, stacindex.ErrNotFound)
}

func (m *memIndex) Queryables(_ context.Context, collection string) (map[string]any, error) {
	return m.queryables, nil
}

// testItem is a STAC item of the test data: a square footprint of side 1° at (lon, lat).
type testItem struct {
	id, collection, datetime, platform string
	lon, lat, cloud                    float64
	tags                               []string
}

func (ti testItem) hit(created time.Time) stacindex.Hit {
	w, s, e, n := ti.lon, ti.lat, ti.lon+1, ti.lat+1
	item := map[string]any{
		"type": "Feature", "stac_version": "1.1.0", "id": ti.id, "collection": ti.collection,
		"stac_extensions": []string{"https://stac-extensions.github.io/projection/v2.0.0/schema.json"},
		"bbox":            []float64{w, s, e, n},
		"geometry":        map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}},
		"properties": map[string]any{"datetime": ti.datetime, "platform": ti.platform, "eo:cloud_cover": ti.cloud,
			"proj:code": "EPSG:32633", "constellation": "test", "instruments": ti.instruments(), "gsd": ti.gsd()},
		"assets": map[string]any{
			"B04":  map[string]any{"href": "B04.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": []string{"data"}},
			"meta": map[string]any{"href": "https://example.org/meta.xml", "roles": []string{"metadata"}},
		},
		"links": []map[string]any{{"rel": "self", "href": "./item.json"}, {"rel": "license", "href": "https://example.org/license"}},
	}
	b, _ := json.Marshal(item)
	d := digest.FromBytes(b)
	repo := "eo/" + ti.collection
	return stacindex.Hit{
		Entry: stacindex.Entry{Repo: repo, Digest: d, Tags: ti.tags, Created: created, Item: b,
			Assets: map[string]stacindex.Blob{"B04": {Digest: digest.FromString("band " + ti.id), Size: 1234, MediaType: "image/tiff"}}},
		Collection: ti.collection, Tags: ti.tags,
	}
}

func (ti testItem) instruments() []string {
	if ti.collection == "landsat-8" {
		return []string{"oli", "tirs"}
	}
	return []string{"msi"}
}

func (ti testItem) gsd() float64 {
	if ti.collection == "landsat-8" {
		return 30
	}
	return 10
}

// testItems are six items in two collections.
var testItems = []testItem{
	{"s2-a", "sentinel-2", "2024-05-01T10:00:00Z", "sentinel-2a", 10, 45, 5, []string{"v1", "latest"}},
	{"s2-b", "sentinel-2", "2024-05-03T10:00:00Z", "sentinel-2b", 11, 45, 40, nil},
	{"s2-c", "sentinel-2", "2024-06-01T10:00:00Z", "sentinel-2a", 30, -10, 80, []string{"c"}},
	{"l8-a", "landsat-8", "2023-01-15T09:00:00Z", "landsat-8", 10.5, 45.5, 1, []string{"l8"}},
	{"l8-b", "landsat-8", "2023-02-15T09:00:00Z", "landsat-8", -75, 40, 15, nil},
	{"l8-c", "landsat-8", "2024-05-02T09:00:00Z", "landsat-8", 179, 0, 25, nil},
}

func newMemIndex() *memIndex {
	m := &memIndex{
		docs: map[string]json.RawMessage{},
		queryables: map[string]any{
			"eo:cloud_cover": map[string]any{"type": "number"},
			"platform":       map[string]any{"type": "string"},
		},
	}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, ti := range testItems {
		m.hits = append(m.hits, ti.hit(created.Add(time.Duration(i)*time.Hour)))
	}
	return m
}
