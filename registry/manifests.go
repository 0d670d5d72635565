package registry

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/layout"
)

// MaxManifestSize is the largest manifest accepted (the spec's suggested 4 MiB); larger → 413.
const MaxManifestSize = 4 << 20

// resolveManifest finds manifest ref (tag or digest) of repository name.
func (h *Handler) resolveManifest(r *http.Request, rt route) (*layout.Store, ocispec.Descriptor, error) {
	if !validTag(rt.ref) {
		if _, err := parseDigest(rt.ref); err != nil {
			return nil, ocispec.Descriptor{}, errf(ErrManifestUnknown, "%q is neither a tag nor a digest", rt.ref)
		}
	}
	repo, err := h.fs.Repo(rt.name, false)
	if errors.Is(err, ErrNameUnknown) {
		return nil, ocispec.Descriptor{}, errf(ErrManifestUnknown, "%s:%s", rt.name, rt.ref)
	} else if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	d, err := repo.Resolve(r.Context(), rt.ref)
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, ocispec.Descriptor{}, errf(ErrManifestUnknown, "%s:%s", rt.name, rt.ref)
	}
	return repo, d, err
}

func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	repo, d, err := h.resolveManifest(r, rt)
	if err != nil {
		return err
	}
	f, fi, err := openContent(repo, d.Digest, ErrManifestUnknown)
	if err != nil {
		return err
	}
	defer f.Close()
	contentHeaders(w, d.Digest, d.MediaType)
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, f)
	}
	return nil
}

func (h *Handler) putManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	var refDigest digest.Digest
	if !validTag(rt.ref) {
		d, err := parseDigest(rt.ref)
		if err != nil {
			return errf(ErrManifestInvalid, "reference %q is neither a tag nor a digest", rt.ref)
		}
		refDigest = d
	}
	tags := r.URL.Query()["tag"]
	for _, t := range tags {
		if !validTag(t) {
			return errf(ErrManifestInvalid, "tag %q", t)
		}
	}
	if r.ContentLength > MaxManifestSize {
		return errf(ErrManifestTooLarge, "%d bytes, limit %d", r.ContentLength, MaxManifestSize)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxManifestSize+1))
	if err != nil {
		return err
	}
	if len(body) > MaxManifestSize {
		return errf(ErrManifestTooLarge, "over %d bytes", MaxManifestSize)
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	d := digest.FromBytes(body)
	if refDigest != "" {
		d = refDigest.Algorithm().FromBytes(body)
		if d != refDigest {
			return errf(ErrDigestInvalid, "manifest is %s, not %s", d, refDigest)
		}
	}
	defer h.fs.lockRepo(rt.name, false)()
	repo, err := h.fs.Repo(rt.name, false)
	if err != nil && !errors.Is(err, ErrNameUnknown) {
		return err
	}
	m, err := checkManifest(r, repo, mediaType, body) // repo nil: a new repository holds nothing
	if err != nil {
		return err
	}
	if repo == nil {
		if repo, err = h.fs.Repo(rt.name, true); err != nil {
			return err
		}
	}
	h.fs.beforeWrite(rt.name)
	desc := ocispec.Descriptor{MediaType: m.MediaType, Digest: d, Size: int64(len(body))}
	if refDigest == "" {
		tags = append([]string{rt.ref}, tags...)
	}
	if len(tags) == 0 {
		err = repo.Push(r.Context(), desc, bytes.NewReader(body))
	} else {
		err = repo.PushReference(r.Context(), desc, bytes.NewReader(body), tags[0])
	}
	if err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	for i, t := range tags {
		if i > 0 {
			if err := repo.Tag(r.Context(), desc, t); err != nil {
				return err
			}
		}
		if refDigest != "" {
			w.Header().Add("OCI-Tag", t)
		}
	}
	if m.Subject != nil {
		w.Header().Set("OCI-Subject", m.Subject.Digest.String())
	}
	w.Header().Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (h *Handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := h.deleteManifestLocked(r, rt); err != nil {
		return err
	}
	h.prune(r, rt.name)
	return empty(w, http.StatusAccepted)
}

// deleteManifestLocked deletes the manifest (or only the tag) under the repository's lock.
func (h *Handler) deleteManifestLocked(r *http.Request, rt route) error {
	defer h.fs.lockRepo(rt.name, false)()
	repo, d, err := h.resolveManifest(r, rt)
	if err != nil {
		return err
	}
	if validTag(rt.ref) {
		err = repo.Untag(r.Context(), rt.ref)
	} else {
		err = repo.Delete(r.Context(), d)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return errf(ErrManifestUnknown, "%s:%s", rt.name, rt.ref)
	}
	return err
}

func (h *Handler) referrers(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := parseDigest(rt.ref)
	if err != nil {
		return err
	}
	artifactType := r.URL.Query().Get("artifactType")
	list := []ocispec.Descriptor{}
	repo, err := h.fs.Repo(rt.name, false)
	switch {
	case err == nil:
		if list, err = repo.Referrers(r.Context(), d, artifactType); err != nil {
			return err
		}
	case !errors.Is(err, ErrNameUnknown):
		return err
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, r, http.StatusOK, ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: list,
	})
}

// isForeign reports whether a layer need not be pushed (non-distributable or foreign).
func isForeign(mediaType string) bool {
	return strings.Contains(mediaType, "nondistributable") || strings.Contains(mediaType, ".foreign.")
}
