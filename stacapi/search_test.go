package stacapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestSearchGet: each item-search parameter of GET selects the items it names.
func TestSearchGet(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				query string
				want  []string
			}{
				{"", []string{"s2-c", "s2-b", "l8-c", "s2-a", "l8-b", "l8-a"}},
				{"collections=landsat-8", []string{"l8-c", "l8-b", "l8-a"}},
				{"collections=landsat-8,sentinel-2&ids=s2-a,l8-b", []string{"s2-a", "l8-b"}},
				{"bbox=10.2,45.2,10.8,45.8", []string{"s2-a", "l8-a"}},
				{"bbox=10.2,45.2,-1000,10.8,45.8,1000", []string{"s2-a", "l8-a"}},
				{"bbox=170,-5,-170,5", []string{"l8-c"}}, // across the antimeridian
				{"datetime=2024-05-01T10:00:00Z", []string{"s2-a"}},
				{"datetime=2024-05-01T00:00:00Z/2024-05-02T23:00:00Z", []string{"l8-c", "s2-a"}},
				{"datetime=../2023-12-31T00:00:00Z", []string{"l8-b", "l8-a"}},
				{"datetime=/2023-12-31T00:00:00Z", []string{"l8-b", "l8-a"}},
				{"datetime=2024-05-03T00:00:00Z/..", []string{"s2-c", "s2-b"}},
				{"intersects=" + url.QueryEscape(`{"type":"Point","coordinates":[10.7,45.7]}`), []string{"s2-a", "l8-a"}},
				{"intersects=" + url.QueryEscape(`{"type":"LineString","coordinates":[[-80,40.5],[-70,40.5]]}`), []string{"l8-b"}},
				{"sortby=id", []string{"l8-a", "l8-b", "l8-c", "s2-a", "s2-b", "s2-c"}},
				{"sortby=-collection,+id", []string{"s2-a", "s2-b", "s2-c", "l8-a", "l8-b", "l8-c"}},
				{"sortby=%2Bdatetime", []string{"l8-a", "l8-b", "s2-a", "l8-c", "s2-b", "s2-c"}},
				{"sortby=-properties.eo:cloud_cover&limit=3", []string{"s2-c", "s2-b", "l8-c"}},
				{"sortby=eo:cloud_cover&limit=2", []string{"l8-a", "s2-a"}},
			} {
				fc := get(t, base+"/search?"+c.query)
				if got := ids(t, fc); !slices.Equal(got, c.want) {
					t.Errorf("search?%s = %v, want %v", c.query, got, c.want)
				}
				if fc["numberReturned"] != float64(len(c.want)) {
					t.Errorf("search?%s: numberReturned %v", c.query, fc["numberReturned"])
				}
			}
		})
	}
}

// TestSearchPost: the same parameters as a JSON body.
func TestSearchPost(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				body string
				want []string
			}{
				{`{}`, []string{"s2-c", "s2-b", "l8-c", "s2-a", "l8-b", "l8-a"}},
				{`{"collections":["landsat-8"],"ids":["l8-a","s2-a"]}`, []string{"l8-a"}},
				{`{"bbox":[10.2,45.2,10.8,45.8]}`, []string{"s2-a", "l8-a"}},
				{`{"intersects":{"type":"Polygon","coordinates":[[[29,-11],[32,-11],[32,-8],[29,-8],[29,-11]]]}}`, []string{"s2-c"}},
				{`{"datetime":"2024-05-01T00:00:00Z/2024-05-02T23:00:00Z"}`, []string{"l8-c", "s2-a"}},
				{`{"sortby":[{"field":"collection","direction":"desc"},{"field":"id","direction":"asc"}],"limit":4}`, []string{"s2-a", "s2-b", "s2-c", "l8-a"}},
				{`{"limit":"2"}`, []string{"s2-c", "s2-b"}},
			} {
				fc, _ := doJSON(t, http.MethodPost, base+"/search", []byte(c.body), http.StatusOK, typeGeoJSON)
				if got := ids(t, fc); !slices.Equal(got, c.want) {
					t.Errorf("POST %s = %v, want %v", c.body, got, c.want)
				}
			}
		})
	}
}

