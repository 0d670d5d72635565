package stacapi

import (
	"net/http"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
)

// Conformance classes met by every server.
var baseClasses = []string{
	"https://api.stacspec.org/v1.0.0/core",
	"https://api.stacspec.org/v1.0.0/collections",
	"https://api.stacspec.org/v1.0.0/ogcapi-features",
	"https://api.stacspec.org/v1.0.0/ogcapi-features#fields",
	"https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
	"https://api.stacspec.org/v1.0.0/item-search",
	"https://api.stacspec.org/v1.0.0/item-search#fields",
	"https://api.stacspec.org/v1.0.0/item-search#sort",
	"https://api.stacspec.org/v1.0.0-rc.3/item-search#filter",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
}

// cql2Classes are the CQL2 conformance classes with, for each, filters (cql2-text) using every
// operator the class requires, each true of the sample feature. A class is declared only if
// each of its filters parses and evaluates to true: what the evaluator does not support (or
// gets wrong) is not claimed.
var cql2Classes = []struct {
	class   string
	filters []string
}{
	{"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2", []string{
		"id = 'a' AND NOT (n < 1) OR (n <= 2 AND n > 0 AND n >= 0 AND n <> 3)",
		"missing IS NULL", "flag = true", "datetime > TIMESTAMP('2020-01-01T00:00:00Z')",
		"datetime >= DATE('2020-01-01')",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators", []string{
		"id LIKE 'a%'", "n BETWEEN 1 AND 3", "id IN ('a', 'b')", "id NOT LIKE 'b_'",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison", []string{
		"CASEI(id) = CASEI('A')",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison", []string{
		"ACCENTI(id) = ACCENTI('á')",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions", []string{
		"S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))", "S_INTERSECTS(geometry, POINT(0.5 0.5))",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus", []string{
		"S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))",
		"S_INTERSECTS(geometry, MULTIPOINT((0 0), (1 1)))",
		"S_INTERSECTS(geometry, LINESTRING(0 0, 1 1))",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))",
		"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(0 0)))",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions", []string{
		"S_CONTAINS(geometry, POINT(0.5 0.5))", "S_CROSSES(geometry, LINESTRING(-1 0.5, 2 0.5))",
		"S_DISJOINT(geometry, POINT(5 5))", "S_EQUALS(geometry, BBOX(0, 0, 1, 1))",
		"S_OVERLAPS(geometry, BBOX(0.5, 0.5, 2, 2))", "S_TOUCHES(geometry, POINT(1 1))",
		"S_WITHIN(geometry, BBOX(-1, -1, 2, 2))",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions", []string{
		"T_AFTER(datetime, TIMESTAMP('2000-01-01T00:00:00Z'))",
		"T_BEFORE(datetime, TIMESTAMP('2100-01-01T00:00:00Z'))",
		"T_CONTAINS(INTERVAL('2000-01-01', '2100-01-01'), datetime)",
		"T_DISJOINT(datetime, DATE('2000-01-01'))",
		"T_DURING(datetime, INTERVAL('2000-01-01', '..'))",
		"T_EQUALS(datetime, TIMESTAMP('2021-06-01T00:00:00Z'))",
		"T_FINISHEDBY(INTERVAL('2000-01-01', '2021-06-01T00:00:00Z'), datetime)",
		"T_FINISHES(INTERVAL('2001-01-01', '2002-01-01'), INTERVAL('2000-01-01', '2002-01-01'))",
		"T_INTERSECTS(datetime, INTERVAL('2000-01-01', '2100-01-01'))",
		"T_MEETS(INTERVAL('2000-01-01', '2001-01-01'), INTERVAL('2001-01-01', '2002-01-01'))",
		"T_METBY(INTERVAL('2001-01-01', '2002-01-01'), INTERVAL('2000-01-01', '2001-01-01'))",
		"T_OVERLAPPEDBY(INTERVAL('2001-01-01', '2003-01-01'), INTERVAL('2000-01-01', '2002-01-01'))",
		"T_OVERLAPS(INTERVAL('2000-01-01', '2002-01-01'), INTERVAL('2001-01-01', '2003-01-01'))",
		"T_STARTEDBY(INTERVAL('2021-06-01T00:00:00Z', '2100-01-01'), datetime)",
		"T_STARTS(INTERVAL('2000-01-01', '2001-01-01'), INTERVAL('2000-01-01', '2002-01-01'))",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/array-functions", []string{
		"A_EQUALS(tags, ('x', 'y'))", "A_CONTAINS(tags, ('x'))",
		"A_CONTAINEDBY(tags, ('x', 'y', 'z'))", "A_OVERLAPS(tags, ('y', 'z'))",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/property-property", []string{
		"n = m", "id <> other",
	}},
	{"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic", []string{
		"n + 1 > 2", "n * 2 - 1 = 3", "n / 2 = 1",
	}},
}

// sampleFeature is what conformance probes evaluate their filters on.
type sampleFeature map[string]any

func (f sampleFeature) Property(name string) (any, bool) {
	v, ok := f[name]
	return v, ok
}

func newSample() sampleFeature {
	g, _ := geom.UnmarshalWKT("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))")
	return sampleFeature{
		"id": "a", "other": "b", "n": 2.0, "m": 2.0, "flag": true,
		"datetime": "2021-06-01T00:00:00Z", "tags": []any{"x", "y"}, "geometry": g,
	}
}

// supported reports whether every filter parses and is true of the sample feature.
func supported(filters []string) bool {
	f := newSample()
	for _, s := range filters {
		e, err := cql2.ParseText(s)
		if err != nil {
			return false
		}
		if ok, err := cql2.Eval(e, f); err != nil || !ok {
			return false
		}
	}
	return true
}

// conformance lists the classes this server meets.
func conformance() []string {
	classes := append([]string(nil), baseClasses...)
	for _, c := range cql2Classes {
		if supported(c.filters) {
			classes = append(classes, c.class)
		}
	}
	return classes
}

func (s *server) conformance(w http.ResponseWriter, r *http.Request, _ urls, _ []string) error {
	return writeJSON(w, r, typeJSON, map[string]any{"conformsTo": s.classes})
}
