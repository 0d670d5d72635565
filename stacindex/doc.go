// Package stacindex is the search index of EO products behind the STAC API: one row per
// product manifest (its STAC Item, footprint, time and asset descriptors), the STAC
// Collection documents pushed as their own artifacts, and the search over them (collections,
// ids, bbox, intersects, datetime, CQL2 filter, sort, keyset paging, exact counts).
//
// The same tables and the same SQL serve two places: the registry's metadata database
// (package metadata/sqlstore, SQLite or PostgreSQL), where the rows are written in the
// manifest's own transaction, and a standalone index file (File, one SQLite file) that
// `eopack stac index` fills by crawling any registry.
//
// Specs: STAC API v1.0.0 item search (https://github.com/radiantearth/stac-api-spec),
// CQL2 (https://docs.ogc.org/is/21-065r2/21-065r2.html).
package stacindex
