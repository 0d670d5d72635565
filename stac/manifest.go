package stac

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types and annotation keys of an EO product (ARCHITECTURE.md, "Conventions").
const (
	ArtifactType        = "application/vnd.eopack.eo.product.v1"
	MediaTypeItemConfig = "application/vnd.eopack.stac.item.v1+json"
	MediaTypeItemLayer  = "application/geo+json"

	AnnotationTitle = ocispec.AnnotationTitle
	AnnotationAsset = "stac:asset"
	AnnotationRoles = "stac:roles"
	AnnotationType  = "stac:type"
	AnnotationBand  = "eo:band"
	// AnnotationKind with value KindItem marks the layer holding the STAC item (seed's form).
	AnnotationKind = "type"
	KindItem       = "stac-item"

	AnnotationID         = "stac:id"
	AnnotationCollection = "stac:collection"
	AnnotationDatetime   = "stac:datetime"
	AnnotationBBox       = "stac:bbox"

	// ItemLayerTitle is the title of the item layer, and the file name pull writes it to.
	ItemLayerTitle = "item.json"
)

// Placement says where the item goes in the manifest.
type Placement string

// Placements accepted by --stac-in.
const (
	InConfig Placement = "config"
	InLayer  Placement = "layer"
	InBoth   Placement = "both"
)

// ParsePlacement checks a --stac-in value ("" means config).
func ParsePlacement(s string) (Placement, error) {
	switch p := Placement(s); p {
	case "":
		return InConfig, nil
	case InConfig, InLayer, InBoth:
		return p, nil
	}
	return "", fmt.Errorf("--stac-in %q: want config, layer or both", s)
}

// Config reports whether the item goes into the config.
func (p Placement) Config() bool { return p == InConfig || p == InBoth }

// Layer reports whether the item goes into a layer.
func (p Placement) Layer() bool { return p == InLayer || p == InBoth }

// AssetFile is one local asset that becomes one layer.
type AssetFile struct {
	Key         string
	Path        string // local file to upload
	Title       string // org.opencontainers.image.title: slash-separated, relative to the item
	MediaType   string // STAC type without parameters
	Annotations map[string]string
}

// RemoteAsset is an asset whose href is a URL: kept as a link in the item, not uploaded.
type RemoteAsset struct{ Key, Href string }

// Product is what pushing a STAC item uploads.
type Product struct {
	Item        *Item  // the item with local hrefs rewritten to layer titles
	ItemJSON    []byte // Item encoded: the config and/or item layer content
	Files       []AssetFile
	Remote      []RemoteAsset
	Annotations map[string]string // manifest annotations
}

// ItemLayerAnnotations are the annotations of the layer holding the item.
func ItemLayerAnnotations() map[string]string {
	return map[string]string{AnnotationTitle: ItemLayerTitle, AnnotationKind: KindItem}
}

// PlanProduct reads the STAC item at itemPath and maps it to the layers of a manifest. Every
// local href must name an existing regular file inside the item's folder.
func PlanProduct(itemPath string) (*Product, error) {
	it, err := ReadFile(itemPath)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(itemPath))
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	p := &Product{Item: it.Clone()}
	titles := map[string]string{ItemLayerTitle: "the STAC item"}
	for _, key := range it.AssetKeys() {
		a := p.Item.Assets[key]
		if isRemote(a.Href) {
			p.Remote = append(p.Remote, RemoteAsset{Key: key, Href: a.Href})
			continue
		}
		file, title, err := localAsset(dir, a.Href)
		if err != nil {
			return nil, fmt.Errorf("asset %q: %w", key, err)
		}
		if other, dup := titles[title]; dup {
			return nil, fmt.Errorf("asset %q and %s both map to %q: %w", key, other, title, ErrDuplicate)
		}
		titles[title] = fmt.Sprintf("asset %q", key)
		a.Href = title
		p.Files = append(p.Files, AssetFile{
			Key: key, Path: file, Title: title,
			MediaType: BaseMediaType(a.Type), Annotations: assetAnnotations(key, title, a),
		})
	}
	if p.ItemJSON, err = p.Item.Encode(); err != nil {
		return nil, err
	}
	p.Annotations = ProductAnnotations(p.Item)
	return p, nil
}

