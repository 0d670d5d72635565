// Package cors lets browser pages of any origin read eopack's HTTP answers: the STAC API and
// the registry's blobs and manifests (so a map page or STAC Browser can read COGs directly,
// with Range requests). It configures github.com/rs/cors the same way for every handler.
package cors

import (
	"net/http"

	"github.com/rs/cors"
)

// Handler wraps h so that requests of the given methods from any origin get
// Access-Control-Allow-Origin: *, and preflight requests (OPTIONS) for them are answered
// without reaching h. Request headers such as Range, Authorization and Content-Type are
// allowed; Content-Range, Content-Length, Accept-Ranges, Docker-Content-Digest and ETag are
// exposed to scripts.
func Handler(h http.Handler, methods ...string) http.Handler {
	return cors.New(cors.Options{
		AllowedOrigins: []string{"*"},
		AllowedMethods: methods,
		AllowedHeaders: []string{"Range", "Authorization", "Content-Type", "Accept", "If-None-Match", "If-Modified-Since"},
		ExposedHeaders: []string{"Content-Range", "Content-Length", "Accept-Ranges", "Docker-Content-Digest", "ETag", "Content-Type", "Link"},
		MaxAge:         600,
	}).Handler(h)
}
