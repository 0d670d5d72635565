package stacapi

import (
	"encoding/json"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/eopack/eopack/internal/cors"
	"github.com/eopack/eopack/stacindex"
)

// Options configure the API; the zero value serves blobs and manifests from the same host
// under /v2/.
type Options struct {
	Title string
	// AssetURL is an asset's href: serve gives {base}/v2/{repo}/blobs/{digest}; `stac serve` the origin
	// registry's blob URL, or its own pass-through URL when the registry needs a token for pulls.
	AssetURL func(base, repo string, b stacindex.Blob) string
	// ManifestURL is the href of a manifest by digest or tag ({base}/v2/{repo}/manifests/{ref} by default)
	ManifestURL func(base, repo, ref string) string
	Registry    string // host[:port] users pull from, for properties["eopack:reference"]; "" = the request's Host
	// Log receives internal errors; nil discards them.
	Log *log.Logger
}

// Handler serves the STAC API at its root; mount it under /stac/ with http.StripPrefix. base URLs are
// built from the request (scheme, Host, X-Forwarded-Proto/Host) plus the mount prefix.
func Handler(ix stacindex.Index, o Options) http.Handler {
	if o.Title == "" {
		o.Title = "eopack"
	}
	if o.AssetURL == nil {
		o.AssetURL = func(base, repo string, b stacindex.Blob) string {
			return base + "/v2/" + repo + "/blobs/" + b.Digest.String()
		}
	}
	if o.ManifestURL == nil {
		o.ManifestURL = func(base, repo, ref string) string {
			return base + "/v2/" + repo + "/manifests/" + ref
		}
	}
	s := &server{ix: ix, o: o, classes: conformance()}
	return cors.Handler(s, http.MethodGet, http.MethodHead, http.MethodPost)
}

// server holds what every endpoint needs.
type server struct {
	ix      stacindex.Index
	o       Options
	classes []string // conformance classes declared, computed once
}

// endpoint answers one route; it returns the error the API answers.
type endpoint func(w http.ResponseWriter, r *http.Request, u urls, args []string) error

// route finds the endpoints of a path: segments are split on the escaped path and unescaped
// one by one, so a collection or item id may contain any character (a slash as %2F).
func (s *server) route(segs []string) (map[string]endpoint, []string) {
	n := len(segs)
	switch {
	case n == 0:
		return map[string]endpoint{http.MethodGet: s.landing}, nil
	case n == 1 && segs[0] == "conformance":
		return map[string]endpoint{http.MethodGet: s.conformance}, nil
	case n == 1 && segs[0] == "api":
		return map[string]endpoint{http.MethodGet: s.openAPI}, nil
	case n == 1 && segs[0] == "queryables":
		return map[string]endpoint{http.MethodGet: s.queryables}, nil
	case n == 1 && segs[0] == "search":
		return map[string]endpoint{http.MethodGet: s.searchGet, http.MethodPost: s.searchPost}, nil
	case n == 1 && segs[0] == "collections":
		return map[string]endpoint{http.MethodGet: s.collections}, nil
	case n >= 2 && segs[0] == "collections":
		rest := segs[2:]
		switch {
		case len(rest) == 0:
			return map[string]endpoint{http.MethodGet: s.collection}, segs[1:2]
		case len(rest) == 1 && rest[0] == "items":
			return map[string]endpoint{http.MethodGet: s.items}, segs[1:2]
		case len(rest) == 1 && rest[0] == "queryables":
			return map[string]endpoint{http.MethodGet: s.queryables}, segs[1:2]
		case len(rest) == 2 && rest[0] == "items":
			return map[string]endpoint{http.MethodGet: s.item}, []string{segs[1], rest[1]}
		}
	}
	return nil, nil
}

// ServeHTTP routes a request and writes the error its endpoint returns.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	var eps map[string]endpoint
	var args []string
	if ok {
		eps, args = s.route(segs)
	}
	if eps == nil {
		s.writeError(w, r, notFound("no endpoint %s", r.URL.Path))
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	ep := eps[method]
	if ep == nil {
		allow := make([]string, 0, len(eps)+1)
		for m := range eps {
			allow = append(allow, m)
		}
		if eps[http.MethodGet] != nil {
			allow = append(allow, http.MethodHead)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, &apiError{http.StatusMethodNotAllowed, r.Method + " is not allowed on " + r.URL.Path})
		return
	}
	if err := ep(w, r, baseURLs(r), args); err != nil {
		s.writeError(w, r, err)
	}
}

// splitPath splits an escaped path into unescaped segments, ignoring one trailing slash.
func splitPath(p string) ([]string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// writeJSON answers v with status 200 and the content type.
func writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
	return nil
}

// Content types of the API's answers.
const (
	typeJSON    = "application/json"
	typeGeoJSON = "application/geo+json"
	typeSchema  = "application/schema+json"
	typeOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
)
