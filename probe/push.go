package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types the checks use. Custom ones are deliberately unknown to every registry.
const (
	typeProbeArtifact = "application/vnd.eopack.probe.v1"
	typeProbeLayer    = "application/vnd.eopack.probe.layer.v1"
	typeEOProduct     = "application/vnd.eopack.eo.product.v1"
	typeSTACConfig    = "application/vnd.eopack.stac.item.v1+json"
)

var emptyJSON = []byte("{}")

// content makes bytes unique to this run and check, so no registry already has them.
func (e *Env) content(label string, size int) []byte {
	head := fmt.Sprintf("eopack-probe %s %s\n", e.RunID, label)
	b := make([]byte, 0, max(size, len(head)))
	b = append(b, head...)
	for len(b) < size {
		b = append(b, byte('a'+len(b)%26))
	}
	return b
}

// blobPath is /v2/<repo>/blobs/<digest>.
func blobPath(repo string, d digest.Digest) string {
	return fmt.Sprintf("/v2/%s/blobs/%s", repo, d)
}

func manifestPath(repo, ref string) string {
	return fmt.Sprintf("/v2/%s/manifests/%s", repo, ref)
}

// withQuery adds query parameters to an upload Location, which may already carry some.
func withQuery(loc string, kv ...string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// startUpload opens an upload session (POST /v2/<repo>/blobs/uploads/) and tracks it so it is
// cancelled if the check leaves it open.
func (e *Env) startUpload(ctx context.Context, repo string) (string, *Response, error) {
	r, err := e.do(ctx, http.MethodPost, fmt.Sprintf("/v2/%s/blobs/uploads/", repo), bytesBody(nil), nil)
	if err != nil {
		return "", nil, err
	}
	if r.Status != http.StatusAccepted {
		return "", r, fmt.Errorf("POST upload → %s", r)
	}
	loc := r.Location()
	if loc == "" {
		return "", r, fmt.Errorf("POST upload → %d without Location", r.Status)
	}
	e.trackUpload(loc)
	return loc, r, nil
}

// finishUpload sends PUT <loc>?digest=d with body (nil for none) and expects 201.
func (e *Env) finishUpload(ctx context.Context, repo, loc string, d digest.Digest, body *payload) (*Response, error) {
	if body == nil {
		body = bytesBody(nil)
	}
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	r, err := e.do(ctx, http.MethodPut, withQuery(loc, "digest", d.String()), body, hdr)
	if err != nil {
		return nil, err
	}
	e.untrackUpload(loc)
	if r.Status != http.StatusCreated {
		return r, fmt.Errorf("PUT upload → %s", r)
	}
	e.trackBlob(repo, d.String())
	// A registry may store the blob under its own canonical digest (distribution turns
	// sha512 into sha256): delete that too.
	if got, err := digest.Parse(r.Header.Get("Docker-Content-Digest")); err == nil && got != d {
		e.trackBlob(repo, got.String())
	}
	return r, nil
}

// uploadBlob pushes b with POST then PUT (the one way every registry supports).
func (e *Env) uploadBlob(ctx context.Context, repo string, d digest.Digest, body *payload) error {
	loc, _, err := e.startUpload(ctx, repo)
	if err != nil {
		return err
	}
	_, err = e.finishUpload(ctx, repo, loc, d, body)
	return err
}

// pushBlob makes sure repo has b, uploading it unless it is there already. Only blobs this
// check uploaded are deleted afterwards.
func (e *Env) pushBlob(ctx context.Context, repo string, mediaType string, b []byte) (ocispec.Descriptor, error) {
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	r, err := e.do(ctx, http.MethodHead, blobPath(repo, desc.Digest), nil, nil)
	if err != nil {
		return desc, err
	}
	if r.Status == http.StatusOK {
		return desc, nil
	}
	return desc, e.uploadBlob(ctx, repo, desc.Digest, bytesBody(b))
}

// pushManifest PUTs a manifest under ref (a tag or a digest). On 201 it is tracked for
// deletion. A non-201 answer is returned as a Response, not an error, so checks can tell a
// clean refusal from a broken exchange.
func (e *Env) pushManifest(ctx context.Context, repo, ref, mediaType string, body []byte) (*Response, error) {
	hdr := http.Header{"Content-Type": {mediaType}}
	r, err := e.do(ctx, http.MethodPut, manifestPath(repo, ref), bytesBody(body), hdr)
	if err != nil {
		return nil, err
	}
	if r.Status == http.StatusCreated {
		if d, err := digest.Parse(ref); err == nil {
			e.trackManifest(repo, d.String(), "")
		} else {
			e.trackManifest(repo, digest.FromBytes(body).String(), ref)
		}
	}
	return r, nil
}

// manifest is an OCI image manifest with the fields in spec order; marshalled with
// indentation so that a registry that re-serializes it is caught by byte comparison.
type manifest struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType,omitempty"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Subject       *ocispec.Descriptor  `json:"subject,omitempty"`
	Annotations   map[string]string    `json:"annotations,omitempty"`
}

