// Package eo tests eopack's EO layer end to end with real peers: GDAL makes per-band COGs
// from the shared Landsat and DEM data, `eopack stac create` describes them, push --stac
// sends them to eopack serve and the pinned CNCF distribution registry, selective pulls
// bring back bands, the offline STAC validator checks every item, and GDAL reads windows
// of a COG straight from eopack serve.
package eo

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

// gdal runs a GDAL utility with GDAL's sidecar probing off.
func gdal(t *testing.T, dir, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testpeer.Bin(t, tool), args...)
	cmd.Dir = dir
	cmd.Env = gdalEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// gdalEnv keeps GDAL from probing sidecar files (.aux.xml, .ovr, …) over HTTP and makes it
// fail instead of retrying.
func gdalEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CPL_VSIL_CURL_ALLOWED_EXTENSIONS=") && !strings.HasPrefix(e, "GDAL_") {
			env = append(env, e)
		}
	}
	return append(env, "GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "GDAL_HTTP_MAX_RETRY=0", "GDAL_PAM_ENABLED=NO")
}

// product is the Landsat 7 scene split into six per-band COGs plus the DEM as a COG, with the
// item eopack stac create wrote for them, in a fresh folder.
type product struct {
	Dir   string
	Item  string   // path of item.json
	Files []string // asset file names
}

func makeProduct(t *testing.T) product {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(testpeer.SharedDir(), "data")
	copyFile(t, filepath.Join(data, "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	copyFile(t, filepath.Join(data, "olinda_dem_utm25s.tif"), filepath.Join(dir, "olinda_dem_utm25s.tif"))
	prod := product{Dir: filepath.Join(dir, "L7_olinda")}
	os.Mkdir(prod.Dir, 0o755)
	for b := 1; b <= 6; b++ {
		name := fmt.Sprintf("B%d.tif", b)
		gdal(t, dir, "gdal_translate", "-q", "-b", fmt.Sprint(b), "-of", "COG", "L7_ETMs.tif", filepath.Join(prod.Dir, name))
		prod.Files = append(prod.Files, name)
	}
	gdal(t, dir, "gdal_translate", "-q", "-of", "COG", "olinda_dem_utm25s.tif", filepath.Join(prod.Dir, "dem.tif"))
	prod.Files = append(prod.Files, "dem.tif")
	prod.Item = filepath.Join(prod.Dir, "item.json")
	args := append([]string{"stac", "create", "-o", "item.json", "--datetime", "2001-06-01T12:57:00Z"}, prod.Files...)
	testpeer.Run(t, prod.Dir, testpeer.Eopack(t), args...)
	validate(t, prod.Item)
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

// httpGet returns the body of a GET.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// tags lists a repository's tags on a registry (none when the repository does not exist).
func tags(t *testing.T, host, repo string) []string {
	t.Helper()
	code, body := httpGet(t, "http://"+host+"/v2/"+repo+"/tags/list")
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
