package stacindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
)

// rtreeMax is how many R*Tree hits a bbox may have for search to start from them (fetch
// those rows, then sort); above it, search walks the datetime index in order and checks the
// bbox there, which finds a page of a large result without sorting it.
const rtreeMax = 4000

// The R*Tree keeps time in years since 1970 (float32, rounded outwards), a unit of the same
// magnitude as the degrees beside it: in µs the time axis would dominate its node splits,
// and nodes would group items by time alone.
const rtreeYear = "31557600000000.0" // µs in a Julian year

func rtreeTime(us int64) float64 { return float64(us) / 31557600000000.0 }

// postBatch is how many candidate rows a search reads at a time when cql2.Eval or the exact
// geometry test decides after SQL.
const postBatch = 256

// plan is a search as SQL: WHERE terms, sort keys, and what is decided after SQL.
type plan struct {
	where      []string
	args       []any
	keys       []sortKey
	sortPlus   bool // ORDER BY must not use an index (rows come from the R*Tree)
	filter     cql2.Expr
	intersects geom.Geometry
}

// post reports whether rows are checked in Go after SQL.
func (p *plan) post() bool { return p.filter != nil || !p.intersects.IsEmpty() }

func (p *plan) and(sql string, args ...any) {
	p.where = append(p.where, "("+sql+")")
	p.args = append(p.args, args...)
}

// Search implements Index.
func (x *DB) Search(ctx context.Context, qu Query) (Page, error) {
	limit := qu.Limit
	if limit <= 0 {
		limit = 10
	}
	p, err := x.plan(ctx, qu)
	if err != nil {
		return Page{}, err
	}
	var after []any
	if qu.Token != "" {
		if after, err = decodeToken(qu, qu.Token, len(p.keys)); err != nil {
			return Page{}, err
		}
	}
	var hits []candidate
	for len(hits) <= limit {
		batch := limit + 1 - len(hits)
		if p.post() {
			batch = max(batch, postBatch)
		}
		cands, err := x.candidates(ctx, p, after, batch)
		if err != nil {
			return Page{}, err
		}
		for _, c := range cands {
			after = c.keys
			ok, err := p.match(c)
			if err != nil {
				return Page{}, err
			}
			if ok {
				if hits = append(hits, c); len(hits) > limit {
					break
				}
			}
		}
		if len(cands) < batch {
			break
		}
	}
	page := Page{NumberMatched: -1}
	if len(hits) > limit {
		hits = hits[:limit]
		page.Next = encodeToken(qu, hits[limit-1].keys)
	}
	if !p.post() {
		if err := x.readJSON(ctx, hits); err != nil {
			return Page{}, err
		}
		hits = slices.DeleteFunc(hits, func(c candidate) bool { return c.item == "" }) // deleted meanwhile
	}
	if page.Hits, err = x.hits(ctx, hits); err != nil {
		return Page{}, err
	}
	if qu.Count {
		if page.NumberMatched, err = x.count(ctx, p); err != nil {
			return Page{}, err
		}
	}
	return page, nil
}

