package stac

import (
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Summary describes an EO product from its manifest (and, when the manifest lacks the
// stac:* annotations, its item): what `eopack inspect` prints.
type Summary struct {
	ID           string         `json:"id,omitempty"`
	Collection   string         `json:"collection,omitempty"`
	Datetime     string         `json:"datetime,omitempty"`
	BBox         []float64      `json:"bbox,omitempty"`
	ArtifactType string         `json:"artifactType,omitempty"`
	ItemIn       string         `json:"itemIn,omitempty"` // config, layer, both, or empty
	Assets       []AssetSummary `json:"assets"`
	Links        []RemoteAsset  `json:"links,omitempty"` // assets kept as remote hrefs
	Size         int64          `json:"size"`            // bytes of all asset layers
}

// AssetSummary is one asset layer.
type AssetSummary struct {
	Key       string   `json:"key"`
	Title     string   `json:"title,omitempty"`
	Bands     []string `json:"bands,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	MediaType string   `json:"mediaType"`
	Type      string   `json:"type,omitempty"` // full STAC type
	Size      int64    `json:"size"`
	Digest    string   `json:"digest"`
}

// NeedsItem reports whether Summarize needs the item to fill what the manifest's
// annotations lack.
func NeedsItem(m ocispec.Manifest) bool {
	_, hasItem := ItemDescriptor(m)
	return hasItem && m.Annotations[AnnotationID] == ""
}

// Summarize builds a Summary from a manifest; it (optional) fills missing product fields and
// lists remote assets.
func Summarize(m ocispec.Manifest, it *Item) Summary {
	s := Summary{ArtifactType: m.ArtifactType, Assets: []AssetSummary{}}
	a := m.Annotations
	s.ID, s.Collection, s.Datetime = a[AnnotationID], a[AnnotationCollection], a[AnnotationDatetime]
	if b := splitList(a[AnnotationBBox]); len(b) == 4 {
		for _, v := range b {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				s.BBox = nil
				break
			}
			s.BBox = append(s.BBox, f)
		}
	}
	inLayer := false
	itemDesc, hasItem := ItemDescriptor(m)
	for _, l := range m.Layers {
		if IsItemLayer(l) || (hasItem && l.Digest == itemDesc.Digest && l.MediaType == itemDesc.MediaType) {
			inLayer = true
			continue
		}
		if l.MediaType == ocispec.MediaTypeEmptyJSON {
			continue
		}
		key := l.Annotations[AnnotationAsset]
		if key == "" {
			key = l.Annotations[AnnotationTitle]
		}
		s.Assets = append(s.Assets, AssetSummary{
			Key: key, Title: l.Annotations[AnnotationTitle], Bands: splitList(l.Annotations[AnnotationBand]),
			Roles: splitList(l.Annotations[AnnotationRoles]), MediaType: l.MediaType,
			Type: l.Annotations[AnnotationType], Size: l.Size, Digest: l.Digest.String(),
		})
		s.Size += l.Size
	}
	inConfig := m.Config.MediaType == MediaTypeItemConfig
	switch {
	case inConfig && inLayer:
		s.ItemIn = string(InBoth)
	case inConfig:
		s.ItemIn = string(InConfig)
	case inLayer:
		s.ItemIn = string(InLayer)
	}
	if it != nil {
		if s.ID == "" {
			s.ID, s.Collection, s.Datetime = it.ID, it.Collection, it.Datetime()
		}
		if s.BBox == nil && len(it.BBox) >= 4 {
			s.BBox = ProductBBox(it)
		}
		for _, k := range it.AssetKeys() {
			if isRemote(it.Assets[k].Href) {
				s.Links = append(s.Links, RemoteAsset{Key: k, Href: it.Assets[k].Href})
			}
		}
	}
	return s
}

// ProductBBox returns the item's 2D bbox (w,s,e,n).
func ProductBBox(it *Item) []float64 {
	if len(it.BBox) == 6 {
		return []float64{it.BBox[0], it.BBox[1], it.BBox[3], it.BBox[4]}
	}
	return it.BBox
}

// FormatBBox prints a bbox as "w,s,e,n".
func FormatBBox(b []float64) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, ",")
}
