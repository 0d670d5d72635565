package stacindex

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/opencontainers/go-digest"
)

// Put writes the rows of entry e on tx (the caller's transaction), replacing an entry of
// the same manifest. The newest push (by Created; zero means now) of one collection + item
// id becomes the current item; the others are its versions. An item without a collection
// is served in the collection named after its repository.
func Put(ctx context.Context, tx Querier, f Flavor, e Entry) error {
	var b batch
	if err := b.put(ctx, q{Querier: tx, f: f}, e); err != nil {
		return err
	}
	return b.flush(ctx, q{Querier: tx, f: f})
}

// batch is what several puts in one transaction write once at its end: the collections to
// bump, the longest interval, the property names seen.
type batch struct {
	colls map[string]bool
	span  int64
	props map[[2]string]string // (collection, name) → JSON type
	known map[[2]string]bool   // property names already in stac_props (nil: none known)
	bulk  bool                 // a bulk load: the R*Tree is filled at its end
}

func (b *batch) put(ctx context.Context, c q, e Entry) error {
	r, err := parseItem(e.Item)
	if err != nil {
		return fmt.Errorf("%s@%s: %w", e.Repo, e.Digest, err)
	}
	if r.collection == "" {
		r.collection = e.Repo
	}
	assets, err := json.Marshal(assetsJSON(e.Assets))
	if err != nil {
		return err
	}
	created := e.Created
	if created.IsZero() {
		created = time.Now()
	}
	if err := deleteEntry(ctx, c, e.Repo, e.Digest); err != nil {
		return err
	}
	var curID, curCreated int64
	err = c.queryRow(ctx, `SELECT id, created FROM stac_items
		WHERE collection = ? AND item_id = ? AND current = 1`, r.collection, r.id).Scan(&curID, &curCreated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	current := curID == 0 || curCreated <= created.UnixNano()
	if current && curID != 0 {
		if err := setCurrent(ctx, c, curID, false); err != nil {
			return err
		}
	}
	var box [4]any
	if r.hasBox {
		box = [4]any{r.box[0], r.box[1], r.box[2], r.box[3]}
	}
	var datetime any
	if r.datetime != nil {
		datetime = *r.datetime
	}
	var id int64
	if err := c.queryRow(ctx, `INSERT INTO stac_items (repo, digest, collection, item_id, current, created,
		dt, datetime, start_dt, end_dt, minx, miny, maxx, maxy, props, item, assets)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Repo, e.Digest.String(), r.collection, r.id, boolInt(current), created.UnixNano(),
		r.dt, datetime, r.start, r.end, box[0], box[1], box[2], box[3], string(r.props),
		string(e.Item), string(assets)).Scan(&id); err != nil {
		return fmt.Errorf("indexing %s@%s: %w", e.Repo, e.Digest, err)
	}
	if current && c.f == SQLite && r.hasBox {
		if _, err := c.exec(ctx, `INSERT INTO stac_rtree (id, minx, maxx, miny, maxy, mint, maxt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, r.box[0], r.box[2], r.box[1], r.box[3], rtreeTime(r.start), rtreeTime(r.end)); err != nil {
			return err
		}
	}
	if err := b.noteProps(r.collection, r.props); err != nil {
		return err
	}
	b.span = max(b.span, r.end-r.start)
	b.touch(r.collection)
	return nil
}

func (b *batch) touch(collection string) {
	if b.colls == nil {
		b.colls = map[string]bool{}
	}
	b.colls[collection] = true
}

// noteProps notes the property names of an item (and their JSON types) for queryables and
// sorting.
func (b *batch) noteProps(collection string, props []byte) error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(props, &p); err != nil {
		return err
	}
	if b.props == nil {
		b.props = map[[2]string]string{}
	}
	for k, v := range p {
		key := [2]string{collection, k}
		if _, ok := b.props[key]; !ok && !b.known[key] {
			b.props[key] = jsonType(v)
		}
	}
	return nil
}

// flush writes what the batch's puts noted.
func (b *batch) flush(ctx context.Context, c q) error {
	keys := make([][2]string, 0, len(b.props))
	for k := range b.props {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	for _, k := range keys {
		if _, err := c.exec(ctx, `INSERT INTO stac_props (collection, name, type) VALUES (?, ?, ?)
			ON CONFLICT (collection, name) DO NOTHING`, k[0], k[1], b.props[k]); err != nil {
			return err
		}
	}
	if b.span > 0 {
		if _, err := c.exec(ctx, `UPDATE stac_stats SET value = ? WHERE name = 'max_span' AND value < ?`,
			b.span, b.span); err != nil {
			return err
		}
	}
	colls := make([]string, 0, len(b.colls))
	for k := range b.colls {
		colls = append(colls, k)
	}
	sort.Strings(colls)
	for _, coll := range colls {
		if err := bump(ctx, c, coll); err != nil {
			return err
		}
	}
	return nil
}

// assetsJSON is how stac_items.assets stores an entry's asset descriptors.
type assetJSON struct {
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
	MediaType string        `json:"mediaType,omitempty"`
}

func assetsJSON(a map[string]Blob) map[string]assetJSON {
	out := make(map[string]assetJSON, len(a))
	for k, b := range a {
		out[k] = assetJSON{b.Digest, b.Size, b.MediaType}
	}
	return out
}

func decodeAssets(s string) (map[string]Blob, error) {
	var a map[string]assetJSON
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("stored assets: %w", err)
	}
	out := make(map[string]Blob, len(a))
	for k, b := range a {
		out[k] = Blob{b.Digest, b.Size, b.MediaType}
	}
	return out, nil
}

