package cli

import (
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/stacapi"
	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/web"
)

// stacPrefix is where serve mounts the STAC API.
const stacPrefix = "/stac"

// site routes one server's paths: /v2 to the registry (v2 may be nil), /stac/ to the STAC
// API (mounted with its prefix stripped), everything else to the web page. No path is
// cleaned or redirected on the way, so the registry sees exactly what it always did.
func site(v2, api, page http.Handler) http.Handler {
	api = http.StripPrefix(stacPrefix, api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case v2 != nil && (p == "/v2" || strings.HasPrefix(p, "/v2/")):
			v2.ServeHTTP(w, r)
		case p == stacPrefix:
			http.Redirect(w, r, stacPrefix+"/", http.StatusMovedPermanently)
		case strings.HasPrefix(p, stacPrefix+"/"):
			api.ServeHTTP(w, r)
		default:
			page.ServeHTTP(w, r)
		}
	})
}

// mountSite adds to a registry the STAC API of its own contents and the map page, both
// readable by whoever may pull. A metadata store that keeps no STAC index serves the
// registry alone.
func mountSite(title, tiles string, logw io.Writer) func(st *registry.Storage, reg *registry.Handler) http.Handler {
	return func(st *registry.Storage, reg *registry.Handler) http.Handler {
		ix, ok := st.Meta.(stacindex.Index)
		if !ok {
			return reg
		}
		api := stacapi.Handler(ix, stacapi.Options{Title: title, Log: log.New(logw, "", log.LstdFlags)})
		page := web.Handler(web.Options{STACPath: stacPrefix + "/", TileURL: tiles, Title: title})
		return site(reg, reg.ReadAuth(api), reg.ReadAuth(page))
	}
}
