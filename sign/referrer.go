package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// maxManifest bounds what is read of a signature manifest or bundle: they are small JSON
// documents, never product data.
const maxManifest = 4 << 20

// emptyConfig is the OCI empty descriptor's content.
var emptyConfig = []byte("{}")

// PushBundle pushes bundleJSON as a referrer of subject, laid out as cosign v3 lays out its
// bundle referrers: an image manifest with artifactType and config artifactType
// BundleMediaType, the OCI empty config, one layer holding the bundle, and the annotations
// dev.sigstore.bundle.content, dev.sigstore.bundle.predicateType and
// org.opencontainers.image.created. A registry without the referrers API gets the
// "sha256-<hex>" index tag (oras-go maintains it when it pushes a manifest with a subject).
func PushBundle(ctx context.Context, t oras.Target, subject ocispec.Descriptor, bundleJSON []byte, predicateType string, created time.Time) (ocispec.Descriptor, error) {
	cfg := ocispec.DescriptorEmptyJSON
	if err := pushIfMissing(ctx, t, cfg, emptyConfig); err != nil {
		return ocispec.Descriptor{}, err
	}
	layer := content.NewDescriptorFromBytes(BundleMediaType, bundleJSON)
	if err := pushIfMissing(ctx, t, layer, bundleJSON); err != nil {
		return ocispec.Descriptor{}, err
	}
	cfgDesc := ocispec.Descriptor{MediaType: cfg.MediaType, ArtifactType: BundleMediaType, Digest: cfg.Digest, Size: cfg.Size}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: BundleMediaType,
		Config:       cfgDesc,
		Layers:       []ocispec.Descriptor{layer},
		Subject:      &ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			ocispec.AnnotationCreated:     created.UTC().Format(time.RFC3339),
			AnnotationBundleContent:       BundleContentDSSE,
			AnnotationBundlePredicateType: predicateType,
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	desc.ArtifactType = BundleMediaType
	desc.Annotations = m.Annotations
	if err := pushIfMissing(ctx, t, desc, raw); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pushing the signature manifest: %w", err)
	}
	return desc, nil
}

func pushIfMissing(ctx context.Context, t oras.Target, d ocispec.Descriptor, b []byte) error {
	ok, err := t.Exists(ctx, d)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	err = t.Push(ctx, d, bytes.NewReader(b))
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return err
}

// fetchSmall reads a small blob or manifest whole, verified against its digest.
func fetchSmall(ctx context.Context, t content.Fetcher, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxManifest {
		return nil, fmt.Errorf("%s: %d bytes, more than a signature holds", d.Digest, d.Size)
	}
	rc, err := t.Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Digest, err)
	}
	return b, nil
}

// fetchManifestByTag resolves tag in t and reads the manifest (nil, nil when the tag does
// not exist).
func fetchManifestByTag(ctx context.Context, t oras.ReadOnlyTarget, tag string) (ocispec.Descriptor, *ocispec.Manifest, error) {
	d, err := t.Resolve(ctx, tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return ocispec.Descriptor{}, nil, nil
	}
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	m, err := fetchManifest(ctx, t, d)
	return d, m, err
}

func fetchManifest(ctx context.Context, t content.Fetcher, d ocispec.Descriptor) (*ocispec.Manifest, error) {
	b, err := fetchSmall(ctx, t, d)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest is not JSON: %w", d.Digest, err)
	}
	return &m, nil
}

// legacyTag is cosign's tag for the signatures (".sig") or attestations (".att") of d, and
// the referrers tag schema's tag (suffix "").
func legacyTag(d digest.Digest, suffix string) string {
	return d.Algorithm().String() + "-" + d.Encoded() + suffix
}
