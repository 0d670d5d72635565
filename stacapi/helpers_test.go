package stacapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/stacindex"
)

// startAPI serves the API over a fresh memIndex under /stac/, as eopack serve mounts it.
func startAPI(t *testing.T) (*memIndex, string) {
	t.Helper()
	ix := newMemIndex()
	return ix, serveIndex(t, ix)
}

// serveIndex serves the API over ix under /stac/ and returns the API's root URL.
func serveIndex(t *testing.T, ix stacindex.Index) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", Handler(ix, Options{Title: "test"})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/stac"
}

// indexes serves the test items twice: from the in-memory index and from a real index
// file (stacindex.File, the SQL the registry's own index runs), for tests whose answers
// both must give.
func indexes(t *testing.T) map[string]string {
	t.Helper()
	f, err := stacindex.OpenFile(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	for _, h := range newMemIndex().hits {
		if err := f.Put(t.Context(), h.Entry); err != nil {
			t.Fatal(err)
		}
	}
	_, mem := startAPI(t)
	return map[string]string{"memory": mem, "file": serveIndex(t, f)}
}

// doJSON sends a request and decodes the JSON answer; it checks the status and content type.
func doJSON(t *testing.T, method, url string, body any, wantStatus int, wantType string) (map[string]any, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			b, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, wantStatus, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != wantType {
		t.Fatalf("%s %s: Content-Type %q, want %q", method, url, ct, wantType)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, b)
	}
	return m, resp
}

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	m, _ := doJSON(t, http.MethodGet, url, nil, http.StatusOK, typeGeoJSONOrJSON(url))
	return m
}

// typeGeoJSONOrJSON is the content type the API answers a GET of url with.
func typeGeoJSONOrJSON(url string) string {
	path, _, _ := strings.Cut(url, "?")
	switch {
	case strings.HasSuffix(path, "/search") || strings.HasSuffix(path, "/items") || strings.Contains(path, "/items/"):
		return typeGeoJSON
	case strings.HasSuffix(path, "/queryables"):
		return typeSchema
	case strings.HasSuffix(path, "/api"):
		return typeOpenAPI
	}
	return typeJSON
}

// ids lists the ids of an ItemCollection's features in order.
func ids(t *testing.T, fc map[string]any) []string {
	t.Helper()
	feats, ok := fc["features"].([]any)
	if !ok {
		t.Fatalf("no features in %v", fc)
	}
	out := []string{}
	for _, f := range feats {
		out = append(out, f.(map[string]any)["id"].(string))
	}
	return out
}

// linkOf finds the first link with rel (and method, if given).
func linkOf(t *testing.T, doc map[string]any, rel string) map[string]any {
	t.Helper()
	for _, l := range doc["links"].([]any) {
		if m := l.(map[string]any); m["rel"] == rel {
			return m
		}
	}
	return nil
}

// links lists every link of a document with rel.
func linksOf(doc map[string]any, rel string) []map[string]any {
	var out []map[string]any
	for _, l := range doc["links"].([]any) {
		if m := l.(map[string]any); m["rel"] == rel {
			out = append(out, m)
		}
	}
	return out
}
