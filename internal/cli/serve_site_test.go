package cli

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSiteRoutes: /v2 goes to the registry untouched, /stac/… to the API without its prefix,
// the rest to the page.
func TestSiteRoutes(t *testing.T) {
	var got string
	mark := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = name + " " + r.URL.Path })
	}
	h := site(mark("v2"), mark("api"), mark("page"))
	for path, want := range map[string]string{
		"/v2":                           "v2 /v2",
		"/v2/":                          "v2 /v2/",
		"/v2/eo//x/manifests/a":         "v2 /v2/eo//x/manifests/a",
		"/stac/":                        "api /",
		"/stac/search":                  "api /search",
		"/stac/collections/a%2Fb/items": "api /collections/a/b/items",
		"/":                             "page /",
		"/app.js":                       "page /app.js",
		"/stacked":                      "page /stacked",
	} {
		got = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got != want {
			t.Errorf("%s → %q, want %q", path, got, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stac", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/stac/" {
		t.Errorf("/stac: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}
