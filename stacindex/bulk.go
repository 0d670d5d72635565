package stacindex

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// bulkRows is how many rows one multi-row INSERT of a bulk put writes.
const bulkRows = 100

// bulkRow is an entry of a bulk put, parsed.
type bulkRow struct {
	e       *Entry
	r       row
	assets  string
	created int64
}

// putNew writes the entries of a File's write transaction in a few multi-row statements
// when each is new: its manifest not indexed, no current item of its collection + id, and
// neither repeated in the batch (what a bulk load or a crawl of new products sends). It
// reports false, having written nothing, when one is not: the caller then puts them one by
// one, which replaces and versions.
func (b *batch) putNew(ctx context.Context, c q, entries []Entry) (bool, error) {
	rows := make([]bulkRow, len(entries))
	manifests := make(map[[2]string]bool, len(entries))
	items := make(map[[2]string]bool, len(entries))
	probe := make([][4]string, len(entries))
	for i := range entries {
		e := &entries[i]
		r, err := parseItem(e.Item)
		if err != nil {
			return false, nil // put one by one says which
		}
		if r.collection == "" {
			r.collection = e.Repo
		}
		m, it := [2]string{e.Repo, e.Digest.String()}, [2]string{r.collection, r.id}
		if manifests[m] || items[it] {
			return false, nil
		}
		manifests[m], items[it] = true, true
		assets, err := json.Marshal(assetsJSON(e.Assets))
		if err != nil {
			return false, err
		}
		created := e.Created
		if created.IsZero() {
			created = time.Now()
		}
		rows[i] = bulkRow{e: e, r: r, assets: string(assets), created: created.UnixNano()}
		probe[i] = [4]string{m[0], m[1], it[0], it[1]}
	}
	js, err := json.Marshal(probe)
	if err != nil {
		return false, err
	}
	var known int
	if err := c.queryRow(ctx, `SELECT count(*) FROM json_each(?) j
		WHERE EXISTS (SELECT 1 FROM stac_items WHERE repo = j.value->>0 AND digest = j.value->>1)
		OR EXISTS (SELECT 1 FROM stac_items WHERE collection = j.value->>2 AND item_id = j.value->>3 AND current = 1)`,
		string(js)).Scan(&known); err != nil {
		return false, err
	}
	if known > 0 {
		return false, nil
	}
	// Row ids are given here, so the R*Tree rows need no RETURNING: the next ones after the
	// largest, as SQLite would choose them (the write transaction holds the file's lock).
	var next int64
	if err := c.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM stac_items`).Scan(&next); err != nil {
		return false, err
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		next++
		ids[i] = next
	}
	err = chunked(ctx, c, len(rows), `INSERT INTO stac_items (id, repo, digest, collection, item_id, current, created,
		dt, datetime, start_dt, end_dt, minx, miny, maxx, maxy, props, item, assets) VALUES `, "", 18,
		func(i int, args []any) []any {
			w := &rows[i]
			var box [4]any
			if w.r.hasBox {
				box = [4]any{w.r.box[0], w.r.box[1], w.r.box[2], w.r.box[3]}
			}
			var datetime any
			if w.r.datetime != nil {
				datetime = *w.r.datetime
			}
			return append(args, ids[i], w.e.Repo, w.e.Digest.String(), w.r.collection, w.r.id, 1, w.created,
				w.r.dt, datetime, w.r.start, w.r.end, box[0], box[1], box[2], box[3], string(w.r.props),
				string(w.e.Item), w.assets)
		})
	if err != nil {
		return false, fmt.Errorf("indexing: %w", err)
	}
	var boxed []int // none in a bulk load: EndBulk fills the R*Tree
	for i := range rows {
		if rows[i].r.hasBox && !b.bulk {
			boxed = append(boxed, i)
		}
	}
	err = chunked(ctx, c, len(boxed), `INSERT INTO stac_rtree (id, minx, maxx, miny, maxy, mint, maxt) VALUES `, "", 7,
		func(k int, args []any) []any {
			i := boxed[k]
			r := &rows[i].r
			return append(args, ids[i], r.box[0], r.box[2], r.box[1], r.box[3], rtreeTime(r.start), rtreeTime(r.end))
		})
	if err != nil {
		return false, err
	}
	for i := range rows {
		if err := b.noteProps(rows[i].r.collection, rows[i].r.props); err != nil {
			return false, err
		}
		b.span = max(b.span, rows[i].r.end-rows[i].r.start)
		b.touch(rows[i].r.collection)
	}
	return true, nil
}

// chunked runs a multi-row INSERT (head, n rows of width values each, added to args by
// add, then tail) in statements of up to bulkRows rows; each statement shape is prepared
// once per transaction.
func chunked(ctx context.Context, c q, n int, head, tail string, width int, add func(i int, args []any) []any) error {
	tuple := "(" + placeholders(width) + ")"
	args := make([]any, 0, bulkRows*width)
	for lo := 0; lo < n; lo += bulkRows {
		hi := min(lo+bulkRows, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = add(i, args)
		}
		query := head + strings.TrimSuffix(strings.Repeat(tuple+", ", hi-lo), ", ") + tail
		if _, err := c.exec(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

// setTagsNew sets the tags of entries of distinct manifests, in order (a tag named twice
// in a repository ends on the later manifest), as setTags of each would.
func setTagsNew(ctx context.Context, c q, entries []Entry) error {
	manifests := make([][2]string, len(entries))
	type tag struct{ repo, digest, name string }
	var tags []tag
	for i, e := range entries {
		manifests[i] = [2]string{e.Repo, e.Digest.String()}
		for _, t := range e.Tags {
			tags = append(tags, tag{e.Repo, e.Digest.String(), t})
		}
	}
	js, err := json.Marshal(manifests)
	if err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM stac_tags WHERE (repo, digest) IN
		(SELECT j.value->>0, j.value->>1 FROM json_each(?) j)`, string(js)); err != nil {
		return err
	}
	return chunked(ctx, c, len(tags), `INSERT INTO stac_tags (repo, digest, name) VALUES `,
		` ON CONFLICT (repo, name) DO UPDATE SET digest = excluded.digest`, 3,
		func(i int, args []any) []any { return append(args, tags[i].repo, tags[i].digest, tags[i].name) })
}
