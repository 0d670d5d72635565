package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/layout"
)

// parseDigest validates a digest from a path or query (sha256, sha384 or sha512).
func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", errf(ErrDigestInvalid, "%q: %v", s, err)
	}
	return d, nil
}

// openContent opens blob d of repo; a missing file wraps notFound.
func openContent(repo *layout.Store, d digest.Digest, notFound error) (*os.File, os.FileInfo, error) {
	f, err := os.Open(repo.BlobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errf(notFound, "%s", d)
	} else if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// contentHeaders sets the headers every blob and manifest answer carries.
func contentHeaders(w http.ResponseWriter, d digest.Digest, mediaType string) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("ETag", `"`+d.String()+`"`)
}

// blobRepo parses the blob digest of rt and opens its repository; a repository that does not
// exist has no blobs (BLOB_UNKNOWN).
func (h *Handler) blobRepo(rt route) (*layout.Store, digest.Digest, error) {
	d, err := parseDigest(rt.ref)
	if err != nil {
		return nil, "", err
	}
	repo, err := h.fs.Repo(rt.name, false)
	if errors.Is(err, ErrNameUnknown) {
		return nil, "", errf(ErrBlobUnknown, "%s", d)
	}
	return repo, d, err
}

func (h *Handler) getBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	repo, d, err := h.blobRepo(rt)
	if err != nil {
		return err
	}
	f, fi, err := openContent(repo, d, ErrBlobUnknown)
	if err != nil {
		return err
	}
	defer f.Close()
	contentHeaders(w, d, "application/octet-stream")
	w.Header().Set("Cache-Control", "max-age=31536000")
	http.ServeContent(w, r, "", fi.ModTime(), f) // Range → 206/416, sendfile from *os.File
	return nil
}

func (h *Handler) deleteBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := h.deleteBlobLocked(r, rt); err != nil {
		return err
	}
	h.prune(r, rt.name)
	return empty(w, http.StatusAccepted)
}

// deleteBlobLocked deletes the blob under the repository's lock.
func (h *Handler) deleteBlobLocked(r *http.Request, rt route) error {
	defer h.fs.lockRepo(rt.name, false)()
	repo, d, err := h.blobRepo(rt)
	if err != nil {
		return err
	}
	if err := repo.Delete(r.Context(), ocispec.Descriptor{Digest: d}); errors.Is(err, errdef.ErrNotFound) {
		return errf(ErrBlobUnknown, "%s", d)
	} else if err != nil {
		return err
	}
	return nil
}

// empty answers status with no body.
func empty(w http.ResponseWriter, status int) error {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

// startUpload handles POST .../blobs/uploads/: a mount (?mount=&from=, or automatic without
// from), a single-request upload (?digest=), or a new session (202).
func (h *Handler) startUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		if d, err := digest.Parse(m); err == nil && h.mountable(rt.name, q.Get("from"), d) {
			mounted, err := h.mount(r, rt.name, d)
			if err != nil {
				return err
			}
			if mounted {
				return blobCreated(w, rt.name, d)
			}
		}
	}
	if ds := q.Get("digest"); ds != "" {
		d, err := parseDigest(ds)
		if err != nil {
			return err
		}
		up, err := h.fs.uploads.start(rt.name)
		if err != nil {
			return err
		}
		up.mu.Lock()
		defer up.mu.Unlock()
		defer h.fs.uploads.drop(up)
		if _, err := up.write(r.Context(), r.Body, d.Algorithm()); err != nil {
			return err
		}
		return h.complete(w, r, rt, up, d)
	}
	up, err := h.fs.uploads.start(rt.name)
	if err != nil {
		return err
	}
	return uploadAccepted(w, rt.name, up, http.StatusAccepted)
}

// mountable reports whether blob d can be mounted into name: from repository from if given,
// else from any repository (the pool).
// mount links pool blob d into repository name under its lock. If the pool lost d meanwhile
// (swept), it reports false and drops the repository again if it was created just for this.
func (h *Handler) mount(r *http.Request, name string, d digest.Digest) (bool, error) {
	unlock := h.fs.lockRepo(name, false)
	repo, err := h.fs.Repo(name, true)
	if err != nil {
		unlock()
		return false, err
	}
	h.fs.beforeWrite(name)
	err = repo.Mount(r.Context(), d)
	unlock()
	if err != nil {
		h.prune(r, name)
		return false, nil
	}
	return true, nil
}