// TestSearchBadRequests: invalid parameters are 400 with a one-line description.
func TestSearchBadRequests(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			for _, q := range []string{
				"bbox=1,2,3", "bbox=1,2,3,4,5", "bbox=a,b,c,d", "bbox=0,50,1,40", "bbox=-200,0,0,1", "bbox=0,-91,1,0",
				"bbox=0,0,1,1&intersects=" + url.QueryEscape(`{"type":"Point","coordinates":[0,0]}`),
				"intersects=" + url.QueryEscape(`{"type":"Feature","geometry":null}`), "intersects=nope",
				"datetime=yesterday", "datetime=2024-05-02T00:00:00Z/2024-05-01T00:00:00Z", "datetime=../..", "datetime=",
				"datetime=2024-05-01", "limit=ten", "limit=1.5", "limit=1e-3", "limit=NaN", "sortby=nosuchfield", "sortby=-",
				"filter-lang=cql3&filter=" + url.QueryEscape("id = 'a'"),
				"filter-crs=EPSG:4326&filter=" + url.QueryEscape("id = 'a'"),
				"filter=" + url.QueryEscape("id = = 'a'"),
				"filter-lang=cql2-json&filter=" + url.QueryEscape("{nope"),
				"token=notatoken",
			} {
				doc, _ := doJSON(t, http.MethodGet, base+"/search?"+q, nil, http.StatusBadRequest, typeJSON)
				if doc["code"] != "BadRequest" || doc["description"] == "" || strings.Contains(doc["description"].(string), "\n") {
					t.Errorf("search?%s: %v", q, doc)
				}
			}
			for _, body := range []string{
				`{"bbox":[1,2,3]}`, `{"bbox":[0,0,1,1],"intersects":{"type":"Point","coordinates":[0,0]}}`,
				`{"datetime":"2024-13-01T00:00:00Z"}`, `{"limit":1.5}`, `{"sortby":[{"field":"id","direction":"up"}]}`,
				`{"sortby":[{"field":"cloudiness"}]}`, `{"filter":{"op":"nope"`, `{"filter":"id = 'a'","filter-lang":"cql2-json"}`,
				`{"filter":{"op":"=","args":[{"property":"id"},"a"]},"filter-crs":"EPSG:4326"}`,
				`[1,2]`, `{"collections":"landsat-8"}`,
			} {
				doc, _ := doJSON(t, http.MethodPost, base+"/search", []byte(body), http.StatusBadRequest, typeJSON)
				if doc["code"] != "BadRequest" {
					t.Errorf("POST %s: %v", body, doc)
				}
			}
		})
	}
}

// TestLimit: the default page is 10 items; larger limits are clamped to 10000, smaller to 1.
func TestLimit(t *testing.T) {
	ix, base := startAPI(t)
	for q, want := range map[string]int{"": 10, "limit=5": 5, "limit=100000": 10000, "limit=0": 1, "limit=-3": 1, "limit=1e9": 10000} {
		get(t, base+"/search?"+q)
		if ix.last.Limit != want {
			t.Errorf("search?%s: limit %d, want %d", q, ix.last.Limit, want)
		}
	}
	doJSON(t, http.MethodPost, base+"/search", []byte(`{"limit":50000}`), http.StatusOK, typeGeoJSON)
	if ix.last.Limit != 10000 {
		t.Errorf("POST limit 50000: %d", ix.last.Limit)
	}
}

// TestPagingGet: with limit=1, next links lead through every match once; each keeps the
// query, and numberMatched counts all matches.
func TestPagingGet(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			fc := get(t, base+"/search?limit=1&collections=sentinel-2")
			if fc["numberMatched"] != 3.0 || fc["numberReturned"] != 1.0 {
				t.Errorf("first page: matched %v returned %v", fc["numberMatched"], fc["numberReturned"])
			}
			next := linkOf(t, fc, "next")["href"].(string)
			u, _ := url.Parse(next)
			if u.Query().Get("collections") != "sentinel-2" || u.Query().Get("limit") != "1" || u.Query().Get("token") == "" {
				t.Errorf("next link %s lost the query", next)
			}
			if got := walkGet(t, base+"/search?limit=1"); !slices.Equal(got, []string{"s2-c", "s2-b", "l8-c", "s2-a", "l8-b", "l8-a"}) {
				t.Errorf("paged through %v", got)
			}
			fc = get(t, base+"/search?count=false")
			if _, ok := fc["numberMatched"]; ok {
				t.Error("count=false still counted")
			}
		})
	}
}

