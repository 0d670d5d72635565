package registry

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/eopack/eopack/internal/cors"
)

// Options configure a Handler; the zero value serves anonymously.
type Options struct {
	// Auth, if set, protects push and delete (and everything with Private) by basic auth.
	Auth *Htpasswd
	// Private also requires authentication to pull.
	Private bool
	// Log receives internal errors; nil discards them.
	Log *log.Logger
	// BlobRedirect answers a blob GET with a 307 to a short-lived URL of the blob store
	// (object stores' presigned URLs), so the bytes bypass the registry; stores without
	// such URLs serve the bytes as usual.
	BlobRedirect bool
}

// Handler serves the distribution spec over a Storage. Pulls (GET and HEAD) carry CORS
// headers for any origin, and their preflights are answered, so browser pages can read
// manifests and blobs (with Range) directly.
type Handler struct {
	st    *Storage
	opt   Options
	table map[kind]map[string]handlerFunc
	cors  http.Handler
	tails tails // upload sessions whose last chunk is being recorded after its answer
}

// New returns the registry handler for storage st.
func New(st *Storage, opt Options) *Handler {
	h := &Handler{st: st, opt: opt}
	h.table = map[kind]map[string]handlerFunc{
		kindBase:      {http.MethodGet: h.base},
		kindCatalog:   {http.MethodGet: h.catalog},
		kindBlob:      {http.MethodGet: h.getBlob, http.MethodDelete: h.deleteBlob},
		kindUploads:   {http.MethodPost: h.startUpload},
		kindUpload:    {http.MethodGet: h.uploadStatus, http.MethodPatch: h.patchUpload, http.MethodPut: h.putUpload, http.MethodDelete: h.cancelUpload},
		kindManifest:  {http.MethodGet: h.getManifest, http.MethodPut: h.putManifest, http.MethodDelete: h.deleteManifest},
		kindTags:      {http.MethodGet: h.tags},
		kindReferrers: {http.MethodGet: h.referrers},
	}
	h.cors = cors.Handler(http.HandlerFunc(h.serve), http.MethodGet, http.MethodHead)
	return h
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rt route) error

// routes finds the handler of an endpoint and method; HEAD is served by the GET handler.
func (h *Handler) routes(k kind, method string) handlerFunc {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return h.table[k][method]
}

// ServeHTTP answers CORS preflights, then routes the request, checks auth and name, and
// writes any error the endpoint returns as the spec's JSON error.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.cors.ServeHTTP(w, r) }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	rt := parseRoute(r.URL.Path)
	err := h.authorize(w, r, rt)
	if err == nil {
		err = h.dispatch(w, r, rt)
	}
	if err != nil {
		if _, _, ok := codeOf(err); !ok && h.opt.Log != nil {
			h.opt.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
		}
		writeError(w, r, err)
	}
}

func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, rt route) error {
	if rt.kind == kindNone {
		return errf(ErrNameUnknown, "no endpoint %s", r.URL.Path)
	}
	if rt.kind != kindBase && rt.kind != kindCatalog && !validName(rt.name) {
		return errf(ErrNameInvalid, "%q", rt.name)
	}
	f := h.routes(rt.kind, r.Method)
	if f == nil {
		return errf(ErrUnsupported, "%s %s", r.Method, r.URL.Path)
	}
	return f(w, r, rt)
}

func (h *Handler) base(w http.ResponseWriter, r *http.Request, _ route) error {
	return writeJSON(w, r, http.StatusOK, "application/json", struct{}{})
}

// writeJSON answers v as JSON with status and content type.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
	return nil
}

// pageQuery reads the n and last query parameters of a list endpoint
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#listing-tags):
// limit is n+1 so one more than a page tells whether there is a next one; an n that is not
// a count is ignored (limit -1: all).
func pageQuery(r *http.Request) (last string, n, limit int) {
	q := r.URL.Query()
	last, n, limit = q.Get("last"), -1, -1
	if v, err := strconv.Atoi(q.Get("n")); err == nil && v >= 0 {
		n, limit = v, v+1
	}
	return last, n, limit
}

// pageOut cuts a list read with pageQuery's limit to n and, if more follow, sets the Link
// header for the next page.
func pageOut(w http.ResponseWriter, r *http.Request, list []string, n int) []string {
	if list == nil {
		list = []string{}
	}
	if n < 0 || len(list) <= n {
		return list
	}
	list = list[:n]
	if n > 0 {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {list[n-1]}}
		w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
	}
	return list
}

func (h *Handler) catalog(w http.ResponseWriter, r *http.Request, _ route) error {
	last, n, limit := pageQuery(r)
	names, err := h.st.Meta.Repositories(r.Context(), last, limit)
	if err != nil {
		return err
	}
	names = pageOut(w, r, names, n)
	return writeJSON(w, r, http.StatusOK, "application/json", map[string][]string{"repositories": names})
}

func (h *Handler) tags(w http.ResponseWriter, r *http.Request, rt route) error {
	last, n, limit := pageQuery(r)
	tags, err := h.st.Meta.Tags(r.Context(), rt.name, last, limit)
	if err != nil {
		return err
	}
	tags = pageOut(w, r, tags, n)
	return writeJSON(w, r, http.StatusOK, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.name, tags})
}

// isWrite reports whether a request changes the registry.
func isWrite(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// ReadAuth guards next with the rule pulls follow: with --private, a request needs valid
// credentials (preflights excepted: browsers send them without); otherwise anyone may read.
// eopack serve puts the STAC API and the web page behind it.
func (h *Handler) ReadAuth(next http.Handler) http.Handler {
	a := h.opt.Auth
	if a == nil || !h.opt.Private {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if ok && a.Check(user, pass) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.Realm))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": "Unauthorized", "description": "authentication required"})
	})
}

func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, rt route) error {
	a := h.opt.Auth
	if a == nil {
		return nil
	}
	user, pass, hasCreds := r.BasicAuth()
	needed := isWrite(r) || h.opt.Private || rt.kind == kindBase
	if hasCreds && a.Check(user, pass) {
		return nil
	}
	if !hasCreds && !needed {
		return nil
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.Realm))
	if hasCreds {
		return errf(ErrUnauthorized, "invalid username or password")
	}
	return errf(ErrUnauthorized, "%s %s", r.Method, strings.TrimPrefix(r.URL.Path, "/v2/"))
}
