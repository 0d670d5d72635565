package stacindex

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// cachedCollection is a collection's computed fields as of a generation of stac_gen.
type cachedCollection struct {
	gen int64
	c   Collection
}

// Summaries the index computes: the distinct values of these properties (arrays are
// flattened; a property with more than maxDistinct values is left out)…
var summarySets = []string{"platform", "constellation", "instruments", "gsd", "proj:code", "proj:epsg"}

// …and the range of these.
var summaryRanges = []string{"eo:cloud_cover", "view:off_nadir", "view:sun_elevation"}

const maxDistinct = 100

// summarySample is how many of a collection's newest items the summaries are computed from:
// reading every item's JSON takes minutes for a collection of 100,000 (the extent and the
// count are exact, from an index of their columns).
const summarySample = 500

// Collections implements Index: every collection holding a current item or a pushed
// Collection document, by id.
func (x *DB) Collections(ctx context.Context) ([]Collection, error) {
	gens, err := scanAll(ctx, x.r(), func(r *sql.Rows) (cachedCollection, error) {
		var g cachedCollection
		return g, r.Scan(&g.c.ID, &g.gen)
	}, `SELECT collection, gen FROM stac_gen ORDER BY collection`)
	if err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	out := []Collection{}
	for _, g := range gens {
		c, err := x.collection(ctx, g.c.ID, g.gen)
		if err != nil {
			return nil, err
		}
		if c.Count > 0 || c.Doc != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// Collection implements Index.
func (x *DB) Collection(ctx context.Context, id string) (Collection, error) {
	var gen int64
	err := x.r().queryRow(ctx, `SELECT gen FROM stac_gen WHERE collection = ?`, id).Scan(&gen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Collection{}, fmt.Errorf("collection %s: %w", id, err)
	}
	c := Collection{}
	if err == nil {
		if c, err = x.collection(ctx, id, gen); err != nil {
			return Collection{}, err
		}
	}
	if c.Count == 0 && c.Doc == nil {
		return Collection{}, fmt.Errorf("collection %s: %w", id, ErrNotFound)
	}
	return c, nil
}

// collection is a collection's computed fields at generation gen, from the cache if current.
func (x *DB) collection(ctx context.Context, id string, gen int64) (Collection, error) {
	x.mu.Lock()
	cached, ok := x.stats[id]
	x.mu.Unlock()
	if ok && cached.gen == gen {
		return cached.c, nil
	}
	c, err := x.computeCollection(ctx, id)
	if err != nil {
		return Collection{}, fmt.Errorf("collection %s: %w", id, err)
	}
	x.mu.Lock()
	x.stats[id] = cachedCollection{gen, c}
	x.mu.Unlock()
	return c, nil
}

// computeCollection reads a collection's document, extent and summaries in three queries.
func (x *DB) computeCollection(ctx context.Context, id string) (Collection, error) {
	c := Collection{ID: id}
	var doc string
	err := x.r().queryRow(ctx, `SELECT doc FROM stac_collections WHERE collection = ? AND current = 1`, id).Scan(&doc)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c, err
	}
	if err == nil {
		c.Doc = json.RawMessage(doc)
	}
	var count int64
	var box [4]sql.NullFloat64
	var start, end sql.NullInt64
	err = x.r().queryRow(ctx, `SELECT count(*), min(minx), min(miny), max(maxx), max(maxy), min(start_dt), max(end_dt)
		FROM stac_items WHERE current = 1 AND collection = ?`, id).Scan(&count, &box[0], &box[1], &box[2], &box[3], &start, &end)
	if err != nil {
		return c, err
	}
	// The newest items, by walking the datetime index (not by sorting the whole collection).
	from := "stac_items INDEXED BY stac_items_dt"
	props := "props"
	if x.f == Postgres {
		from, props = "stac_items", "props::text"
	}
	sample, err := scanAll(ctx, x.r(), func(r *sql.Rows) (string, error) {
		var p string
		return p, r.Scan(&p)
	}, `SELECT `+props+` FROM `+from+` WHERE current = 1 AND collection = ? ORDER BY dt DESC LIMIT ?`, id, summarySample)
	if err != nil {
		return c, err
	}
	c.Count = count
	if count == 0 {
		return c, nil
	}
	if box[0].Valid {
		c.BBox = []float64{box[0].Float64, box[1].Float64, box[2].Float64, box[3].Float64}
		if c.BBox[2] > 180 { // an item crosses the antimeridian
			c.BBox[0], c.BBox[2] = -180, 180
		}
	}
	if start.Valid {
		s, e := fromMicros(start.Int64), fromMicros(end.Int64)
		c.Start, c.End = &s, &e
	}
	c.Summaries = summarize(sample)
	return c, nil
}

// summarize computes the summaries of items' properties (JSON objects): the distinct values
// of summarySets (arrays flattened; left out beyond maxDistinct values), the ranges of
// summaryRanges.
func summarize(props []string) map[string]any {
	sets := map[string]map[string]any{}
	ranges := map[string][2]float64{}
	for _, raw := range props {
		var p map[string]any
		if json.Unmarshal([]byte(raw), &p) != nil {
			continue
		}
		for _, name := range summarySets {
			v, ok := p[name]
			if !ok || v == nil {
				continue
			}
			vals := []any{v}
			if arr, isArr := v.([]any); isArr {
				vals = arr
			}
			for _, e := range vals {
				if _, isMap := e.(map[string]any); isMap || e == nil {
					continue
				}
				if sets[name] == nil {
					sets[name] = map[string]any{}
				}
				if len(sets[name]) <= maxDistinct {
					sets[name][fmt.Sprintf("%T:%v", e, e)] = e
				}
			}
		}
		for _, name := range summaryRanges {
			f, ok := p[name].(float64)
			if !ok {
				continue
			}
			r, seen := ranges[name]
			if !seen {
				r = [2]float64{f, f}
			}
			ranges[name] = [2]float64{min(r[0], f), max(r[1], f)}
		}
	}
	out := map[string]any{}
	for name, set := range sets {
		if len(set) > maxDistinct {
			continue
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = set[k]
		}
		out[name] = vals
	}
	for name, r := range ranges {
		out[name] = map[string]any{"minimum": r[0], "maximum": r[1]}
	}
	return out
}
