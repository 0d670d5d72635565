package stacindex

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/eopack/eopack/cql2"
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

// computeCollection reads a collection's document, extent and summaries in two queries.
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
	cols := []string{"count(*)", "min(i.minx)", "min(i.miny)", "max(i.maxx)", "max(i.maxy)", "min(i.start_dt)", "max(i.end_dt)"}
	for _, p := range summarySets {
		if x.f == Postgres {
			cols = append(cols, "jsonb_agg(DISTINCT i.props->'"+p+"')::text")
		} else {
			cols = append(cols, `json_group_array(DISTINCT i.props->'$."`+p+`"')`)
		}
	}
	for _, p := range summaryRanges {
		num, _ := operand(cql2.Property{Name: p}, kNumber, x.f)
		cols = append(cols, "min("+num.sql+")", "max("+num.sql+")")
	}
	var args []any
	for _, p := range summaryRanges {
		num, _ := operand(cql2.Property{Name: p}, kNumber, x.f)
		args = append(args, num.args...)
		args = append(args, num.args...)
	}
	var count int64
	var box [4]sql.NullFloat64
	var start, end sql.NullInt64
	sets := make([]sql.NullString, len(summarySets))
	ranges := make([]sql.NullFloat64, 2*len(summaryRanges))
	dest := []any{&count, &box[0], &box[1], &box[2], &box[3], &start, &end}
	for i := range sets {
		dest = append(dest, &sets[i])
	}
	for i := range ranges {
		dest = append(dest, &ranges[i])
	}
	err = x.r().queryRow(ctx, "SELECT "+strings.Join(cols, ", ")+
		" FROM stac_items i WHERE i.current = 1 AND i.collection = ?", append(args, id)...).Scan(dest...)
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
	c.Summaries = map[string]any{}
	for i, p := range summarySets {
		if vals := distinct(sets[i].String, x.f); len(vals) > 0 && len(vals) <= maxDistinct {
			c.Summaries[p] = vals
		}
	}
	for i, p := range summaryRanges {
		if lo, hi := ranges[2*i], ranges[2*i+1]; lo.Valid && hi.Valid {
			c.Summaries[p] = map[string]any{"minimum": lo.Float64, "maximum": hi.Float64}
		}
	}
	return c, nil
}

// distinct reads an aggregated array of property values (SQLite: JSON texts; PostgreSQL:
// JSON values), flattening arrays and dropping nulls, sorted.
func distinct(agg string, f Flavor) []any {
	var elems []json.RawMessage
	json.Unmarshal([]byte(agg), &elems)
	var raw []json.RawMessage
	for _, e := range elems {
		var s string
		if f == SQLite && json.Unmarshal(e, &s) == nil && json.Valid([]byte(s)) {
			e = json.RawMessage(s) // SQLite aggregates the JSON texts of the values
		}
		raw = append(raw, e)
	}
	seen := map[string]bool{}
	var out []any
	var add func(json.RawMessage)
	add = func(r json.RawMessage) {
		var v any
		if json.Unmarshal(r, &v) != nil || v == nil {
			return
		}
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				b, _ := json.Marshal(e)
				add(b)
			}
			return
		}
		if _, isMap := v.(map[string]any); isMap {
			return
		}
		k := string(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	for _, r := range raw {
		add(r)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}
