package registry

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func TestParseRoute(t *testing.T) {
	cases := map[string]route{
		"/v2/":                                 {kind: kindBase},
		"/v2/_catalog":                         {kind: kindCatalog},
		"/v2/eo/products/tags/list":            {kindTags, "eo/products", ""},
		"/v2/eo/products/manifests/v1":         {kindManifest, "eo/products", "v1"},
		"/v2/a/blobs/sha256:ab":                {kindBlob, "a", "sha256:ab"},
		"/v2/a/b/blobs/uploads/":               {kindUploads, "a/b", ""},
		"/v2/a/b/blobs/uploads":                {kindUploads, "a/b", ""},
		"/v2/a/blobs/uploads/123":              {kindUpload, "a", "123"},
		"/v2/a/referrers/sha256:ab":            {kindReferrers, "a", "sha256:ab"},
		"/v2/manifests/manifests/manifests/v1": {kindManifest, "manifests/manifests", "v1"},
		"/v2/tags/list":                        {},
		"/v3/a/tags/list":                      {},
	}
	for path, want := range cases {
		if got := parseRoute(path); got != want {
			t.Errorf("%s: %+v, want %+v", path, got, want)
		}
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/v2/", "/v2/a/b/manifests/v1", "/v2/a/blobs/uploads/x", "/v2/a/tags/list", "/v2//blobs/x", "/v2/a/referrers/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		rt := parseRoute(path)
		if rt.kind == kindNone || rt.kind == kindBase || rt.kind == kindCatalog {
			return
		}
		if !strings.HasPrefix(path, "/v2/"+rt.name+"/") {
			t.Fatalf("%q: name %q is not the path's prefix", path, rt.name)
		}
		if validName(rt.name) && (strings.Contains(rt.name, "..") || strings.HasPrefix(rt.name, "/") || strings.ToLower(rt.name) != rt.name) {
			t.Fatalf("%q: invalid name %q accepted", path, rt.name)
		}
	})
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"0-9", "bytes 0-9/10", "5-4", "-1-3", "x", "1-", "99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := parseContentRange(s)
		if err == nil && (start < 0 || end < start) {
			t.Fatalf("%q: accepted %d-%d", s, start, end)
		}
	})
}

// A Range header of any shape gets 200, 206 or 416, and a 206 body is the requested slice.
func FuzzBlobRange(f *testing.F) {
	for _, s := range []string{"bytes=0-3", "bytes=-2", "bytes=5-", "bytes=0-1,3-4", "bytes=9-1", "items=0-1", ""} {
		f.Add(s)
	}
	st, err := Open(f.Context(), f.TempDir(), io.Discard)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	h := New(st, Options{})
	data := []byte("0123456789")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/v2/r/blobs/uploads/?digest=sha256:84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882", bytes.NewReader(data)))
	if w.Code != 201 {
		f.Fatalf("push: %d %s", w.Code, w.Body)
	}
	f.Fuzz(func(t *testing.T, rng string) {
		req := httptest.NewRequest("GET", "/v2/r/blobs/sha256:84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882", nil)
		req.Header.Set("Range", rng)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			if !bytes.Equal(w.Body.Bytes(), data) {
				t.Fatalf("%q: 200 with %q", rng, w.Body)
			}
		case http.StatusPartialContent:
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "multipart/") && !bytes.Contains(data, w.Body.Bytes()) {
				t.Fatalf("%q: 206 with %q", rng, w.Body)
			}
		case http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Fatalf("%q: status %d", rng, w.Code)
		}
	})
}