func (h *Handler) mountable(name, from string, d digest.Digest) bool {
	if from == "" {
		return h.fs.pool.Has(d)
	}
	if from == name || !validName(from) {
		return false
	}
	src, err := h.fs.Repo(from, false)
	if err != nil {
		return false
	}
	return fileExists(src.BlobPath(d))
}

func blobCreated(w http.ResponseWriter, name string, d digest.Digest) error {
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// uploadAccepted answers with the session's Location and Range.
func uploadAccepted(w http.ResponseWriter, name string, up *upload, status int) error {
	w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+up.id)
	w.Header().Set("Range", rangeHeader(up.size))
	w.Header().Set("Docker-Upload-UUID", up.id)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

func (h *Handler) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) error {
	up, err := h.fs.uploads.acquire(rt.ref, rt.name)
	if err != nil {
		return err
	}
	defer up.mu.Unlock()
	return uploadAccepted(w, rt.name, up, http.StatusNoContent)
}

func (h *Handler) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	up, err := h.fs.uploads.acquire(rt.ref, rt.name)
	if err != nil {
		return err
	}
	defer up.mu.Unlock()
	h.fs.uploads.drop(up)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseContentRange parses an upload chunk's Content-Range "start-end" (inclusive; a
// "bytes " prefix and a "/total" suffix are tolerated).
func parseContentRange(s string) (start, end int64, err error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), "bytes ")
	v, _, _ = strings.Cut(v, "/")
	a, b, ok := strings.Cut(v, "-")
	if ok {
		start, err = strconv.ParseInt(a, 10, 64)
	}
	if ok && err == nil {
		end, err = strconv.ParseInt(b, 10, 64)
	}
	if !ok || err != nil || start < 0 || end < start {
		return 0, 0, errf(ErrUploadInvalid, "Content-Range %q is not start-end", s)
	}
	return start, end, nil
}

// checkChunk validates a chunk's Content-Range against the session: garbage → 400, a range not
// starting where the session ends → 416 with the session's Range and Location.
func checkChunk(w http.ResponseWriter, r *http.Request, rt route, up *upload) (want int64, err error) {
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	start, end, err := parseContentRange(cr)
	if err != nil {
		return 0, err
	}
	if start != up.size {
		w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+up.id)
		w.Header().Set("Range", rangeHeader(up.size))
		return 0, errf(ErrRangeInvalid, "chunk starts at %d, upload has %d bytes", start, up.size)
	}
	n := end - start + 1
	if r.ContentLength >= 0 && r.ContentLength != n {
		return 0, errf(ErrUploadInvalid, "Content-Range %q but Content-Length %d", cr, r.ContentLength)
	}
	return n, nil
}

func (h *Handler) patchUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	up, err := h.fs.uploads.acquire(rt.ref, rt.name)
	if err != nil {
		return err
	}
	defer up.mu.Unlock()
	want, err := checkChunk(w, r, rt, up)
	if err != nil {
		return err
	}
	n, err := up.write(r.Context(), r.Body, "")
	if err != nil {
		return err
	}
	if want >= 0 && n != want {
		return errf(ErrUploadInvalid, "chunk has %d bytes, Content-Range said %d", n, want)
	}
	return uploadAccepted(w, rt.name, up, http.StatusAccepted)
}

func (h *Handler) putUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	up, err := h.fs.uploads.acquire(rt.ref, rt.name)
	if err != nil {
		return err
	}
	defer up.mu.Unlock()
	d, err := parseDigest(r.URL.Query().Get("digest"))
	if err != nil {
		return err
	}
	want, err := checkChunk(w, r, rt, up)
	if err != nil {
		return err
	}
	n, err := up.write(r.Context(), r.Body, d.Algorithm())
	if err != nil {
		return err
	}
	if want >= 0 && n != want {
		return errf(ErrUploadInvalid, "chunk has %d bytes, Content-Range said %d", n, want)
	}
	return h.complete(w, r, rt, up, d)
}

// complete verifies the session against d, moves it into the repository and answers 201.
// On a digest mismatch the session's bytes are discarded. up.mu is held.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, rt route, up *upload, d digest.Digest) error {
	if err := h.fs.uploads.verify(up, d); err != nil {
		return err
	}
	unlock := h.fs.lockRepo(rt.name, false)
	defer unlock()
	repo, err := h.fs.Repo(rt.name, true)
	if err != nil {
		return err
	}
	h.fs.beforeWrite(rt.name)
	if err := repo.Adopt(r.Context(), ocispec.Descriptor{Digest: d, Size: up.size}, up.path); err != nil {
		return fmt.Errorf("store %s: %w", d, err)
	}
	h.fs.uploads.drop(up)
	return blobCreated(w, rt.name, d)
}
