package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrManifestInvalid: a body that is not a manifest this registry accepts.
var ErrManifestInvalid = errors.New("manifest invalid")

// Manifest media types of Docker's schema 2, accepted beside the OCI ones.
const (
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// manifestFields are the fields of image manifests, image indexes and their Docker forms that
// validation and indexing need.
type manifestFields struct {
	SchemaVersion *int                 `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        *ocispec.Descriptor  `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Subject       *ocispec.Descriptor  `json:"subject"`
	Annotations   map[string]string    `json:"annotations"`
}

// IsManifestMediaType reports whether mediaType is one of the manifest types a registry stores.
func IsManifestMediaType(mediaType string) bool {
	switch mediaType {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, MediaTypeDockerManifest, MediaTypeDockerList:
		return true
	}
	return false
}

// ParseManifest checks a manifest body and returns what a PUT of it stores: the manifest
// (Digest, Size and Body set from body with digest d), the blobs it needs (config and
// layers, foreign and non-distributable layers left out) and the child manifests of an
// index. contentType is the request's media type ("" to take the body's mediaType). Checks:
// JSON, schemaVersion 2, a media type that agrees with the body, image manifests with a
// config and no manifests, indexes with no config or layers, and descriptors with a valid
// digest, a media type and a size >= 0. Failures wrap ErrManifestInvalid.
func ParseManifest(contentType string, d digest.Digest, body []byte) (PutManifest, error) {
	var m manifestFields
	if err := json.Unmarshal(body, &m); err != nil {
		return PutManifest{}, invalid("not JSON: %v", err)
	}
	if m.SchemaVersion == nil || *m.SchemaVersion != 2 {
		return PutManifest{}, invalid("schemaVersion must be 2")
	}
	switch {
	case contentType == "" && m.MediaType == "":
		return PutManifest{}, invalid("no media type: set Content-Type or mediaType")
	case contentType == "":
		contentType = m.MediaType
	case m.MediaType != "" && m.MediaType != contentType:
		return PutManifest{}, invalid("Content-Type %q but mediaType %q", contentType, m.MediaType)
	}
	p := PutManifest{Manifest: Manifest{Digest: d, MediaType: contentType, ArtifactType: m.ArtifactType,
		Size: int64(len(body)), Annotations: m.Annotations, Body: body}}
	var all []ocispec.Descriptor
	switch contentType {
	case ocispec.MediaTypeImageManifest, MediaTypeDockerManifest:
		if m.Config == nil {
			return PutManifest{}, invalid("image manifest without config")
		}
		if m.Manifests != nil {
			return PutManifest{}, invalid("image manifest with manifests")
		}
		if p.Manifest.ArtifactType == "" {
			p.Manifest.ArtifactType = m.Config.MediaType
		}
		all = append(all, *m.Config)
		p.Blobs = append(p.Blobs, m.Config.Digest)
		for _, l := range m.Layers {
			all = append(all, l)
			if !isForeign(l.MediaType) {
				p.Blobs = append(p.Blobs, l.Digest)
			}
		}
	case ocispec.MediaTypeImageIndex, MediaTypeDockerList:
		if m.Config != nil || m.Layers != nil {
			return PutManifest{}, invalid("index with config or layers")
		}
		for _, c := range m.Manifests {
			all = append(all, c)
			p.Children = append(p.Children, c.Digest)
		}
	default:
		return PutManifest{}, invalid("media type %q is not a manifest", contentType)
	}
	if m.Subject != nil {
		all = append(all, *m.Subject)
		p.Manifest.Subject = m.Subject.Digest
	}
	for _, x := range all {
		if err := x.Digest.Validate(); err != nil {
			return PutManifest{}, invalid("descriptor digest %q: %v", x.Digest, err)
		}
		if x.Size < 0 || x.MediaType == "" {
			return PutManifest{}, invalid("descriptor %s: needs mediaType and size", x.Digest)
		}
	}
	p.Blobs = dedup(p.Blobs)
	p.Children = dedup(p.Children)
	return p, nil
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrManifestInvalid)
}

// isForeign reports whether a layer need not be pushed (non-distributable or foreign).
func isForeign(mediaType string) bool {
	return strings.Contains(mediaType, "nondistributable") || strings.Contains(mediaType, ".foreign.")
}

func dedup(ds []digest.Digest) []digest.Digest {
	seen := make(map[digest.Digest]bool, len(ds))
	out := ds[:0]
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
