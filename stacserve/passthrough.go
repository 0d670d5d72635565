package stacserve

import (
	"fmt"
	"io"
	"net/http"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// passThrough serves GET and HEAD /blobs/{repo}/{digest} for the blobs the index knows, from
// the registry with the server's credentials. Range, If-Range and the cache validators are
// forwarded; the registry's status (200, 206, 304, 412, 416) and its Content-Length,
// Content-Range, Accept-Ranges, ETag and Last-Modified come back; bodies are streamed.
type passThrough struct {
	o      Options
	origin string // scheme://registry
	known  *knownBlobs
}

// forwarded request headers and returned response headers.
var (
	requestHeaders  = []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"}
	responseHeaders = []string{"Content-Length", "Content-Range", "Content-Type", "Accept-Ranges", "ETag", "Last-Modified", "Docker-Content-Digest"}
)

func (p *passThrough) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: blobs are read-only", http.StatusMethodNotAllowed)
		return
	}
	repo, ds, ok := splitBlobPath(r.URL.Path[len(blobsPath):])
	d, err := digest.Parse(ds)
	if !ok || err != nil || (registry.Reference{Registry: p.o.Registry, Repository: repo}).ValidateRepository() != nil {
		http.Error(w, "not a blob path: want /blobs/{repository}/{digest}", http.StatusNotFound)
		return
	}
	known, err := p.known.has(r.Context(), repo, d)
	if err != nil {
		http.Error(w, "reading the index: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !known {
		http.Error(w, "blob unknown to the index", http.StatusNotFound)
		return
	}
	ctx := auth.AppendRepositoryScope(r.Context(), registry.Reference{Registry: p.o.Registry, Repository: repo}, auth.ActionPull)
	up, err := http.NewRequestWithContext(ctx, r.Method, p.origin+"/v2/"+repo+"/blobs/"+d.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range requestHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			up.Header[h] = v
		}
	}
	up.Header.Set("Accept-Encoding", "identity") // byte ranges of the blob itself, never of a compressed stream
	resp, err := p.o.Client.Do(up)
	if err != nil {
		http.Error(w, fmt.Sprintf("fetching from %s: %v", p.o.Registry, err), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent, http.StatusNotModified,
		http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable, http.StatusNotFound:
	default:
		http.Error(w, fmt.Sprintf("%s answered %s", p.o.Registry, resp.Status), http.StatusBadGateway)
		return
	}
	for _, h := range responseHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			w.Header()[h] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodGet {
		io.Copy(w, resp.Body)
	}
}
