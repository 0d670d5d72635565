// Package web serves the map page of eopack: a single page, embedded in the binary, that
// lists the STAC collections of a STAC API with their extents on a map, searches items by a
// box drawn on the map, dates, collections and a property filter, draws the results'
// footprints, and shows an item with its assets and the `eopack pull` commands that fetch it.
//
// Everything the page loads is embedded with go:embed: its own HTML, CSS and JavaScript and
// Leaflet 1.9.4 (vendored from npm by scripts/vendor-web.sh, with its licence, under
// static/vendor/leaflet). Base-map tiles are optional (Options.TileURL); without them the
// page draws a graticule under the footprints, so it works offline.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Options configure Handler. The zero value serves the page against a STAC API at "/stac/",
// without a base map.
type Options struct {
	STACPath string // where the STAC API is mounted, e.g. "/stac/"
	TileURL  string // optional XYZ base-map URL template ("" = no base map: footprints + graticule only)
	Title    string
}

// Config is what the page reads from /config.json.
type Config struct {
	STACPath string `json:"stacPath"`
	TileURL  string `json:"tileURL,omitempty"`
	Title    string `json:"title"`
}

// Handler serves the page and its embedded assets at "/": index.html, the app's JavaScript
// and CSS, vendored Leaflet, and /config.json with o. Mount it so that paths the registry
// serves (/v2/…) and the STAC API (o.STACPath) are routed elsewhere.
func Handler(o Options) http.Handler {
	cfg := Config{STACPath: o.STACPath, TileURL: o.TileURL, Title: o.Title}
	if cfg.STACPath == "" {
		cfg.STACPath = "/stac/"
	}
	if !strings.HasSuffix(cfg.STACPath, "/") {
		cfg.STACPath += "/"
	}
	if cfg.Title == "" {
		cfg.Title = "eopack"
	}
	cfgJSON, _ := json.Marshal(cfg)
	sub, _ := fs.Sub(static, "static")
	files := http.FileServer(http.FS(sub))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(cfgJSON)
	})
	mux.Handle("GET /", files)
	return mux
}
