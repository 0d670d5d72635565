package registry

import (
	"encoding/json"
	"net/http"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/layout"
)

// manifest holds the fields of image manifests, image indexes and their Docker forms that
// validation needs.
type manifest struct {
	SchemaVersion *int                 `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        *ocispec.Descriptor  `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Subject       *ocispec.Descriptor  `json:"subject"`
}

const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// checkManifest parses and validates a manifest body: JSON, schemaVersion 2, a media type
// (Content-Type, or the body's mediaType field) that agrees with the body, well-formed
// descriptors, and every referenced blob or child manifest present in repo
// (MANIFEST_BLOB_UNKNOWN), except a subject, which may be missing, and non-distributable
// layers. The returned manifest's MediaType is the effective one.
func checkManifest(r *http.Request, repo *layout.Store, contentType string, body []byte) (*manifest, error) {
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errf(ErrManifestInvalid, "not JSON: %v", err)
	}
	if m.SchemaVersion == nil || *m.SchemaVersion != 2 {
		return nil, errf(ErrManifestInvalid, "schemaVersion must be 2")
	}
	switch {
	case contentType == "" && m.MediaType == "":
		return nil, errf(ErrManifestInvalid, "no media type: set Content-Type or mediaType")
	case contentType == "":
		contentType = m.MediaType
	case m.MediaType != "" && m.MediaType != contentType:
		return nil, errf(ErrManifestInvalid, "Content-Type %q but mediaType %q", contentType, m.MediaType)
	}
	m.MediaType = contentType
	var required []ocispec.Descriptor
	switch contentType {
	case ocispec.MediaTypeImageManifest, mtDockerManifest:
		if m.Config == nil {
			return nil, errf(ErrManifestInvalid, "image manifest without config")
		}
		if m.Manifests != nil {
			return nil, errf(ErrManifestInvalid, "image manifest with manifests")
		}
		required = append(required, *m.Config)
		for _, l := range m.Layers {
			if !isForeign(l.MediaType) {
				required = append(required, l)
			}
		}
	case ocispec.MediaTypeImageIndex, mtDockerList:
		if m.Config != nil || m.Layers != nil {
			return nil, errf(ErrManifestInvalid, "index with config or layers")
		}
		required = m.Manifests
	default:
		return nil, errf(ErrManifestInvalid, "media type %q is not a manifest", contentType)
	}
	all := append([]ocispec.Descriptor{}, required...)
	if m.Subject != nil {
		all = append(all, *m.Subject)
	}
	for _, d := range all {
		if err := d.Digest.Validate(); err != nil {
			return nil, errf(ErrManifestInvalid, "descriptor digest %q: %v", d.Digest, err)
		}
		if d.Size < 0 || d.MediaType == "" {
			return nil, errf(ErrManifestInvalid, "descriptor %s: needs mediaType and size", d.Digest)
		}
	}
	for _, d := range required {
		if repo == nil {
			return nil, errf(ErrManifestBlobUnknown, "%s", d.Digest)
		}
		ok, err := repo.Exists(r.Context(), d)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errf(ErrManifestBlobUnknown, "%s", d.Digest)
		}
	}
	return &m, nil
}
