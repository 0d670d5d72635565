// Package eo tests eopack's EO layer end to end with real peers: GDAL makes per-band COGs
// from the shared Landsat and DEM data, `eopack stac create` describes them, push --stac
// sends them to eopack serve and the pinned CNCF distribution registry, selective pulls
// bring back bands, the offline STAC validator checks every item, and GDAL reads windows
// of a COG straight from eopack serve.
package eo

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeProduct makes the Landsat 7 scene split into six per-band COGs plus the DEM as a COG,
// with the item eopack stac create wrote for them, in a fresh folder, and validates the item.
func makeProduct(t *testing.T) testpeer.Product {
	t.Helper()
	prod := testpeer.MakeProduct(t, filepath.Join(t.TempDir(), "L7_olinda"),
		testpeer.ProductOptions{Bands: 6, DEM: true, Datetime: "2001-06-01T12:57:00Z"})
	validate(t, prod.Item())
	return prod
}

// validate runs the offline STAC validator on files.
func validate(t *testing.T, files ...string) {
	t.Helper()
	script := filepath.Join(testpeer.SharedDir(), "stac-schemas", "validate.sh")
	out, err := testpeer.RunErr("", script, files...)
	if err != nil || !strings.Contains(out, "Invalid: 0") {
		t.Fatalf("STAC validation of %v failed: %v\n%s", files, err, out)
	}
}

// readJSON decodes a JSON file into a generic map.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// assetHref returns assets[key].href of a decoded item.
func assetHref(t *testing.T, item map[string]any, key string) string {
	t.Helper()
	a, ok := item["assets"].(map[string]any)[key].(map[string]any)
	if !ok {
		t.Fatalf("item has no asset %q", key)
	}
	return a["href"].(string)
}

// tags lists a repository's tags on a registry (none when the repository does not exist).
func tags(t *testing.T, host, repo string) []string {
	t.Helper()
	code, body := testpeer.Get(t, "http://"+host+"/v2/"+repo+"/tags/list")
	if code == http.StatusNotFound {
		return nil
	}
	var tl struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &tl); err != nil {
		t.Fatalf("tags/list %d: %s", code, body)
	}
	return tl.Tags
}
