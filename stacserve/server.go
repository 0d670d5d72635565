// Package stacserve is what `eopack stac serve` serves for an index of another registry: the
// STAC API (package stacapi) at /stac/, the map page (package web) at /, and, when the
// registry wants a token even to pull, a pass-through of the indexed blobs at
// /blobs/{repo}/{digest} that fetches them with the server's credentials, forwarding Range
// requests and streaming the answers, so that GDAL's /vsicurl/ and browsers read COGs
// without credentials of their own.
package stacserve

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/eopack/eopack/internal/cors"
	"github.com/eopack/eopack/stacapi"
	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/web"
)

// Mode says where asset hrefs point.
type Mode int

const (
	Auto        Mode = iota // pass through when an anonymous blob request answers 401 or 403
	Direct                  // the registry's own blob URLs
	PassThrough             // this server's /blobs/… URLs
)

// ParseMode reads auto, direct or pass-through.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "direct":
		return Direct, nil
	case "pass-through":
		return PassThrough, nil
	}
	return Auto, fmt.Errorf("%q: want auto, direct or pass-through", s)
}

// Options configure Handler.
type Options struct {
	Index     stacindex.Index
	Registry  string // the origin registry, host[:port]
	PlainHTTP bool   // the registry is reached over http://
	// Client fetches blobs for the pass-through, with the registry's credentials (oras-go's
	// auth.Client). Anonymous is an *http.Client without them, for the Auto probe.
	Client    Doer
	Anonymous Doer
	Mode      Mode
	TileURL   string // the page's base map, "" for none
	Title     string
}

// Doer sends HTTP requests.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Server is the handler of `eopack stac serve`.
type Server struct {
	http.Handler
	// PassThrough is whether asset hrefs point at this server's /blobs/.
	PassThrough bool
}

// blobsPath is where the pass-through is mounted.
const blobsPath = "/blobs/"

// New builds the server; with Mode Auto it asks the registry for one indexed blob without
// credentials to decide where hrefs point.
func New(ctx context.Context, o Options) (*Server, error) {
	s := &Server{PassThrough: o.Mode == PassThrough}
	if o.Mode == Auto {
		var err error
		if s.PassThrough, err = needsToken(ctx, o); err != nil {
			return nil, err
		}
	}
	origin := "https://" + o.Registry
	if o.PlainHTTP {
		origin = "http://" + o.Registry
	}
	api := stacapi.Options{
		Title:    o.Title,
		Registry: o.Registry,
		AssetURL: func(_, repo string, b stacindex.Blob) string {
			return origin + "/v2/" + repo + "/blobs/" + b.Digest.String()
		},
		ManifestURL: func(_, repo, ref string) string { return origin + "/v2/" + repo + "/manifests/" + ref },
	}
	mux := http.NewServeMux()
	if s.PassThrough {
		api.AssetURL = func(base, repo string, b stacindex.Blob) string {
			return base + blobsPath + repo + "/" + b.Digest.String()
		}
		pt := &passThrough{o: o, origin: origin, known: newKnownBlobs(o.Index)}
		mux.Handle(blobsPath, cors.Handler(pt, http.MethodGet, http.MethodHead))
	}
	mux.Handle("/stac/", http.StripPrefix("/stac", stacapi.Handler(o.Index, api)))
	mux.Handle("/", web.Handler(web.Options{STACPath: "/stac/", TileURL: o.TileURL, Title: o.Title}))
	s.Handler = mux
	return s, nil
}

// needsToken asks the registry, without credentials, for the first asset of the first
// indexed item: 401 or 403 means pulls need a token. An empty index needs none.
func needsToken(ctx context.Context, o Options) (bool, error) {
	page, err := o.Index.Search(ctx, stacindex.Query{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("reading the index: %w", err)
	}
	for _, h := range page.Hits {
		for _, b := range h.Assets {
			scheme := "https://"
			if o.PlainHTTP {
				scheme = "http://"
			}
			u := scheme + o.Registry + "/v2/" + h.Repo + "/blobs/" + b.Digest.String()
			req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
			if err != nil {
				return false, err
			}
			resp, err := o.Anonymous.Do(req)
			if err != nil {
				return false, fmt.Errorf("asking %s whether pulls need a token: %w", o.Registry, err)
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden, nil
		}
	}
	return false, nil
}

// splitBlobPath splits "repo/name/sha256:…" into the repository and the digest.
func splitBlobPath(p string) (repo, dgst string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}
