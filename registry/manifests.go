package registry

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
)

// MaxManifestSize is the largest manifest accepted (the spec's suggested 4 MiB); larger → 413.
const MaxManifestSize = 4 << 20

// checkReference accepts a tag or a digest as a manifest reference.
func checkReference(ref string) error {
	if validTag(ref) {
		return nil
	}
	if _, err := parseDigest(ref); err != nil {
		return errf(ErrManifestUnknown, "%q is neither a tag nor a digest", ref)
	}
	return nil
}

// getManifest serves a manifest by tag or digest. Only manifests pushed as manifests are
// found: a blob is never parsed as one.
func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkReference(rt.ref); err != nil {
		return err
	}
	m, err := h.st.Meta.Manifest(r.Context(), rt.name, rt.ref)
	if err != nil {
		return err
	}
	contentHeaders(w, m.Digest, m.MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(m.Body)
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
	p, err := metadata.ParseManifest(mediaType, d, body)
	if err != nil {
		return err
	}
	p.Repo = rt.name
	if refDigest == "" {
		tags = append([]string{rt.ref}, tags...)
	}
	p.Tags = tags
	h.indexRecord(r.Context(), &p, h.opt.Log)
	if err := h.st.Meta.PutManifest(r.Context(), p); err != nil {
		return err
	}
	if refDigest != "" {
		for _, t := range tags {
			w.Header().Add("OCI-Tag", t)
		}
	}
	if p.Manifest.Subject != "" {
		w.Header().Set("OCI-Subject", p.Manifest.Subject.String())
	}
	w.Header().Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// deleteManifest deletes a tag (its manifest stays) or a manifest by digest (with its tags).
func (h *Handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkReference(rt.ref); err != nil {
		return err
	}
	var err error
	if validTag(rt.ref) {
		err = h.st.Meta.DeleteTag(r.Context(), rt.name, rt.ref)
	} else {
		err = h.st.Meta.DeleteManifest(r.Context(), rt.name, digest.Digest(rt.ref))
	}
	if err != nil {
		return err
	}
	return empty(w, http.StatusAccepted)
}

func (h *Handler) referrers(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := parseDigest(rt.ref)
	if err != nil {
		return err
	}
	artifactType := r.URL.Query().Get("artifactType")
	refs, err := h.st.Meta.Referrers(r.Context(), rt.name, d, artifactType)
	if err != nil && !errors.Is(err, metadata.ErrNameUnknown) {
		return err
	}
	list := make([]referrerDescriptor, 0, len(refs))
	for _, x := range refs {
		list = append(list, referrerDescriptor{MediaType: x.MediaType, ArtifactType: x.ArtifactType,
			Digest: x.Digest, Size: x.Size, Annotations: x.Annotations})
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, r, http.StatusOK, ocispec.MediaTypeImageIndex, referrersIndex{
		SchemaVersion: 2, MediaType: ocispec.MediaTypeImageIndex, Manifests: list,
	})
}

// referrersIndex and referrerDescriptor are ocispec.Index and ocispec.Descriptor as the
// referrers API writes them (the same fields in the same order), with the annotations passed
// through as the metadata store holds them, already JSON.
type referrersIndex struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	Manifests     []referrerDescriptor `json:"manifests"`
}

type referrerDescriptor struct {
	MediaType    string          `json:"mediaType"`
	Digest       digest.Digest   `json:"digest"`
	Size         int64           `json:"size"`
	Annotations  json.RawMessage `json:"annotations,omitempty"`
	ArtifactType string          `json:"artifactType,omitempty"`
}