func (m manifest) bytes() []byte {
	m.SchemaVersion = 2
	m.MediaType = ocispec.MediaTypeImageManifest
	if m.Layers == nil {
		m.Layers = []ocispec.Descriptor{}
	}
	b, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	return b
}

// pushArtifact uploads an empty config and the given layers' contents, then the manifest
// under ref. It returns the manifest bytes and the registry's answer to the PUT.
func (e *Env) pushArtifact(ctx context.Context, repo, ref string, m manifest, layers ...[]byte) ([]byte, *Response, error) {
	body, err := e.buildArtifact(ctx, repo, m, layers...)
	if err != nil {
		return nil, nil, err
	}
	r, err := e.pushManifest(ctx, repo, ref, ocispec.MediaTypeImageManifest, body)
	return body, r, err
}

// buildArtifact uploads an empty config (unless m has a config) and the layers' contents,
// and returns the manifest bytes.
func (e *Env) buildArtifact(ctx context.Context, repo string, m manifest, layers ...[]byte) ([]byte, error) {
	if m.Config.MediaType == "" {
		if _, err := e.pushBlob(ctx, repo, ocispec.MediaTypeEmptyJSON, emptyJSON); err != nil {
			return nil, fmt.Errorf("config blob: %w", err)
		}
		m.Config = ocispec.DescriptorEmptyJSON
	}
	for i, l := range layers {
		mt := typeProbeLayer
		if i < len(m.Layers) && m.Layers[i].MediaType != "" {
			mt = m.Layers[i].MediaType
		}
		d, err := e.pushBlob(ctx, repo, mt, l)
		if err != nil {
			return nil, fmt.Errorf("layer blob: %w", err)
		}
		if i < len(m.Layers) {
			m.Layers[i].Digest, m.Layers[i].Size = d.Digest, d.Size
		} else {
			m.Layers = append(m.Layers, d)
		}
	}
	return m.bytes(), nil
}

// index is an OCI image index, marshalled like manifest.
type index struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType,omitempty"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Annotations   map[string]string    `json:"annotations,omitempty"`
}

func (x index) bytes() []byte {
	x.SchemaVersion = 2
	x.MediaType = ocispec.MediaTypeImageIndex
	if x.Manifests == nil {
		x.Manifests = []ocispec.Descriptor{}
	}
	b, err := json.MarshalIndent(x, "", "   ")
	if err != nil {
		panic(err)
	}
	return b
}

// describe names a response for a summary: "PUT manifest → 400 MANIFEST_INVALID".
func describe(what string, r *Response) string {
	return fmt.Sprintf("%s → %s", what, r)
}

// refused tells a clean refusal (a 4xx) from a broken exchange.
func refused(r *Response) bool { return r.Status >= 400 && r.Status < 500 }

// tagFor makes a tag unique to this run.
func (e *Env) tagFor(label string) string {
	return strings.ReplaceAll("probe-"+label+"-"+e.RunID[:8], "_", "-")
}
