// Package cql2 parses, prints and evaluates filters in the OGC Common Query Language
// (CQL2, OGC 21-065r2), the filter language of the STAC API "filter" extension.
//
// Both encodings are read, cql2-text (ParseText) and cql2-json (ParseJSON), and both are
// written (Text, MarshalJSON); either one read back gives the same Expr. The AST is small
// and public so that a store can push parts of a filter down to SQL by walking it: an Expr
// is an Op (a value, not a pointer), a Property, a Timestamp, a Date, an Interval, a
// Geometry, a BBox, or a literal (string, float64, bool, []Expr).
//
// # Supported
//
// All conformance classes of CQL2 1.0: basic-cql2 (AND, OR, NOT, = <> < <= > >=, IS [NOT]
// NULL), advanced-comparison-operators ([NOT] LIKE with % and _ and \ escapes, [NOT] BETWEEN,
// [NOT] IN), case-insensitive-comparison (CASEI), accent-insensitive-comparison (ACCENTI),
// basic-spatial-functions and spatial-functions (S_INTERSECTS, S_EQUALS, S_DISJOINT,
// S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS over WKT or GeoJSON points, lines,
// polygons, their MULTI forms, collections, with or without Z, and BBOX), temporal-functions
// (the fifteen T_* operators), array-functions (A_EQUALS, A_CONTAINS, A_CONTAINEDBY,
// A_OVERLAPS), property-property comparisons, and arithmetic (+ - * / % div ^). Keywords
// are case-insensitive; property names may contain ':' and '.' (eo:cloud_cover) or be
// double-quoted. Any other function call, name(args…), is parsed, printed and marshalled,
// but Eval answers an error wrapping ErrUnsupported.
//
// Geometries are not validated (a self-intersecting polygon is a legal filter), and
// coordinates with a third number need no Z tag. Arrays are written (a, b) as the spec
// does; a one-element array is (a) where an array is expected (IN, A_*) and [a] elsewhere,
// since (a) there reads as a parenthesised a. GeoJSON has no M coordinate, so a WKT
// geometry with M loses it in cql2-json.
//
// # Evaluation
//
// Eval uses SQL's three-valued logic: a comparison with NULL (a missing or null property)
// is unknown, NOT unknown is unknown, AND and OR combine unknowns as SQL does, and Eval
// reports true only for true. A property value of the wrong type (a string where the filter
// compares a number) is unknown too, so one odd item never fails a search; two literals of
// different types are an error. See Eval for how STAC's datetime, start_datetime and
// end_datetime are compared. Spatial predicates are simplefeatures' DE-9IM predicates, in
// pure Go and in two dimensions (Z is ignored), each but S_DISJOINT preceded by an
// intersection test (Relate alone can see containment between far-apart geometries); a BBOX
// whose west is east of its east crosses the antimeridian.
package cql2
