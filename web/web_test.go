package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

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
		status, h, body := testpeer.HTTP(t, http.MethodGet, srv.URL+c.path, nil)
		if status != 200 || !strings.Contains(h.Get("Content-Type"), c.contentType) || !strings.Contains(string(body), c.contains) {
			t.Errorf("GET %s: %d %s, body has %q: %v", c.path, status, h.Get("Content-Type"), c.contains, strings.Contains(string(body), c.contains))
		}
	}

	status, body := testpeer.Get(t, srv.URL+"/config.json")
	var cfg Config
	if err := json.Unmarshal(body, &cfg); err != nil || status != 200 {
		t.Fatalf("config.json: %d %v %s", status, err, body)
	}
	want := Config{STACPath: "/api/stac/", TileURL: "http://tiles.example/{z}/{x}/{y}.png", Title: "EO archive"}
	if cfg != want {
		t.Errorf("config.json = %+v, want %+v", cfg, want)
	}

	if status, _ := testpeer.Get(t, srv.URL+"/no/such/file.js"); status != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", status)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("x"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %v %v, want 405", resp.StatusCode, err)
	}
}

func TestHandlerDefaults(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	_, body := testpeer.Get(t, srv.URL+"/config.json")
	if string(body) != `{"stacPath":"/stac/","title":"eopack"}` {
		t.Errorf("config.json = %s", body)
	}
}