// TestPagingPost: next links of a POST carry the token in a body to merge into the
// request's; following them with limit=1 returns every match once.
func TestPagingPost(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			body := map[string]any{"limit": 1, "collections": []string{"landsat-8", "sentinel-2"}, "sortby": []map[string]string{{"field": "id"}}}
			var all []string
			for range 20 {
				fc, _ := doJSON(t, http.MethodPost, base+"/search", body, http.StatusOK, typeGeoJSON)
				all = append(all, ids(t, fc)...)
				next := linkOf(t, fc, "next")
				if next == nil {
					break
				}
				if next["method"] != "POST" || next["merge"] != true || next["href"] != base+"/search" {
					t.Fatalf("next link %v", next)
				}
				for k, v := range next["body"].(map[string]any) {
					body[k] = v
				}
			}
			if !slices.Equal(all, []string{"l8-a", "l8-b", "l8-c", "s2-a", "s2-b", "s2-c"}) {
				t.Errorf("paged through %v", all)
			}
		})
	}
}

// TestFields: include adds to the default fields, exclude removes, nested paths work.
func TestFields(t *testing.T) {
	for name, base := range indexes(t) {
		t.Run(name, func(t *testing.T) {
			keys := func(m map[string]any) []string {
				var out []string
				for k := range m {
					out = append(out, k)
				}
				slices.Sort(out)
				return out
			}
			first := func(fc map[string]any) map[string]any { return fc["features"].([]any)[0].(map[string]any) }
			defaults := []string{"assets", "bbox", "collection", "geometry", "id", "links", "properties", "stac_extensions", "stac_version", "type"}

			full := first(get(t, base+"/search?ids=s2-a"))
			if p := full["properties"].(map[string]any); p["platform"] == nil || p["eo:cloud_cover"] == nil {
				t.Fatalf("without fields the item is whole: %v", p)
			}
			it := first(get(t, base+"/search?ids=s2-a&fields="))
			if !slices.Equal(keys(it), defaults) || !slices.Equal(keys(it["properties"].(map[string]any)), []string{"datetime"}) {
				t.Errorf("fields= : %v / %v", keys(it), it["properties"])
			}
			it = first(get(t, base+"/search?ids=s2-a&fields=properties.eo:cloud_cover,-geometry,-links"))
			if slices.Contains(keys(it), "geometry") || slices.Contains(keys(it), "links") ||
				!slices.Equal(keys(it["properties"].(map[string]any)), []string{"datetime", "eo:cloud_cover"}) {
				t.Errorf("include and exclude: %v / %v", keys(it), it["properties"])
			}
			it = first(get(t, base+"/search?ids=s2-a&fields=properties,-properties.platform"))
			p := it["properties"].(map[string]any)
			if p["platform"] != nil || p["eo:cloud_cover"] == nil || p["proj:epsg"] == nil {
				t.Errorf("properties without platform: %v", p)
			}
			fc, _ := doJSON(t, http.MethodPost, base+"/search", []byte(`{"ids":["s2-a"],"fields":{"include":["properties.platform"],"exclude":["assets"]}}`), http.StatusOK, typeGeoJSON)
			it = first(fc)
			if slices.Contains(keys(it), "assets") || it["properties"].(map[string]any)["platform"] != "sentinel-2a" {
				t.Errorf("POST fields: %v", it)
			}
			again := first(get(t, base+"/search?ids=s2-a"))
			if _, ok := again["properties"].(map[string]any)["platform"]; !ok {
				t.Error("excluding a field changed the item for later requests")
			}
			it = first(get(t, base+"/collections/sentinel-2/items?ids=s2-a&fields=id,-assets&sortby=id"))
			if slices.Contains(keys(it), "assets") {
				t.Errorf("fields on /items: %v", keys(it))
			}
		})
	}
}
