package stac

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const itemJSON = `{
  "type": "Feature", "stac_version": "1.1.0", "id": "scene-1", "collection": "landsat",
  "stac_extensions": ["https://stac-extensions.github.io/eo/v2.0.0/schema.json"],
  "geometry": null, "bbox": [-35, -8.1, -34.8, -7.9],
  "properties": {"datetime": "2001-06-01T12:00:00Z", "custom:keep": 7, "custom:big": 12345678901234567890},
  "links": [{"rel": "collection", "href": "collection.json"}],
  "assets": {
    "B04": {"href": "./bands/B04.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"], "bands": [{"name": "B04", "eo:common_name": "red"}], "file:size": 5},
    "B08": {"href": "bands/B08.tif", "type": "image/tiff; application=geotiff", "roles": ["data"],
            "eo:bands": [{"name": "B08", "common_name": "nir"}]},
    "thumb": {"href": "https://example.com/thumb.png", "type": "image/png", "roles": ["thumbnail"]}
  }
}`

func writeProduct(t *testing.T, item string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bands"), 0o755)
	os.WriteFile(filepath.Join(dir, "bands", "B04.tif"), []byte("four"), 0o644)
	os.WriteFile(filepath.Join(dir, "bands", "B08.tif"), []byte("eight"), 0o644)
	p := filepath.Join(dir, "item.json")
	os.WriteFile(p, []byte(item), 0o644)
	return p
}

func TestPlanProduct(t *testing.T) {
	p, err := PlanProduct(writeProduct(t, itemJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || len(p.Remote) != 1 || p.Remote[0].Key != "thumb" {
		t.Fatalf("files %+v remote %+v", p.Files, p.Remote)
	}
	b04 := p.Files[0]
	want := map[string]string{
		"org.opencontainers.image.title": "bands/B04.tif", "stac:asset": "B04", "stac:roles": "data",
		"stac:type": "image/tiff; application=geotiff; profile=cloud-optimized", "eo:band": "B04",
	}
	for k, v := range want {
		if b04.Annotations[k] != v {
			t.Errorf("B04 %s = %q, want %q", k, b04.Annotations[k], v)
		}
	}
	if b04.MediaType != "image/tiff" || p.Files[1].Annotations["eo:band"] != "B08" {
		t.Errorf("B04 type %q, B08 band %q", b04.MediaType, p.Files[1].Annotations["eo:band"])
	}
	ann := p.Annotations
	if ann["stac:id"] != "scene-1" || ann["stac:collection"] != "landsat" || ann["stac:datetime"] != "2001-06-01T12:00:00Z" || ann["stac:bbox"] != "-35,-8.1,-34.8,-7.9" {
		t.Errorf("manifest annotations %v", ann)
	}
	// The stored item: hrefs are the titles, remote links and unknown fields kept.
	var back map[string]any
	json.Unmarshal(p.ItemJSON, &back)
	assets := back["assets"].(map[string]any)
	if h := assets["B04"].(map[string]any)["href"]; h != "bands/B04.tif" {
		t.Errorf("stored B04 href %v", h)
	}
	if h := assets["thumb"].(map[string]any)["href"]; h != "https://example.com/thumb.png" {
		t.Errorf("stored thumb href %v", h)
	}
	if assets["B04"].(map[string]any)["file:size"] != float64(5) || back["properties"].(map[string]any)["custom:keep"] != float64(7) {
		t.Errorf("unknown fields lost: %s", p.ItemJSON)
	}
	if !strings.Contains(string(p.ItemJSON), "12345678901234567890") {
		t.Errorf("large number not kept exactly: %s", p.ItemJSON)
	}
}

func TestPlanProductBadInputs(t *testing.T) {
	cases := []struct {
		name, item string
		want       error
		msg        string
	}{
		{"not json", "{not json", ErrNotJSON, ""},
		{"not item", `{"type":"FeatureCollection","features":[]}`, ErrNotItem, "FeatureCollection"},
		{"escape", strings.Replace(itemJSON, "./bands/B04.tif", "../../etc/passwd", 1), ErrEscapes, "../../etc/passwd"},
		{"absolute escape", strings.Replace(itemJSON, "./bands/B04.tif", "/etc/passwd", 1), ErrEscapes, "/etc/passwd"},
		{"missing", strings.Replace(itemJSON, "./bands/B04.tif", "bands/B05.tif", 1), os.ErrNotExist, "B05.tif"},
		{"item title clash", strings.Replace(itemJSON, "./bands/B04.tif", "item.json", 1), ErrDuplicate, "item.json"},
	}
	for _, c := range cases {
		_, err := PlanProduct(writeProduct(t, c.item))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want %v mentioning %q", c.name, err, c.want, c.msg)
		}
	}
}

func layer(key, band, role, title string, n byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes([]byte{n}), Size: int64(n),
		Annotations: map[string]string{AnnotationAsset: key, AnnotationBand: band, AnnotationRoles: role, AnnotationTitle: title}}
}

func testManifest() ocispec.Manifest {
	return ocispec.Manifest{Layers: []ocispec.Descriptor{
		layer("B04", "B04", "data", "B04.tif", 1),
		layer("B08", "B08", "data", "B08.tif", 2),
		layer("RGB", "B04,B03,B02", "visual,overview", "rgb.tif", 3),
		{MediaType: MediaTypeItemLayer, Digest: digest.FromBytes([]byte{4}), Annotations: ItemLayerAnnotations()},
	}}
}

