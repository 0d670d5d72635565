package stacapi

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

// TestCollections: one collection per collection id, with computed extents, the license
// default, the links ogcapi-features requires; a pushed document's fields win.
func TestCollections(t *testing.T) {
	ix, base := startAPI(t)
	ix.docs["landsat-8"] = json.RawMessage(`{"type":"Collection","stac_version":"1.1.0","id":"landsat-8",
		"title":"Landsat 8","description":"Landsat 8 scenes","license":"CC-BY-4.0",
		"providers":[{"name":"USGS"}],"links":[{"rel":"license","href":"https://example.org/l"},{"rel":"self","href":"./c.json"}]}`)
	list := get(t, base+"/collections")
	cols := list["collections"].([]any)
	if len(cols) != 2 || linkOf(t, list, "self")["href"] != base+"/collections" {
		t.Fatalf("collections: %v", list)
	}
	byID := map[string]map[string]any{}
	for _, c := range cols {
		byID[c.(map[string]any)["id"].(string)] = c.(map[string]any)
	}
	s2 := byID["sentinel-2"]
	if s2["type"] != "Collection" || s2["license"] != "other" || s2["stac_version"] == nil || s2["description"] == "" {
		t.Errorf("sentinel-2: %v", s2)
	}
	ext := s2["extent"].(map[string]any)
	bbox := ext["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
	if !slices.Equal(toFloats(bbox), []float64{10, -10, 31, 46}) {
		t.Errorf("sentinel-2 bbox %v", bbox)
	}
	interval := ext["temporal"].(map[string]any)["interval"].([]any)[0].([]any)
	if interval[0] != "2024-05-01T10:00:00Z" || interval[1] != "2024-06-01T10:00:00Z" {
		t.Errorf("sentinel-2 interval %v", interval)
	}
	if p := s2["summaries"].(map[string]any)["platform"].([]any); len(p) != 2 {
		t.Errorf("sentinel-2 platform summary %v", p)
	}
	for rel, href := range map[string]string{
		"self": base + "/collections/sentinel-2", "root": base + "/", "parent": base + "/",
		"items": base + "/collections/sentinel-2/items",
		"http://www.opengis.net/def/rel/ogc/1.0/queryables": base + "/collections/sentinel-2/queryables",
	} {
		if l := linkOf(t, s2, rel); l == nil || l["href"] != href {
			t.Errorf("sentinel-2 link %s: %v", rel, l)
		}
	}
	l8 := get(t, base+"/collections/landsat-8")
	if l8["license"] != "CC-BY-4.0" || l8["title"] != "Landsat 8" || l8["providers"] == nil {
		t.Errorf("landsat-8 with its document: %v", l8)
	}
	if l := linkOf(t, l8, "self"); l["href"] != base+"/collections/landsat-8" {
		t.Errorf("the document's relative self link survived: %v", l)
	}
	if linkOf(t, l8, "license") == nil {
		t.Error("the document's absolute license link is lost")
	}
	if l8["extent"] == nil {
		t.Error("landsat-8 lost its computed extent")
	}
}

func toFloats(v []any) []float64 {
	var out []float64
	for _, x := range v {
		out = append(out, x.(float64))
	}
	return out
}

// TestItem: an item as served: absolute asset hrefs to registry blobs with digest and size,
// the reference and tags, the API's links, the manifest by digest and by tag, proj:epsg.
func TestItem(t *testing.T) {
	ix, base := startAPI(t)
	origin := base[:len(base)-len("/stac")]
	h := ix.hits[0]
	it := get(t, base+"/collections/sentinel-2/items/s2-a")
	if it["id"] != "s2-a" || it["collection"] != "sentinel-2" || it["type"] != "Feature" {
		t.Fatalf("item %v", it)
	}
	band := it["assets"].(map[string]any)["B04"].(map[string]any)
	b := h.Assets["B04"]
	if band["href"] != origin+"/v2/eo/sentinel-2/blobs/"+b.Digest.String() ||
		band["eopack:digest"] != b.Digest.String() || band["eopack:size"] != float64(b.Size) {
		t.Errorf("asset B04: %v", band)
	}
	if meta := it["assets"].(map[string]any)["meta"].(map[string]any); meta["href"] != "https://example.org/meta.xml" {
		t.Errorf("an asset not in the artifact changed: %v", meta)
	}
	props := it["properties"].(map[string]any)
	u, _ := url.Parse(base)
	if props["eopack:reference"] != u.Host+"/eo/sentinel-2@"+h.Digest.String() {
		t.Errorf("eopack:reference %v", props["eopack:reference"])
	}
	if !slices.Equal(toStrings(props["eopack:tags"]), []string{"v1", "latest"}) {
		t.Errorf("eopack:tags %v", props["eopack:tags"])
	}
	if props["proj:epsg"] != 32633.0 || props["proj:code"] != "EPSG:32633" {
		t.Errorf("proj:epsg %v beside proj:code %v", props["proj:epsg"], props["proj:code"])
	}
	for rel, href := range map[string]string{
		"self": base + "/collections/sentinel-2/items/s2-a", "parent": base + "/collections/sentinel-2",
		"collection": base + "/collections/sentinel-2", "root": base + "/",
	} {
		if got := linksOf(it, rel); len(got) != 1 || got[0]["href"] != href {
			t.Errorf("link %s: %v", rel, got)
		}
	}
	var alt []string
	for _, l := range linksOf(it, "alternate") {
		alt = append(alt, l["href"].(string))
	}
	m := origin + "/v2/eo/sentinel-2/manifests/"
	if !slices.Equal(alt, []string{m + h.Digest.String(), m + "v1", m + "latest"}) {
		t.Errorf("manifest links %v", alt)
	}
	if linkOf(t, it, "license") == nil {
		t.Error("the item's own absolute link is lost")
	}
}

// TestItemsOfCollection: /collections/{id}/items pages through one collection's items
// with numberMatched and numberReturned, and takes bbox and datetime.
func TestItemsOfCollection(t *testing.T) {
	_, base := startAPI(t)
	fc := get(t, base+"/collections/landsat-8/items?limit=2")
	if fc["type"] != "FeatureCollection" || fc["numberMatched"] != 3.0 || fc["numberReturned"] != 2.0 {
		t.Fatalf("page 1: %v", fc)
	}
	if l := linkOf(t, fc, "collection"); l == nil || l["href"] != base+"/collections/landsat-8" {
		t.Errorf("collection link %v", l)
	}
	all := walkGet(t, base+"/collections/landsat-8/items?limit=1")
	if !slices.Equal(all, []string{"l8-c", "l8-b", "l8-a"}) {
		t.Errorf("paged through %v", all)
	}
	fc = get(t, base+"/collections/landsat-8/items?bbox=10,45,12,47&datetime=2023-01-01T00:00:00Z/2023-12-31T00:00:00Z")
	if got := ids(t, fc); !slices.Equal(got, []string{"l8-a"}) {
		t.Errorf("bbox and datetime: %v", got)
	}
}

// walkGet follows next links from url, collecting the ids of every page; each page holds at
// most the limit asked.
func walkGet(t *testing.T, url string) []string {
	t.Helper()
	var all []string
	for range 100 {
		fc := get(t, url)
		all = append(all, ids(t, fc)...)
		next := linkOf(t, fc, "next")
		if next == nil {
			return all
		}
		if next["method"] != nil && next["method"] != "GET" {
			t.Fatalf("next link of a GET: %v", next)
		}
		url = next["href"].(string)
	}
	t.Fatal("more than 100 pages")
	return nil
}
