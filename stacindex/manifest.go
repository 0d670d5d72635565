package stacindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/stac"
)

// ArtifactTypeCollection is the artifactType of a manifest carrying a STAC Collection
// document, as its config (media type MediaTypeCollection) or as a layer of that media type.
const (
	ArtifactTypeCollection = "application/vnd.eopack.stac.collection.v1+json"
	MediaTypeCollection    = "application/vnd.eopack.stac.collection.v1+json"
)

// MaxDocSize is the largest STAC Item or Collection blob the index reads (fetch functions
// should stop reading there).
const MaxDocSize = 16 << 20

// IsProduct reports whether a manifest is an EO product: artifactType
// application/vnd.eopack.eo.product.v1, or a STAC item config, or a layer annotated
// type=stac-item.
func IsProduct(m ocispec.Manifest) bool {
	if m.ArtifactType == stac.ArtifactType || m.Config.MediaType == stac.MediaTypeItemConfig {
		return true
	}
	for _, l := range m.Layers {
		if stac.IsItemLayer(l) {
			return true
		}
	}
	return false
}

// IsCollection reports whether a manifest carries a STAC Collection document.
func IsCollection(m ocispec.Manifest) bool {
	return m.ArtifactType == ArtifactTypeCollection || m.Config.MediaType == MediaTypeCollection
}

// FromManifest builds the Entry of an EO product manifest; ok is false (nil error) for a
// manifest that is not an EO product. fetch reads a small blob (the STAC Item config or
// geo+json layer) by digest.
func FromManifest(repo string, d digest.Digest, manifest []byte, fetch func(digest.Digest) ([]byte, error)) (e Entry, ok bool, err error) {
	var m ocispec.Manifest
	if json.Unmarshal(manifest, &m) != nil || !IsProduct(m) {
		return Entry{}, false, nil
	}
	desc, found := stac.ItemDescriptor(m)
	if !found {
		return Entry{}, false, fmt.Errorf("%s@%s: %w", repo, d, stac.ErrNoItem)
	}
	item, err := fetchDoc(fetch, desc)
	if err != nil {
		return Entry{}, false, fmt.Errorf("%s@%s: STAC item: %w", repo, d, err)
	}
	var it struct {
		Type   string                     `json:"type"`
		ID     string                     `json:"id"`
		Assets map[string]json.RawMessage `json:"assets"`
	}
	if err := json.Unmarshal(item, &it); err != nil {
		return Entry{}, false, fmt.Errorf("%s@%s: STAC item: %w", repo, d, err)
	}
	if it.Type != "Feature" || it.ID == "" {
		return Entry{}, false, fmt.Errorf("%s@%s: %w (type %q, id %q)", repo, d, stac.ErrNotItem, it.Type, it.ID)
	}
	if _, err := parseItem(item); err != nil {
		return Entry{}, false, fmt.Errorf("%s@%s: %w", repo, d, err)
	}
	e = Entry{Repo: repo, Digest: d, Item: compact(item), Assets: assetBlobs(m, it.Assets)}
	return e, true, nil
}

// assetBlobs maps each STAC asset key to the layer holding it: the layer's stac:asset
// annotation, else the item asset whose href is the layer's title.
func assetBlobs(m ocispec.Manifest, assets map[string]json.RawMessage) map[string]Blob {
	byHref := map[string]string{}
	for k, raw := range assets {
		var a struct {
			Href string `json:"href"`
		}
		if json.Unmarshal(raw, &a) == nil && a.Href != "" {
			byHref[strings.TrimPrefix(a.Href, "./")] = k
		}
	}
	out := map[string]Blob{}
	for _, l := range m.Layers {
		if stac.IsItemLayer(l) {
			continue
		}
		key := l.Annotations[stac.AnnotationAsset]
		if key == "" {
			key = byHref[l.Annotations[stac.AnnotationTitle]]
		}
		if key == "" {
			continue
		}
		out[key] = Blob{Digest: l.Digest, Size: l.Size, MediaType: l.MediaType}
	}
	return out
}

// CollectionFromManifest reads the STAC Collection document of a manifest with
// ArtifactTypeCollection (as its config or its first layer of MediaTypeCollection or
// application/json); ok is false (nil error) for any other manifest.
func CollectionFromManifest(repo string, d digest.Digest, manifest []byte, fetch func(digest.Digest) ([]byte, error)) (c CollectionDoc, ok bool, err error) {
	var m ocispec.Manifest
	if json.Unmarshal(manifest, &m) != nil || !IsCollection(m) {
		return CollectionDoc{}, false, nil
	}
	desc := m.Config
	if desc.MediaType != MediaTypeCollection {
		found := false
		for _, l := range m.Layers {
			if l.MediaType == MediaTypeCollection || l.MediaType == "application/json" {
				desc, found = l, true
				break
			}
		}
		if !found {
			return CollectionDoc{}, false, fmt.Errorf("%s@%s: no STAC Collection document in the manifest", repo, d)
		}
	}
	doc, err := fetchDoc(fetch, desc)
	if err != nil {
		return CollectionDoc{}, false, fmt.Errorf("%s@%s: STAC collection: %w", repo, d, err)
	}
	var col struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(doc, &col); err != nil {
		return CollectionDoc{}, false, fmt.Errorf("%s@%s: STAC collection: %w", repo, d, err)
	}
	if col.Type != "Collection" || col.ID == "" {
		return CollectionDoc{}, false, fmt.Errorf("%s@%s: not a STAC Collection (type %q, id %q)", repo, d, col.Type, col.ID)
	}
	return CollectionDoc{Repo: repo, Digest: d, ID: col.ID, Doc: compact(doc)}, true, nil
}

// fetchDoc reads a small JSON blob, refusing one over MaxDocSize and checking its digest.
func fetchDoc(fetch func(digest.Digest) ([]byte, error), desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > MaxDocSize {
		return nil, fmt.Errorf("%s is %d bytes, over the index's %d", desc.Digest, desc.Size, MaxDocSize)
	}
	b, err := fetch(desc.Digest)
	if err != nil {
		return nil, err
	}
	if desc.Digest.Validate() == nil && desc.Digest.Algorithm().FromBytes(b) != desc.Digest {
		return nil, fmt.Errorf("%s: content does not match its digest", desc.Digest)
	}
	return b, nil
}

// compact is b without insignificant white space (b itself if it is not valid JSON).
func compact(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}
