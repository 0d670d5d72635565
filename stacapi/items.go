package stacapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/eopack/eopack/stacindex"
)

// manifestType is the media type of the manifest links (EO products are OCI image manifests).
const manifestType = "application/vnd.oci.image.manifest.v1+json"

// ownRels are the link relations the API writes itself; an item's own links with these
// relations (relative to where it was made) are replaced.
var ownRels = map[string]bool{"self": true, "root": true, "parent": true, "collection": true}

// decodeJSON decodes an object keeping numbers as written.
func decodeJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

// renderItem is the item of a hit as the API serves it: in its collection, every asset's
// href the absolute URL of its blob with the layer's digest and size, the reference to pull,
// the live tags, links to the API and to the manifest by digest and by tag, and proj:epsg
// beside an EPSG proj:code.
func (s *server) renderItem(u urls, h stacindex.Hit) (map[string]any, error) {
	item, err := decodeJSON(h.Item)
	if err != nil {
		return nil, fmt.Errorf("item of %s@%s: %w", h.Repo, h.Digest, err)
	}
	id, _ := item["id"].(string)
	item["collection"] = h.Collection
	props, _ := item["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		item["properties"] = props
	}
	host := s.o.Registry
	if host == "" {
		host = u.host
	}
	props["eopack:reference"] = host + "/" + h.Repo + "@" + h.Digest.String()
	tags := h.Tags
	if tags == nil {
		tags = []string{}
	}
	props["eopack:tags"] = tags
	addEPSG(props)
	if assets, ok := item["assets"].(map[string]any); ok {
		for key, v := range assets {
			a, ok := v.(map[string]any)
			if !ok {
				continue
			}
			addEPSG(a)
			b, ok := h.Assets[key]
			if !ok {
				continue
			}
			a["href"] = s.o.AssetURL(u.origin, h.Repo, b)
			a["eopack:digest"] = b.Digest.String()
			a["eopack:size"] = b.Size
		}
	}
	links := []any{
		link{Rel: "self", Href: u.at("collections", h.Collection, "items", id), Type: typeGeoJSON},
		link{Rel: "parent", Href: u.at("collections", h.Collection), Type: typeJSON},
		link{Rel: "collection", Href: u.at("collections", h.Collection), Type: typeJSON},
		link{Rel: "root", Href: u.at(), Type: typeJSON},
		link{Rel: "alternate", Href: s.o.ManifestURL(u.origin, h.Repo, h.Digest.String()), Type: manifestType,
			Title: "OCI manifest " + h.Repo + "@" + h.Digest.String()},
	}
	for _, t := range tags {
		links = append(links, link{Rel: "alternate", Href: s.o.ManifestURL(u.origin, h.Repo, t), Type: manifestType,
			Title: "OCI manifest " + h.Repo + ":" + t})
	}
	for _, v := range h.Versions {
		title := "earlier push " + v.Created.UTC().Format("2006-01-02T15:04:05Z") + " " + v.Repo + "@" + v.Digest.String()
		if len(v.Tags) > 0 {
			title += " (" + strings.Join(v.Tags, ", ") + ")"
		}
		links = append(links, link{Rel: "predecessor-version", Href: s.o.ManifestURL(u.origin, v.Repo, v.Digest.String()),
			Type: manifestType, Title: title})
	}
	links = append(links, keptLinks(item["links"])...)
	item["links"] = links
	return item, nil
}

// keptLinks are an item's or a collection's own links that stay valid where the API serves
// it: absolute hrefs, relations the API does not write itself.
func keptLinks(v any) []any {
	list, _ := v.([]any)
	var out []any
	for _, x := range list {
		l, ok := x.(map[string]any)
		if !ok {
			continue
		}
		rel, _ := l["rel"].(string)
		href, _ := l["href"].(string)
		if ownRels[rel] || !(strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://")) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// addEPSG sets proj:epsg from a proj:code "EPSG:n" where proj:epsg is not set: readers of
// the projection extension before v2 (GDAL 3.6's STACIT driver among them) only know
// proj:epsg.
func addEPSG(m map[string]any) {
	if _, ok := m["proj:epsg"]; ok {
		return
	}
	code, _ := m["proj:code"].(string)
	n, ok := strings.CutPrefix(code, "EPSG:")
	if !ok {
		return
	}
	if epsg, err := strconv.Atoi(n); err == nil {
		m["proj:epsg"] = epsg
	}
}
