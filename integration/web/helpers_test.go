// Package web tests the map page of `eopack serve` and STAC Browser against the registry's
// STAC API, both driven in Debian's headless chromium: two real products (a Landsat 7 scene
// split into per-band COGs and an elevation model, made with GDAL from ../shared/data) are
// pushed, found by a box drawn on the map, opened, downloaded and pulled with the command
// the page shows. Screenshots of every step are kept under $EOPACK_ARTIFACTS when it is set.
package web

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// product is one pushed EO product: its folder of COGs and item.json, and its reference.
type product struct {
	testpeer.Product
	ID         string
	Collection string
	Ref        string // host/repo:tag it was pushed to
}

// pushProducts makes the two products and pushes them to the registry at host:
// eo/landsat:2001-06-01 (six bands B1…B6, collection landsat-7) and eo/dem:v1 (collection
// olinda-dem).
func pushProducts(t *testing.T, host string) (landsat, dem product) {
	t.Helper()
	eopack := testpeer.Eopack(t)
	landsat = product{ID: "L7-olinda-2001-06-01", Collection: "landsat-7", Ref: host + "/eo/landsat:2001-06-01"}
	landsat.Product = testpeer.MakeProduct(t, t.TempDir(), testpeer.ProductOptions{
		Bands: 6, ID: landsat.ID, Collection: landsat.Collection, Datetime: "2001-06-01T12:57:00Z"})
	dem = product{ID: "olinda-dem", Collection: "olinda-dem", Ref: host + "/eo/dem:v1"}
	dem.Product = testpeer.MakeProduct(t, t.TempDir(), testpeer.ProductOptions{
		DEM: true, ID: dem.ID, Collection: dem.Collection, Datetime: "2000-02-11T00:00:00Z"})
	for _, p := range []product{landsat, dem} {
		testpeer.Run(t, p.Dir, eopack, "push", p.Ref, "--stac", "item.json")
	}
	return landsat, dem
}

// getJSON decodes the JSON answer of a GET.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	status, b := testpeer.Get(t, url)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", url, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// keepScreenshot copies a screenshot to the path in $EOPACK_WEB_SCREENSHOT when it is set:
// the README's picture of the page (docs/web.png) is taken this way.
func keepScreenshot(t *testing.T, png string) {
	dst := os.Getenv("EOPACK_WEB_SCREENSHOT")
	if dst == "" || png == "" {
		return
	}
	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	testpeer.WriteFile(t, dst, b)
}
