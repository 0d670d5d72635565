package stac

import (
	"fmt"
	"path"
	"sort"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Filter selects asset layers of a product. Kinds of criteria are ANDed; the values of one
// kind are ORed (--asset B04,B08 means B04 or B08). The zero Filter selects every layer.
type Filter struct {
	Assets      []string
	Bands       []string
	Roles       []string
	MediaTypes  []string
	Annotations map[string]string
}

// Empty reports whether the filter selects everything.
func (f Filter) Empty() bool {
	return len(f.Assets) == 0 && len(f.Bands) == 0 && len(f.Roles) == 0 &&
		len(f.MediaTypes) == 0 && len(f.Annotations) == 0
}

// String describes the filter as the flags that built it.
func (f Filter) String() string {
	var parts []string
	add := func(flag string, v []string) {
		if len(v) > 0 {
			parts = append(parts, "--"+flag+" "+strings.Join(v, ","))
		}
	}
	add("asset", f.Assets)
	add("band", f.Bands)
	add("role", f.Roles)
	add("media-type", f.MediaTypes)
	for _, k := range sortedKeys(f.Annotations) {
		parts = append(parts, "--annotation "+k+"="+f.Annotations[k])
	}
	return strings.Join(parts, " ")
}

// Matches reports whether a layer descriptor passes the filter.
func (f Filter) Matches(d ocispec.Descriptor) bool {
	a := d.Annotations
	if len(f.Assets) > 0 && !anyIn(f.Assets, []string{a[AnnotationAsset]}) {
		return false
	}
	if len(f.Bands) > 0 && !anyIn(f.Bands, splitList(a[AnnotationBand])) {
		return false
	}
	if len(f.Roles) > 0 && !anyIn(f.Roles, splitList(a[AnnotationRoles])) {
		return false
	}
	if len(f.MediaTypes) > 0 {
		ok := false
		for _, mt := range f.MediaTypes {
			ok = ok || strings.EqualFold(mt, d.MediaType) || (a[AnnotationType] != "" && mt == a[AnnotationType])
		}
		if !ok {
			return false
		}
	}
	for k, v := range f.Annotations {
		if got, ok := a[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h != "" && strings.EqualFold(w, h) {
				return true
			}
		}
	}
	return false
}

// Select returns the asset layers (not the item layer) that pass the filter. When none does,
// the error names the filter and the assets that exist.
func Select(m ocispec.Manifest, f Filter) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	for _, l := range m.Layers {
		if !IsItemLayer(l) && f.Matches(l) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w; assets: %s", f, ErrNoAssets, describeAssets(m))
	}
	return out, nil
}

// describeAssets lists a manifest's asset layers as "KEY (band B1, role data, image/tiff)".
func describeAssets(m ocispec.Manifest) string {
	var parts []string
	for _, l := range m.Layers {
		if IsItemLayer(l) {
			continue
		}
		name := l.Annotations[AnnotationAsset]
		if name == "" {
			name = l.Annotations[AnnotationTitle]
		}
		if name == "" {
			name = l.Digest.String()
		}
		var attrs []string
		if b := l.Annotations[AnnotationBand]; b != "" {
			attrs = append(attrs, "band "+b)
		}
		if r := l.Annotations[AnnotationRoles]; r != "" {
			attrs = append(attrs, "roles "+r)
		}
		attrs = append(attrs, l.MediaType)
		parts = append(parts, name+" ("+strings.Join(attrs, ", ")+")")
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// BlobURL returns the registry URL of a blob: <scheme>://<registry>/v2/<repo>/blobs/<digest>.
func BlobURL(scheme, registry, repo string, d ocispec.Descriptor) string {
	return fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, registry, repo, d.Digest)
}

// RewritePulled rewrites a pulled item in place: the asset of every pulled layer points at
// the local file (its title, relative to the item written at the top of the output folder),
// every other asset layer at blobHref(layer). Layers name their asset with stac:asset; layers
// without it (artifacts pushed by plain ORAS) are matched by title against the asset hrefs
// resolved from itemTitle's folder ("" when the item is the config). Assets with no layer
// (remote links) are kept.
func RewritePulled(it *Item, m ocispec.Manifest, itemTitle string, pulled func(ocispec.Descriptor) bool, blobHref func(ocispec.Descriptor) string) {
	byTitle := map[string]string{}
	for _, k := range it.AssetKeys() {
		if h := it.Assets[k].Href; !isRemote(h) && !path.IsAbs(h) {
			byTitle[path.Join(path.Dir(itemTitle), h)] = k
		}
	}
	for _, l := range m.Layers {
		key := l.Annotations[AnnotationAsset]
		if key == "" {
			key = byTitle[l.Annotations[AnnotationTitle]]
		}
		a, ok := it.Assets[key]
		if key == "" || !ok {
			continue
		}
		if pulled(l) && safeTitle(l.Annotations[AnnotationTitle]) {
			a.Href = l.Annotations[AnnotationTitle]
		} else {
			a.Href = blobHref(l)
		}
	}
}