// plan turns a query into SQL.
func (x *DB) plan(ctx context.Context, qu Query) (*plan, error) {
	p := &plan{}
	keys, err := x.sortKeys(ctx, qu.SortBy)
	if err != nil {
		return nil, err
	}
	p.keys = keys
	p.and("i.current = 1")
	if len(qu.Collections) > 0 {
		p.and("i.collection IN ("+placeholders(len(qu.Collections))+")", anys(qu.Collections)...)
	}
	if len(qu.IDs) > 0 {
		p.and("i.item_id IN ("+placeholders(len(qu.IDs))+")", anys(qu.IDs)...)
	}
	var start, end *int64
	if qu.Start != nil || qu.End != nil {
		if qu.Start != nil && qu.End != nil && qu.End.Before(*qu.Start) {
			return nil, fmt.Errorf("%w: datetime interval ends before it starts", ErrBadQuery)
		}
		var span int64
		if err := x.r().queryRow(ctx, `SELECT value FROM stac_stats WHERE name = 'max_span'`).Scan(&span); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if qu.Start != nil {
			s := qu.Start.UnixMicro()
			start = &s
			p.and("i.end_dt >= ? AND i.dt >= ?", s, s-span)
		}
		if qu.End != nil {
			e := qu.End.UnixMicro()
			end = &e
			p.and("i.start_dt <= ? AND i.dt <= ?", e, e+span)
		}
	}
	var boxes [][4]float64
	if qu.BBox != nil {
		if !qu.Intersects.IsEmpty() {
			return nil, fmt.Errorf("%w: bbox and intersects cannot both be given", ErrBadQuery)
		}
		b, err := normBBox(qu.BBox)
		if err != nil {
			return nil, err
		}
		boxes = splitBox(b)
	}
	if !qu.Intersects.IsEmpty() {
		lo, hi, ok := qu.Intersects.Envelope().MinMaxXYs()
		if !ok {
			p.and("1 = 0")
		} else {
			boxes = splitBox([4]float64{lo.X, lo.Y, hi.X, hi.Y})
			p.intersects = qu.Intersects
		}
	}
	if len(boxes) > 0 {
		if x.f == SQLite {
			if err := x.rtree(ctx, p, boxes, start, end); err != nil {
				return nil, err
			}
		}
		sql, args := boxTerm(boxes)
		p.and(sql, args...)
	}
	if qu.Filter != nil {
		t := pushdown(qu.Filter, x.f)
		if t.how != none {
			p.and(t.sql, t.args...)
		}
		if t.how != exact {
			p.filter = qu.Filter
		}
	}
	return p, nil
}

// rtree adds the R*Tree's candidates to a SQLite plan when the boxes (and time) hold few
// enough items.
func (x *DB) rtree(ctx context.Context, p *plan, boxes [][4]float64, start, end *int64) error {
	var parts []string
	var args []any
	for _, b := range boxes {
		s := "(minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"
		args = append(args, b[2], b[0], b[3], b[1])
		if start != nil {
			s += " AND maxt >= ?"
			args = append(args, rtreeTime(*start))
		}
		if end != nil {
			s += " AND mint <= ?"
			args = append(args, rtreeTime(*end))
		}
		parts = append(parts, s+")")
	}
	cond := strings.Join(parts, " OR ")
	ids, err := scanAll(ctx, x.r(), func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `SELECT id FROM stac_rtree WHERE `+cond+` LIMIT ?`, append(args, rtreeMax)...)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	switch {
	case len(ids) == 0:
		p.and("1 = 0")
	case len(ids) < rtreeMax:
		// The R*Tree is read once; its row ids go into the query as literals.
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = strconv.FormatInt(id, 10)
		}
		p.and("i.id IN (" + strings.Join(list, ",") + ")")
		p.sortPlus = true
	}
	return nil
}

// normBBox checks a STAC bbox (4 or 6 numbers) and returns west, south, east, north.
func normBBox(b []float64) ([4]float64, error) {
	var r [4]float64
	switch len(b) {
	case 4:
		r = [4]float64{b[0], b[1], b[2], b[3]}
	case 6:
		r = [4]float64{b[0], b[1], b[3], b[4]}
	default:
		return r, fmt.Errorf("%w: bbox has %d numbers, want 4 or 6", ErrBadQuery, len(b))
	}
	if r[1] > r[3] {
		return r, fmt.Errorf("%w: bbox south %g is north of its north %g", ErrBadQuery, r[1], r[3])
	}
	return r, nil
}

// splitBox splits a bbox crossing the antimeridian (west > east) in two, and adds each
// part shifted 360° east, where the index keeps the eastern part of items crossing it.
func splitBox(b [4]float64) [][4]float64 {
	parts := [][4]float64{b}
	if b[0] > b[2] {
		parts = [][4]float64{{b[0], b[1], 180, b[3]}, {-180, b[1], b[2], b[3]}}
	}
	for _, p := range parts {
		parts = append(parts, [4]float64{p[0] + 360, p[1], p[2] + 360, p[3]})
	}
	return parts
}

