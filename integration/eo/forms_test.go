package eo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestStacInLayerWithRemoteLink: --stac-in layer on an OCI layout; a remote asset is reported
// and kept as a link; a selective pull points unpulled assets at the layout's blob files.
func TestStacInLayerWithRemoteLink(t *testing.T) {
	prod := makeProduct(t)
	eopack := testpeer.Eopack(t)
	item := readJSON(t, prod.Item())
	item["assets"].(map[string]any)["thumb"] = map[string]any{"href": "https://example.com/thumb.png", "type": "image/png", "roles": []string{"thumbnail"}}
	b, _ := json.MarshalIndent(item, "", "  ")
	os.WriteFile(filepath.Join(prod.Dir, "item-links.json"), b, 0o644)

	layout := filepath.Join(t.TempDir(), "eo-layout")
	out := testpeer.Run(t, prod.Dir, eopack, "push", "--oci-layout", layout+":eo/products:v1", "--stac", "item-links.json", "--stac-in", "layer")
	if !strings.Contains(out, `asset "thumb" has a remote href https://example.com/thumb.png`) {
		t.Errorf("remote asset not reported:\n%s", out)
	}
	var sum struct {
		ItemIn string `json:"itemIn"`
		Assets []struct{ Key string }
	}
	json.Unmarshal([]byte(testpeer.Run(t, "", eopack, "inspect", "--oci-layout", layout+":eo/products:v1", "--format", "json")), &sum)
	if sum.ItemIn != "layer" || len(sum.Assets) != 7 {
		t.Errorf("inspect %+v", sum)
	}

	dst := t.TempDir()
	testpeer.Run(t, "", eopack, "pull", "--oci-layout", layout+":eo/products:v1", "--stac", "--asset", "B1,dem", "-o", dst)
	validate(t, filepath.Join(dst, "item.json"))
	got := readJSON(t, filepath.Join(dst, "item.json"))
	if h := assetHref(t, got, "thumb"); h != "https://example.com/thumb.png" {
		t.Errorf("thumb href %q", h)
	}
	if assetHref(t, got, "B1") != "B1.tif" || assetHref(t, got, "dem") != "dem.tif" {
		t.Errorf("pulled hrefs %q %q", assetHref(t, got, "B1"), assetHref(t, got, "dem"))
	}
	b2 := assetHref(t, got, "B2")
	if !strings.HasPrefix(b2, layout+"/blobs/sha256/") {
		t.Fatalf("B2 href %q, want a blob of %s", b2, layout)
	}
	testpeer.SameFile(t, filepath.Join(prod.Dir, "B2.tif"), b2)
}

// TestSeedFormPushedByORAS: the seed's workflow — plain `oras push` of a GeoTIFF and a STAC
// item layer (no eopack annotations) — is still understood by inspect and pull --stac.
func TestSeedFormPushedByORAS(t *testing.T) {
	prod := makeProduct(t)
	reg := testpeer.StartDistribution(t)
	work := t.TempDir()
	os.Mkdir(filepath.Join(work, "data"), 0o755)
	copyFile(t, filepath.Join(prod.Dir, "B4.tif"), filepath.Join(work, "data", "imagery.tif"))
	item := readJSON(t, prod.Item())
	assets := item["assets"].(map[string]any)
	b4 := assets["B4"].(map[string]any)
	b4["href"] = "imagery.tif"
	item["assets"] = map[string]any{"imagery": b4}
	item["id"] = "seed-scene"
	b, _ := json.MarshalIndent(item, "", "  ")
	os.WriteFile(filepath.Join(work, "data", "stac_item.json"), b, 0o644)

	ref := reg.Host() + "/eo/products:v1"
	testpeer.Run(t, work, testpeer.Bin(t, "oras"), "push", "--plain-http", ref,
		"--artifact-type", "application/vnd.my-earth-observation-product.v1",
		"data/imagery.tif:image/tiff", "data/stac_item.json:application/geo+json")

	eopack := testpeer.Eopack(t)
	out := testpeer.Run(t, "", eopack, "inspect", ref)
	if !strings.Contains(out, "seed-scene") || !strings.Contains(out, "data/imagery.tif") {
		t.Errorf("inspect of the seed form:\n%s", out)
	}
	dst := t.TempDir()
	testpeer.Run(t, "", eopack, "pull", ref, "--stac", "-o", dst)
	testpeer.SameFile(t, filepath.Join(work, "data", "imagery.tif"), filepath.Join(dst, "data", "imagery.tif"))
	validate(t, filepath.Join(dst, "item.json"))
	if h := assetHref(t, readJSON(t, filepath.Join(dst, "item.json")), "imagery"); h != "data/imagery.tif" {
		t.Errorf("imagery href %q", h)
	}
}
