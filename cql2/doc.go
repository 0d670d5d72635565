// Package cql2 parses, prints and evaluates filters in the OGC Common Query Language
// (CQL2, OGC 21-065r2), the filter language of the STAC API "filter" extension.
//
// Both encodings are read: cql2-text (ParseText) and cql2-json (ParseJSON); both are
// written (Text, MarshalJSON), and either one read back gives the same Expr. The AST is
// small and public so that a store can push parts of a filter down to SQL by walking it:
// an Expr is an Op (a value, not a pointer), a Property, a Timestamp, a Date, an Interval, a Geometry, a BBox, or a
// literal (string, float64, bool, []Expr).
//
// Supported: the conformance classes basic-cql2, advanced-comparison-operators (LIKE with
// % and _ and \ escapes, BETWEEN, IN), case-insensitive-comparison (CASEI),
// accent-insensitive-comparison (ACCENTI), basic-spatial-functions and spatial-functions
// (S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES,
// S_CONTAINS over WKT/GeoJSON points, lines, polygons, their MULTI forms, collections and
// BBOX; evaluated in pure Go with github.com/peterstace/simplefeatures), temporal-functions
// (all T_* operators of Allen's interval algebra), array-functions (A_EQUALS, A_CONTAINS,
// A_CONTAINEDBY, A_OVERLAPS), property-property comparisons, and arithmetic (+ - * /).
// Any other function call (name(args…)) is parsed, printed and marshalled, but Eval
// answers an error wrapping ErrUnsupported.
//
// Evaluation uses SQL's three-valued logic: a comparison involving NULL (a missing
// property) is unknown, NOT unknown is unknown, and Eval reports true only for true. A
// property value of the wrong type (a string where the filter compares a number) is unknown
// too, so one odd item never fails a search; two literals of different types are an error.
// See Eval for how STAC's datetime, start_datetime and end_datetime are compared.
package cql2
