package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestHandlerServesPageAssetsAndConfig(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{STACPath: "/api/stac", TileURL: "http://tiles.example/{z}/{x}/{y}.png", Title: "EO archive"}))
	defer srv.Close()

	cases := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html", `<div id="map"`},
		{"/app.css", "text/css", "#map"},
		{"/js/app.js", "javascript", "import { STAC }"},
		{"/vendor/leaflet/leaflet.js", "javascript", "Leaflet 1.9.4"},
		{"/vendor/leaflet/leaflet.css", "text/css", ".leaflet-container"},
		{"/vendor/leaflet/LICENSE", "text/plain", "BSD 2-Clause License"},
		{"/vendor/leaflet/images/marker-icon.png", "image/png", ""},
	}
	for _, c := range cases {
		resp, body := get(t, srv.URL+c.path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), c.contentType) || !strings.Contains(body, c.contains) {
			t.Errorf("GET %s: %d %s, body has %q: %v", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.contains, strings.Contains(body, c.contains))
		}
	}

	resp, body := get(t, srv.URL+"/config.json")
	var cfg Config
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || resp.StatusCode != 200 {
		t.Fatalf("config.json: %d %v %s", resp.StatusCode, err, body)
	}
	want := Config{STACPath: "/api/stac/", TileURL: "http://tiles.example/{z}/{x}/{y}.png", Title: "EO archive"}
	if cfg != want {
		t.Errorf("config.json = %+v, want %+v", cfg, want)
	}

	if resp, _ := get(t, srv.URL+"/no/such/file.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("x"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %v %v, want 405", resp.StatusCode, err)
	}
}

func TestHandlerDefaults(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	_, body := get(t, srv.URL+"/config.json")
	if body != `{"stacPath":"/stac/","title":"eopack"}` {
		t.Errorf("config.json = %s", body)
	}
}