func TestSelect(t *testing.T) {
	m := testManifest()
	cases := []struct {
		f    Filter
		want []string
	}{
		{Filter{Assets: []string{"B08", "RGB"}}, []string{"B08", "RGB"}},
		{Filter{Bands: []string{"b04"}}, []string{"B04", "RGB"}},
		{Filter{Roles: []string{"visual"}}, []string{"RGB"}},
		{Filter{Roles: []string{"data"}, Bands: []string{"B08"}}, []string{"B08"}},
		{Filter{MediaTypes: []string{"image/tiff"}}, []string{"B04", "B08", "RGB"}},
		{Filter{Annotations: map[string]string{"org.opencontainers.image.title": "rgb.tif"}}, []string{"RGB"}},
	}
	for _, c := range cases {
		got, err := Select(m, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.f, err)
		}
		var keys []string
		for _, d := range got {
			keys = append(keys, d.Annotations[AnnotationAsset])
		}
		if strings.Join(keys, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: got %v, want %v", c.f, keys, c.want)
		}
	}
	_, err := Select(m, Filter{Bands: []string{"B12"}})
	if !errors.Is(err, ErrNoAssets) || !strings.Contains(err.Error(), "--band B12") || !strings.Contains(err.Error(), "B08 (band B08") {
		t.Errorf("no-match error %v", err)
	}
}

func TestRewritePulled(t *testing.T) {
	it, err := Parse([]byte(itemJSON))
	if err != nil {
		t.Fatal(err)
	}
	m := ocispec.Manifest{Layers: []ocispec.Descriptor{layer("B04", "B04", "data", "bands/B04.tif", 1), layer("B08", "B08", "data", "bands/B08.tif", 2)}}
	RewritePulled(it, m, "", func(d ocispec.Descriptor) bool { return d.Annotations[AnnotationAsset] == "B04" },
		func(d ocispec.Descriptor) string { return BlobURL("http", "127.0.0.1:5000", "eo/l7", d) })
	if it.Assets["B04"].Href != "bands/B04.tif" {
		t.Errorf("B04 href %q", it.Assets["B04"].Href)
	}
	if want := "http://127.0.0.1:5000/v2/eo/l7/blobs/" + digest.FromBytes([]byte{2}).String(); it.Assets["B08"].Href != want {
		t.Errorf("B08 href %q, want %q", it.Assets["B08"].Href, want)
	}
	if it.Assets["thumb"].Href != "https://example.com/thumb.png" {
		t.Errorf("remote href changed: %q", it.Assets["thumb"].Href)
	}
}

func TestSummarize(t *testing.T) {
	m := testManifest()
	m.Config = ocispec.Descriptor{MediaType: MediaTypeItemConfig}
	m.Annotations = map[string]string{AnnotationID: "x", AnnotationBBox: "1,2,3,4"}
	s := Summarize(m, nil)
	if s.ID != "x" || len(s.BBox) != 4 || s.BBox[3] != 4 || len(s.Assets) != 3 || s.Size != 6 || s.ItemIn != "both" {
		t.Errorf("summary %+v", s)
	}
	if NeedsItem(m) {
		t.Error("annotated manifest should not need its item")
	}
}

func TestParsePlacementAndBBox(t *testing.T) {
	if _, err := ParsePlacement("attic"); err == nil {
		t.Error("bad --stac-in accepted")
	}
	if p, _ := ParsePlacement("both"); !p.Config() || !p.Layer() {
		t.Error("both")
	}
	if _, err := ParseBBox("1,2,3"); err == nil {
		t.Error("3-number bbox accepted")
	}
	if b, err := ParseBBox("-35,-8.1,-34.8,-7.9"); err != nil || b[1] != -8.1 {
		t.Errorf("bbox %v %v", b, err)
	}
}

func TestRewritePulledSeedForm(t *testing.T) {
	// oras push data/imagery.tif:image/tiff data/stac_item.json:application/geo+json — no
	// eopack annotations; the item sits in data/ and its href is relative to it.
	it, err := Parse([]byte(`{"type":"Feature","stac_version":"1.1.0","id":"x","geometry":null,"properties":{"datetime":null},"links":[],
		"assets":{"img":{"href":"imagery.tif"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	img := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes([]byte{1}), Annotations: map[string]string{AnnotationTitle: "data/imagery.tif"}}
	item := ocispec.Descriptor{MediaType: MediaTypeItemLayer, Digest: digest.FromBytes([]byte{2}), Annotations: map[string]string{AnnotationTitle: "data/stac_item.json"}}
	m := ocispec.Manifest{Layers: []ocispec.Descriptor{img, item}}
	d, ok := ItemDescriptor(m)
	if !ok || d.Digest != item.Digest {
		t.Fatalf("item descriptor %v %v", d, ok)
	}
	RewritePulled(it, m, "data/stac_item.json", func(ocispec.Descriptor) bool { return true }, nil)
	if it.Assets["img"].Href != "data/imagery.tif" {
		t.Errorf("href %q", it.Assets["img"].Href)
	}
}
