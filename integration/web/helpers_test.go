// Package web tests the map page of `eopack serve` and STAC Browser against the registry's
// STAC API, both driven in Debian's headless chromium: two real products (a Landsat 7 scene
// split into per-band COGs and an elevation model, made with GDAL from ../shared/data) are
// pushed, found by a box drawn on the map, opened, downloaded and pulled with the command
// the page shows. Screenshots of every step are kept under $EOPACK_ARTIFACTS when it is set.
package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// product is one pushed EO product: its folder of COGs and item.json, and its reference.
type product struct {
	Dir        string
	ID         string
	Collection string
	Ref        string // host/repo:tag it was pushed to
	Files      []string
}

// gdal runs a GDAL utility with GDAL's sidecar probing off.
func gdal(t *testing.T, dir, tool string, args ...string) {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
}

// pushProducts makes the two products and pushes them to the registry at host:
// eo/landsat:2001-06-01 (six bands B1…B6, collection landsat-7) and eo/dem:v1 (collection
// olinda-dem).
func pushProducts(t *testing.T, host string) (landsat, dem product) {
	t.Helper()
	data := filepath.Join(testpeer.SharedDir(), "data")
	eopack := testpeer.Eopack(t)

	landsat = product{Dir: t.TempDir(), ID: "L7-olinda-2001-06-01", Collection: "landsat-7", Ref: host + "/eo/landsat:2001-06-01"}
	for b := 1; b <= 6; b++ {
		name := fmt.Sprintf("B%d.tif", b)
		gdal(t, landsat.Dir, "gdal_translate", "-q", "-b", fmt.Sprint(b), "-of", "COG", filepath.Join(data, "L7_ETMs.tif"), name)
		landsat.Files = append(landsat.Files, name)
	}
	dem = product{Dir: t.TempDir(), ID: "olinda-dem", Collection: "olinda-dem", Ref: host + "/eo/dem:v1", Files: []string{"dem.tif"}}
	gdal(t, dem.Dir, "gdal_translate", "-q", "-of", "COG", filepath.Join(data, "olinda_dem_utm25s.tif"), "dem.tif")

	for _, p := range []struct {
		product
		datetime string
	}{{landsat, "2001-06-01T12:57:00Z"}, {dem, "2000-02-11T00:00:00Z"}} {
		args := append([]string{"stac", "create", "-o", "item.json", "--id", p.ID, "--collection", p.Collection, "--datetime", p.datetime}, p.Files...)
		testpeer.Run(t, p.Dir, eopack, args...)
		testpeer.Run(t, p.Dir, eopack, "push", p.Ref, "--stac", "item.json")
	}
	return landsat, dem
}

// getJSON decodes the JSON answer of a GET.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
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