// isRemote reports whether href is a URL eopack keeps as a link.
func isRemote(href string) bool {
	u, err := url.Parse(href)
	return err == nil && u.Scheme != "" && u.Scheme != "file" && len(u.Scheme) > 1
}

// localAsset resolves a local href against the item folder dir (absolute, symlinks resolved)
// and returns the file path and its slash-separated title. It refuses hrefs that leave dir.
func localAsset(dir, href string) (file, title string, err error) {
	p := href
	if u, perr := url.Parse(href); perr == nil && (u.Scheme == "file" || u.Scheme == "") {
		p = u.Path
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, filepath.FromSlash(p))
	}
	p = filepath.Clean(p)
	if real, rerr := filepath.EvalSymlinks(p); rerr == nil {
		p = real
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == "." {
		return "", "", fmt.Errorf("%q: %w", href, ErrEscapes)
	}
	st, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("file %q: %w", href, os.ErrNotExist)
	} else if err != nil {
		return "", "", fmt.Errorf("file %q: %w", href, err)
	}
	if !st.Mode().IsRegular() {
		return "", "", fmt.Errorf("%q is not a regular file", href)
	}
	return p, filepath.ToSlash(rel), nil
}

// BaseMediaType strips parameters from a STAC type (OCI media types carry none);
// an empty type becomes application/octet-stream.
func BaseMediaType(t string) string {
	t = strings.TrimSpace(strings.SplitN(t, ";", 2)[0])
	if t == "" {
		return "application/octet-stream"
	}
	return strings.ToLower(t)
}

func assetAnnotations(key, title string, a *Asset) map[string]string {
	ann := map[string]string{AnnotationTitle: title, AnnotationAsset: key}
	if len(a.Roles) > 0 {
		ann[AnnotationRoles] = strings.Join(a.Roles, ",")
	}
	if a.Type != "" {
		ann[AnnotationType] = a.Type
	}
	if names := a.BandNames(); len(names) > 0 {
		ann[AnnotationBand] = strings.Join(names, ",")
	}
	return ann
}

// ProductAnnotations are the manifest annotations that let a product be listed without
// fetching its config.
func ProductAnnotations(it *Item) map[string]string {
	ann := map[string]string{AnnotationID: it.ID}
	if it.Collection != "" {
		ann[AnnotationCollection] = it.Collection
	}
	if dt := it.Datetime(); dt != "" {
		ann[AnnotationDatetime] = dt
	}
	if len(it.BBox) == 4 || len(it.BBox) == 6 {
		ann[AnnotationBBox] = FormatBBox(ProductBBox(it))
	}
	return ann
}

// ItemDescriptor finds the descriptor holding the STAC item: the config when its media
// type is MediaTypeItemConfig, else the layer annotated type=stac-item, else (the seed's
// form pushed by plain ORAS, without annotations) the first application/geo+json layer.
func ItemDescriptor(m ocispec.Manifest) (ocispec.Descriptor, bool) {
	if m.Config.MediaType == MediaTypeItemConfig {
		return m.Config, true
	}
	for _, l := range m.Layers {
		if IsItemLayer(l) {
			return l, true
		}
	}
	for _, l := range m.Layers {
		if l.MediaType == MediaTypeItemLayer {
			return l, true
		}
	}
	return ocispec.Descriptor{}, false
}

// IsItemLayer reports whether a layer holds the STAC item.
func IsItemLayer(d ocispec.Descriptor) bool { return d.Annotations[AnnotationKind] == KindItem }

// safeTitle reports whether a layer title is a relative slash path that stays inside the
// output folder.
func safeTitle(t string) bool {
	if t == "" || strings.HasPrefix(t, "/") || strings.Contains(t, "\\") {
		return false
	}
	c := path.Clean(t)
	return c == t && c != "." && c != ".." && !strings.HasPrefix(c, "../")
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
