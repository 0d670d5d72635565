package stacapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestLanding: the landing page is a Catalog with the links STAC API core requires, each
// an absolute URL under the mount prefix, and the conformance classes.
func TestLanding(t *testing.T) {
	_, base := startAPI(t)
	doc := get(t, base+"/")
	if doc["type"] != "Catalog" || doc["stac_version"] == nil || doc["id"] == nil || doc["description"] == nil {
		t.Fatalf("landing page: %v", doc)
	}
	want := map[string]string{
		"self": base + "/", "root": base + "/", "conformance": base + "/conformance",
		"data": base + "/collections", "service-desc": base + "/api",
		"http://www.opengis.net/def/rel/ogc/1.0/queryables": base + "/queryables",
	}
	for rel, href := range want {
		l := linkOf(t, doc, rel)
		if l == nil || l["href"] != href {
			t.Errorf("link %s = %v, want %s", rel, l, href)
		}
	}
	if l := linkOf(t, doc, "service-desc"); l["type"] != typeOpenAPI {
		t.Errorf("service-desc type %v", l["type"])
	}
	var methods []string
	for _, l := range linksOf(doc, "search") {
		if l["href"] != base+"/search" || l["type"] != typeGeoJSON {
			t.Errorf("search link %v", l)
		}
		methods = append(methods, l["method"].(string))
	}
	slices.Sort(methods)
	if !slices.Equal(methods, []string{"GET", "POST"}) {
		t.Errorf("search links for methods %v", methods)
	}
	if children := linksOf(doc, "child"); len(children) != 2 {
		t.Errorf("%d child links, want one per collection (2)", len(children))
	}
	conf := get(t, base+"/conformance")
	if !slices.Equal(toStrings(conf["conformsTo"]), toStrings(doc["conformsTo"])) {
		t.Errorf("/conformance %v differs from the landing page's %v", conf["conformsTo"], doc["conformsTo"])
	}
	for _, c := range []string{
		"https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/collections",
		"https://api.stacspec.org/v1.0.0/ogcapi-features", "https://api.stacspec.org/v1.0.0/item-search",
		"https://api.stacspec.org/v1.0.0/item-search#sort", "https://api.stacspec.org/v1.0.0/item-search#fields",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	} {
		if !slices.Contains(toStrings(conf["conformsTo"]), c) {
			t.Errorf("conformance class %s not declared", c)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestForwardedBase: links follow X-Forwarded-Proto, -Host and -Prefix of a reverse proxy.
func TestForwardedBase(t *testing.T) {
	_, base := startAPI(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/collections", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "eo.example.org")
	req.Header.Set("X-Forwarded-Prefix", "/registry")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	if l := linkOf(t, doc, "self"); l["href"] != "https://eo.example.org/registry/stac/collections" {
		t.Errorf("self behind a proxy: %v", l["href"])
	}
}

// TestOpenAPI: service-desc is a valid OpenAPI 3.0 document naming every endpoint, with the
// API's root as its server.
func TestOpenAPI(t *testing.T) {
	_, base := startAPI(t)
	doc := get(t, base+"/api")
	b, _ := json.Marshal(doc)
	spec, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document invalid: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.0") || spec.Servers[0].URL != base {
		t.Errorf("openapi %s, server %s", spec.OpenAPI, spec.Servers[0].URL)
	}
	for _, p := range []string{"/", "/conformance", "/collections", "/collections/{collectionId}",
		"/collections/{collectionId}/items", "/collections/{collectionId}/items/{itemId}", "/search", "/queryables"} {
		if spec.Paths.Find(p) == nil {
			t.Errorf("OpenAPI has no path %s", p)
		}
	}
	if spec.Paths.Find("/search").Post == nil {
		t.Error("OpenAPI has no POST /search")
	}
}

// TestErrors: unknown paths are 404, wrong methods 405 with Allow, both as {code, description}.
func TestErrors(t *testing.T) {
	_, base := startAPI(t)
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nothing", 404, "NotFound"},
		{"GET", "/collections/none", 404, "NotFound"},
		{"GET", "/collections/none/items", 404, "NotFound"},
		{"GET", "/collections/sentinel-2/items/none", 404, "NotFound"},
		{"GET", "/collections/none/queryables", 404, "NotFound"},
		{"PUT", "/search", 405, "MethodNotAllowed"},
		{"DELETE", "/collections/sentinel-2", 405, "MethodNotAllowed"},
		{"POST", "/collections/sentinel-2/items", 405, "MethodNotAllowed"},
	} {
		doc, resp := doJSON(t, c.method, base+c.path, nil, c.status, typeJSON)
		if doc["code"] != c.code || doc["description"] == "" {
			t.Errorf("%s %s: %v", c.method, c.path, doc)
		}
		if c.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
}

// TestCORS: any origin may read the API; preflights for GET and POST are answered.
func TestCORS(t *testing.T) {
	_, base := startAPI(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/search", nil)
	req.Header.Set("Origin", "https://browser.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("GET: Access-Control-Allow-Origin %q", got)
	}
	req, _ = http.NewRequest(http.MethodOptions, base+"/search", nil)
	req.Header.Set("Origin", "https://browser.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestQueryables: global and per-collection queryables are JSON Schemas of the index's
// properties.
func TestQueryables(t *testing.T) {
	_, base := startAPI(t)
	for _, path := range []string{"/queryables", "/collections/landsat-8/queryables"} {
		doc := get(t, base+path)
		props, _ := doc["properties"].(map[string]any)
		if doc["$schema"] == nil || doc["$id"] != base+path || doc["type"] != "object" || props["eo:cloud_cover"] == nil {
			t.Errorf("%s: %v", path, doc)
		}
	}
}
