package stacindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// commonQueryables are offered everywhere, whether or not items have them yet.
var commonQueryables = map[string]map[string]any{
	"id":             {"title": "Item ID", "type": "string"},
	"collection":     {"title": "Collection", "type": "string"},
	"datetime":       {"title": "Acquired", "type": "string", "format": "date-time"},
	"start_datetime": {"title": "Start", "type": "string", "format": "date-time"},
	"end_datetime":   {"title": "End", "type": "string", "format": "date-time"},
	"geometry":       {"title": "Footprint", "$ref": "https://geojson.org/schema/Geometry.json"},
	"platform":       {"title": "Platform", "type": "string"},
	"constellation":  {"title": "Constellation", "type": "string"},
	"instruments":    {"title": "Instruments", "type": "array", "items": map[string]any{"type": "string"}},
	"gsd":            {"title": "Ground sample distance (m)", "type": "number", "exclusiveMinimum": 0},
	"eo:cloud_cover": {"title": "Cloud cover (%)", "type": "number", "minimum": 0, "maximum": 100},
	"proj:code":      {"title": "CRS code", "type": "string"},
	"proj:epsg":      {"title": "EPSG code", "type": "integer"},
}

// Queryables implements Index: the common queryables plus every property the items of the
// collection (of all collections: "") have, typed by the JSON type seen first.
func (x *DB) Queryables(ctx context.Context, collection string) (map[string]any, error) {
	query, args := `SELECT name, type FROM stac_props`, []any{}
	if collection != "" {
		var one int
		err := x.r().queryRow(ctx, `SELECT 1 FROM stac_items WHERE collection = ? AND current = 1
			UNION ALL SELECT 1 FROM stac_collections WHERE collection = ? AND current = 1 LIMIT 1`,
			collection, collection).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("collection %s: %w", collection, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("queryables: %w", err)
		}
		query, args = query+` WHERE collection = ?`, []any{collection}
	}
	props, err := scanAll(ctx, x.r(), func(r *sql.Rows) ([2]string, error) {
		var p [2]string
		return p, r.Scan(&p[0], &p[1])
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("queryables: %w", err)
	}
	out := map[string]any{}
	for k, v := range commonQueryables {
		out[k] = v
	}
	for _, p := range props {
		if _, ok := out[p[0]]; ok || p[1] == "null" {
			continue
		}
		out[p[0]] = map[string]any{"type": p[1]}
	}
	return out, nil
}
