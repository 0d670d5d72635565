package stacindex

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
)

// Index is what the STAC API reads; the registry's metadata store (SQLite, PostgreSQL) and
// *File implement it.
type Index interface {
	Search(ctx context.Context, q Query) (Page, error)
	Collections(ctx context.Context) ([]Collection, error)
	// Collection finds one collection; unknown wraps ErrNotFound.
	Collection(ctx context.Context, id string) (Collection, error)
	// Item finds the current item id of a collection; unknown wraps ErrNotFound.
	Item(ctx context.Context, collection, id string) (Hit, error)
	// Queryables are JSON Schema properties (name → schema); collection "" is the global set.
	Queryables(ctx context.Context, collection string) (map[string]any, error)
}

// Sentinel errors, wrapped with context.
var (
	ErrNotFound = errors.New("not found")
	// ErrBadQuery is wrapped with a one-line reason ("cannot sort by foo"): the API answers 400.
	ErrBadQuery = errors.New("bad query")
)

// Query is one item search.
type Query struct {
	Collections []string
	IDs         []string
	// BBox is 4 or 6 numbers as STAC writes them; nil = none. w > e crosses the antimeridian.
	BBox []float64
	// Intersects is a geometry the items must intersect; the zero value = none.
	Intersects geom.Geometry
	// Start and End bound the datetime interval, inclusive; nil = open (an instant: Start == End).
	Start, End *time.Time
	Filter     cql2.Expr // nil = none
	// SortBy: nil = datetime descending, then collection, then id.
	SortBy []Sort
	Limit  int    // the handler clamps it to 1..10000; ≤ 0 here means 10
	Token  string // opaque, from the previous Page.Next; "" = first page
	Count  bool   // fill Page.NumberMatched exactly
}

// Sort is one sort key: "id", "collection", "datetime", or a queryable ("eo:cloud_cover",
// also written "properties.eo:cloud_cover").
type Sort struct {
	Field string
	Desc  bool
}

// Page is one page of search results.
type Page struct {
	Hits          []Hit
	Next          string // "" = last page
	NumberMatched int64  // -1 = not counted
}

// Hit is one item as search finds it.
type Hit struct {
	Entry                // Item (as stored), Assets, Repo, Digest, Created
	Collection string    // the collection the item is served in
	Tags       []string  // live tags of the manifest
	Versions   []Version // older pushes of the same collection+id, newest first
}

// Version is an older push of an item.
type Version struct {
	Repo    string
	Digest  digest.Digest
	Tags    []string
	Created time.Time
}

// Collection is one STAC collection as the index knows it.
type Collection struct {
	ID string
	// Doc is a pushed STAC Collection document (its own artifact), nil if none; its fields win.
	Doc        json.RawMessage
	BBox       []float64 // computed from the items
	Start, End *time.Time
	Count      int64
	// Summaries are computed from common properties (platform, instruments, constellation,
	// gsd, eo:cloud_cover range, …).
	Summaries map[string]any
}

// Entry is one EO product manifest as the index keeps it.
type Entry struct {
	Repo    string
	Digest  digest.Digest // the manifest's digest
	Tags    []string      // tags pointing at it when indexed (the registry's live tags win in serve)
	Created time.Time     // when the manifest was pushed (the newest push of one collection+id wins)
	Item    json.RawMessage
	Assets  map[string]Blob // STAC asset key → the layer holding it
}

// Blob is a layer's descriptor.
type Blob struct {
	Digest    digest.Digest
	Size      int64
	MediaType string
}

// CollectionDoc is a STAC Collection document pushed as its own artifact (artifactType
// ArtifactTypeCollection).
type CollectionDoc struct {
	Repo    string
	Digest  digest.Digest
	Created time.Time
	ID      string
	Doc     json.RawMessage
}
