package stacapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/eopack/eopack/cql2"
)

// filterCases are filters of each CQL2 class with the test items they select, in the default
// order (datetime descending).
var filterCases = map[string][]struct {
	text string
	want []string
}{
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2": {
		{"eo:cloud_cover < 10", []string{"s2-a", "l8-a"}},
		{"properties.eo:cloud_cover < 10 AND properties.platform <> 'x'", []string{"s2-a", "l8-a"}},
		{"platform = 'landsat-8' AND NOT eo:cloud_cover >= 20", []string{"l8-b", "l8-a"}},
		{"eo:cloud_cover <= 5 OR id = 's2-c'", []string{"s2-c", "s2-a", "l8-a"}},
		{"nothing IS NULL AND platform <> 'landsat-8'", []string{"s2-c", "s2-b", "s2-a"}},
		{"datetime >= TIMESTAMP('2024-05-02T09:00:00Z')", []string{"s2-c", "s2-b", "l8-c"}},
		{"collection = 'landsat-8' AND datetime < DATE('2023-02-01')", []string{"l8-a"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators": {
		{"id LIKE 's2-%'", []string{"s2-c", "s2-b", "s2-a"}},
		{"eo:cloud_cover BETWEEN 10 AND 30", []string{"l8-c", "l8-b"}},
		{"platform IN ('sentinel-2b', 'landsat-8')", []string{"s2-b", "l8-c", "l8-b", "l8-a"}},
		{"id NOT IN ('s2-a', 's2-b', 's2-c', 'l8-a')", []string{"l8-c", "l8-b"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison": {
		{"CASEI(platform) = CASEI('SENTINEL-2A')", []string{"s2-c", "s2-a"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison": {
		{"ACCENTI(constellation) = ACCENTI('tést')", []string{"s2-c", "s2-b", "l8-c", "s2-a", "l8-b", "l8-a"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions": {
		{"S_INTERSECTS(geometry, BBOX(10.2, 45.2, 10.8, 45.8))", []string{"s2-a", "l8-a"}},
		{"S_INTERSECTS(geometry, POINT(30.5 -9.5))", []string{"s2-c"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus": {
		{"S_INTERSECTS(geometry, POLYGON((-76 39, -74 39, -74 41, -76 41, -76 39)))", []string{"l8-b"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions": {
		{"S_WITHIN(geometry, BBOX(9, 44, 12.5, 47))", []string{"s2-b", "s2-a", "l8-a"}},
		{"S_DISJOINT(geometry, BBOX(-180, -90, 0, 90))", []string{"s2-c", "s2-b", "l8-c", "s2-a", "l8-a"}},
		{"S_CONTAINS(geometry, POINT(-74.5 40.5))", []string{"l8-b"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions": {
		{"T_BEFORE(datetime, TIMESTAMP('2024-01-01T00:00:00Z'))", []string{"l8-b", "l8-a"}},
		{"T_DURING(datetime, INTERVAL('2024-05-01T12:00:00Z', '2024-05-31T00:00:00Z'))", []string{"s2-b", "l8-c"}},
		{"T_AFTER(datetime, DATE('2024-05-02'))", []string{"s2-c", "s2-b", "l8-c"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/array-functions": {
		{"A_CONTAINS(instruments, ('oli'))", []string{"l8-c", "l8-b", "l8-a"}},
		{"A_OVERLAPS(instruments, ('msi', 'x'))", []string{"s2-c", "s2-b", "s2-a"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property": {
		{"eo:cloud_cover > gsd", []string{"s2-c", "s2-b"}},
	},
	"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic": {
		{"eo:cloud_cover * 2 > 70", []string{"s2-c", "s2-b"}},
	},
}

// TestFilter: each CQL2 class declared selects the right items through GET (cql2-text, and
// cql2-json with filter-lang), POST (cql2-json, and cql2-text with filter-lang) and the items
// of a collection; the classes the issue requires are declared.
func TestFilter(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			declared := toStrings(get(t, base+"/conformance")["conformsTo"])
			for _, c := range []string{
				"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2", "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
				"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json", "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
				"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions", "https://api.stacspec.org/v1.0.0-rc.3/item-search#filter",
				"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
			} {
				if !slices.Contains(declared, c) {
					t.Errorf("%s not declared", c)
				}
			}
			for class, cases := range filterCases {
				if !slices.Contains(declared, class) {
					continue
				}
				for _, c := range cases {
					e, err := cql2.ParseText(c.text)
					if err != nil {
						t.Fatalf("%s: %v", c.text, err)
					}
					js, err := cql2.MarshalJSON(e)
					if err != nil {
						t.Fatal(err)
					}
					got := ids(t, get(t, base+"/search?filter="+url.QueryEscape(c.text)))
					if !slices.Equal(got, c.want) {
						t.Errorf("%s: GET %s = %v, want %v", class, c.text, got, c.want)
					}
					got = ids(t, get(t, base+"/search?filter-lang=cql2-json&filter="+url.QueryEscape(string(js))))
					if !slices.Equal(got, c.want) {
						t.Errorf("%s: GET cql2-json %s = %v, want %v", class, js, got, c.want)
					}
					fc, _ := doJSON(t, http.MethodPost, base+"/search", map[string]any{"filter": json.RawMessage(js)}, http.StatusOK, typeGeoJSON)
					if got := ids(t, fc); !slices.Equal(got, c.want) {
						t.Errorf("%s: POST %s = %v, want %v", class, js, got, c.want)
					}
					fc, _ = doJSON(t, http.MethodPost, base+"/search", map[string]any{"filter": c.text, "filter-lang": "cql2-text"}, http.StatusOK, typeGeoJSON)
					if got := ids(t, fc); !slices.Equal(got, c.want) {
						t.Errorf("%s: POST cql2-text %s = %v, want %v", class, c.text, got, c.want)
					}
					var s2 []string
					for _, id := range c.want {
						if id[:2] == "s2" {
							s2 = append(s2, id)
						}
					}
					got = ids(t, get(t, base+"/collections/sentinel-2/items?filter="+url.QueryEscape(c.text)))
					if !slices.Equal(got, append([]string{}, s2...)) {
						t.Errorf("%s: items of sentinel-2 %s = %v, want %v", class, c.text, got, s2)
					}
				}
			}
		})
	}
}
