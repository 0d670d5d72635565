// Package stacapi serves a STAC API v1.0.0 (https://github.com/radiantearth/stac-api-spec/tree/v1.0.0)
// over a stacindex.Index: the landing page, conformance, an OpenAPI 3.0 description, collections,
// items of a collection (OGC API - Features part 1, with part 3's filter), item search by GET and
// POST with the sort, fields and filter extensions (CQL2 text and JSON), and queryables.
//
// Items are served as they were pushed, with every asset href turned into the absolute URL of the
// registry blob that holds it, the manifest linked by digest and by tag, and the reference that
// `eopack pull` takes. Everything the API answers carries CORS headers, so browser clients (STAC
// Browser, map pages) can use it from any origin.
package stacapi