// jsonType is the JSON Schema type of a JSON value.
func jsonType(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// bump marks a collection changed, so cached extents and summaries are computed again.
func bump(ctx context.Context, c q, collection string) error {
	_, err := c.exec(ctx, `INSERT INTO stac_gen (collection, gen) VALUES (?, 1)
		ON CONFLICT (collection) DO UPDATE SET gen = stac_gen.gen + 1`, collection)
	return err
}

// setCurrent marks item row id current or not, adding it to or removing it from the R*Tree.
func setCurrent(ctx context.Context, c q, id int64, current bool) error {
	if _, err := c.exec(ctx, `UPDATE stac_items SET current = ? WHERE id = ?`, boolInt(current), id); err != nil {
		return err
	}
	if c.f != SQLite {
		return nil
	}
	if !current {
		_, err := c.exec(ctx, `DELETE FROM stac_rtree WHERE id = ?`, id)
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO stac_rtree (id, minx, maxx, miny, maxy, mint, maxt)
		SELECT id, minx, maxx, miny, maxy, start_dt / `+rtreeYear+`, end_dt / `+rtreeYear+`
		FROM stac_items WHERE id = ? AND minx IS NOT NULL`, id)
	return err
}

// Delete removes the rows of manifest d of repo (an EO product or a STAC Collection
// document) on tx; the next newest push of the same item or collection becomes current.
// A manifest the index does not hold is not an error.
func Delete(ctx context.Context, tx Querier, f Flavor, repo string, d digest.Digest) error {
	c := q{Querier: tx, f: f}
	if err := deleteEntry(ctx, c, repo, d); err != nil {
		return err
	}
	return deleteCollectionDoc(ctx, c, repo, d)
}

// deleteEntry removes the item row of manifest d of repo, if any.
func deleteEntry(ctx context.Context, c q, repo string, d digest.Digest) error {
	var id int64
	var collection, itemID string
	var current int
	err := c.queryRow(ctx, `SELECT id, collection, item_id, current FROM stac_items WHERE repo = ? AND digest = ?`,
		repo, d.String()).Scan(&id, &collection, &itemID, &current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if current == 1 {
			if err := setCurrent(ctx, c, id, false); err != nil {
				return err
			}
		}
		if _, err := c.exec(ctx, `DELETE FROM stac_items WHERE id = ?`, id); err != nil {
			return err
		}
		if current == 1 {
			var next int64
			err := c.queryRow(ctx, `SELECT id FROM stac_items WHERE collection = ? AND item_id = ?
				ORDER BY created DESC, id DESC LIMIT 1`, collection, itemID).Scan(&next)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if next != 0 {
				if err := setCurrent(ctx, c, next, true); err != nil {
					return err
				}
			}
		}
		return bump(ctx, c, collection)
	}
	return nil
}

// PutCollection writes a pushed STAC Collection document on tx, replacing one of the same
// manifest; the newest push of a collection id is the one served.
func PutCollection(ctx context.Context, tx Querier, f Flavor, doc CollectionDoc) error {
	c := q{Querier: tx, f: f}
	if err := deleteCollectionDoc(ctx, c, doc.Repo, doc.Digest); err != nil {
		return err
	}
	created := doc.Created
	if created.IsZero() {
		created = time.Now()
	}
	if _, err := c.exec(ctx, `UPDATE stac_collections SET current = 0 WHERE collection = ? AND current = 1 AND created <= ?`,
		doc.ID, created.UnixNano()); err != nil {
		return err
	}
	var newer int
	err := c.queryRow(ctx, `SELECT 1 FROM stac_collections WHERE collection = ? AND current = 1`, doc.ID).Scan(&newer)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := c.exec(ctx, `INSERT INTO stac_collections (repo, digest, collection, current, created, doc)
		VALUES (?, ?, ?, ?, ?, ?)`, doc.Repo, doc.Digest.String(), doc.ID, boolInt(newer == 0),
		created.UnixNano(), string(doc.Doc)); err != nil {
		return fmt.Errorf("indexing collection %s@%s: %w", doc.Repo, doc.Digest, err)
	}
	return bump(ctx, c, doc.ID)
}

func deleteCollectionDoc(ctx context.Context, c q, repo string, d digest.Digest) error {
	var id int64
	var collection string
	var current int
	err := c.queryRow(ctx, `SELECT id, collection, current FROM stac_collections WHERE repo = ? AND digest = ?`,
		repo, d.String()).Scan(&id, &collection, &current)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM stac_collections WHERE id = ?`, id); err != nil {
		return err
	}
	if current == 1 {
		if _, err := c.exec(ctx, `UPDATE stac_collections SET current = 1 WHERE id =
			(SELECT id FROM stac_collections WHERE collection = ? ORDER BY created DESC, id DESC LIMIT 1)`,
			collection); err != nil {
			return err
		}
	}
	return bump(ctx, c, collection)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