// boxTerm is "the item's bbox overlaps one of the boxes" on the item columns.
func boxTerm(boxes [][4]float64) (string, []any) {
	var parts []string
	var args []any
	for _, b := range boxes {
		parts = append(parts, "(i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ?)")
		args = append(args, b[2], b[0], b[3], b[1])
	}
	return strings.Join(parts, " OR "), args
}

// candidate is one row a search read.
type candidate struct {
	rowid                        int64
	repo, digest, collection, id string
	created                      int64
	item, assets                 string // read with the row only when Go decides after SQL (plan.post)
	keys                         []any
}

// candidates reads up to n rows after the keyset position `after` (nil: from the start).
func (x *DB) candidates(ctx context.Context, p *plan, after []any, n int) ([]candidate, error) {
	where, args := append([]string{}, p.where...), append([]any{}, p.args...)
	if after != nil {
		s, a := afterTerm(p.keys, after, x.f)
		where = append(where, s)
		args = append(args, a...)
	}
	// The JSON columns overflow the row's page: read for the hits only, unless Go needs them.
	cols := "i.id, i.repo, i.digest, i.collection, i.item_id, i.created, '', ''"
	if p.post() {
		cols = "i.id, i.repo, i.digest, i.collection, i.item_id, i.created, i.item, i.assets"
	}
	var order []string
	for _, k := range p.keys {
		cols += ", " + k.sel
		order = append(order, k.orderBy(x.f, p.sortPlus))
	}
	query := "SELECT " + cols + " FROM stac_items i WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + strings.Join(order, ", ") + " LIMIT ?"
	rows, err := x.r().query(ctx, query, append(args, n)...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		c.keys = make([]any, len(p.keys))
		dest := []any{&c.rowid, &c.repo, &c.digest, &c.collection, &c.id, &c.created, &c.item, &c.assets}
		for i := range c.keys {
			dest = append(dest, &c.keys[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for i, k := range c.keys {
			c.keys[i] = normKey(k)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// readJSON reads the item and asset columns of candidates.
func (x *DB) readJSON(ctx context.Context, cs []candidate) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	at := make(map[int64]int, len(cs))
	for i, c := range cs {
		ids[i] = strconv.FormatInt(c.rowid, 10)
		at[c.rowid] = i
	}
	rows, err := x.r().query(ctx, `SELECT id, item, assets FROM stac_items WHERE id IN (`+strings.Join(ids, ",")+`)`)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var item, assets string
		if err := rows.Scan(&id, &item, &assets); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		cs[at[id]].item, cs[at[id]].assets = item, assets
	}
	return rows.Err()
}

// match decides what SQL could not: the exact geometry test and the CQL2 filter.
func (p *plan) match(c candidate) (bool, error) {
	if !p.post() {
		return true, nil
	}
	f := newFeature(c.item, c.collection)
	if !p.intersects.IsEmpty() {
		g, ok := f.geometry()
		if !ok || !geom.Intersects(g, p.intersects) {
			return false, nil
		}
	}
	if p.filter != nil {
		ok, err := cql2.Eval(p.filter, f)
		if err != nil {
			return false, fmt.Errorf("%w: filter: %v", ErrBadQuery, err)
		}
		return ok, nil
	}
	return true, nil
}

// count is the number of items a plan matches.
func (x *DB) count(ctx context.Context, p *plan) (int64, error) {
	where := "SELECT %s FROM stac_items i WHERE " + strings.Join(p.where, " AND ")
	if !p.post() {
		var n int64
		if err := x.r().queryRow(ctx, fmt.Sprintf(where, "count(*)"), p.args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("counting: %w", err)
		}
		return n, nil
	}
	rows, err := x.r().query(ctx, fmt.Sprintf(where, "i.collection, i.item"), p.args...)
	if err != nil {
		return 0, fmt.Errorf("counting: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.collection, &c.item); err != nil {
			return 0, fmt.Errorf("counting: %w", err)
		}
		ok, err := p.match(c)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, rows.Err()
}

// Item implements Index.
func (x *DB) Item(ctx context.Context, collection, id string) (Hit, error) {
	var c candidate
	err := x.r().queryRow(ctx, `SELECT repo, digest, collection, item_id, created, item, assets FROM stac_items
		WHERE collection = ? AND item_id = ? AND current = 1`, collection, id).Scan(
		&c.repo, &c.digest, &c.collection, &c.id, &c.created, &c.item, &c.assets)
	if errors.Is(err, sql.ErrNoRows) {
		return Hit{}, fmt.Errorf("item %s in collection %s: %w", id, collection, ErrNotFound)
	}
	if err != nil {
		return Hit{}, fmt.Errorf("item %s/%s: %w", collection, id, err)
	}
	hits, err := x.hits(ctx, []candidate{c})
	if err != nil {
		return Hit{}, err
	}
	return hits[0], nil
}

// hits completes candidates with their live tags and their older versions.
func (x *DB) hits(ctx context.Context, cs []candidate) ([]Hit, error) {
	out := make([]Hit, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	var cond []string
	var args []any
	for _, c := range cs {
		cond = append(cond, "(collection = ? AND item_id = ?)")
		args = append(args, c.collection, c.id)
	}
	type ver struct {
		Version
		collection, id string
	}
	vers, err := scanAll(ctx, x.r(), func(r *sql.Rows) (ver, error) {
		var v ver
		var created int64
		err := r.Scan(&v.collection, &v.id, &v.Repo, &v.Digest, &created)
		v.Created = time.Unix(0, created)
		return v, err
	}, `SELECT collection, item_id, repo, digest, created FROM stac_items WHERE current = 0 AND (`+
		strings.Join(cond, " OR ")+`) ORDER BY created DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	manifests := map[[2]string]bool{}
	for _, c := range cs {
		manifests[[2]string{c.repo, c.digest}] = true
	}
	for _, v := range vers {
		manifests[[2]string{v.Repo, v.Digest.String()}] = true
	}
	tags, err := x.tags(ctx, manifests)
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		assets, err := decodeAssets(c.assets)
		if err != nil {
			return nil, err
		}
		h := Hit{Entry: Entry{Repo: c.repo, Digest: digest.Digest(c.digest), Created: time.Unix(0, c.created),
			Item: []byte(c.item), Assets: assets}, Collection: c.collection}
		h.Tags = tags[[2]string{c.repo, c.digest}]
		h.Entry.Tags = h.Tags
		for _, v := range vers {
			if v.collection == c.collection && v.id == c.id {
				v.Tags = tags[[2]string{v.Repo, v.Digest.String()}]
				h.Versions = append(h.Versions, v.Version)
			}
		}
		out[i] = h
	}
	return out, nil
}

// tags reads the tags of manifests (repo, digest), each list sorted.
func (x *DB) tags(ctx context.Context, manifests map[[2]string]bool) (map[[2]string][]string, error) {
	var cond []string
	var args []any
	for m := range manifests {
		cond = append(cond, "(repo = ? AND digest = ?)")
		args = append(args, m[0], m[1])
	}
	type tag struct{ repo, digest, name string }
	list, err := scanAll(ctx, x.r(), func(r *sql.Rows) (tag, error) {
		var t tag
		return t, r.Scan(&t.repo, &t.digest, &t.name)
	}, `SELECT repo, digest, name FROM stac_tags WHERE `+strings.Join(cond, " OR ")+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	out := map[[2]string][]string{}
	for _, t := range list {
		k := [2]string{t.repo, t.digest}
		out[k] = append(out[k], t.name)
	}
	return out, nil
}

// r is the database for reads.
func (x *DB) r() q { return q{Querier: x.db, f: x.f} }

// scanAll runs a query and reads each row with scan.
func scanAll[T any](ctx context.Context, c q, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
