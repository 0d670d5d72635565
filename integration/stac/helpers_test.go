// Package stac tests the STAC API of eopack serve end to end: real products (COGs that GDAL
// makes from the shared Landsat and DEM data, items that `eopack stac create` writes) pushed
// with `eopack push --stac`, searched by place, time and CQL2 filters over HTTP, every link
// followed, responses checked by the offline STAC validator, and GDAL's STACIT driver opening
// a search as a mosaic whose pixels equal the pushed band's.
package stac

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestMain keeps the products in one folder for the package's tests and removes it after.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eopack-stac-products-")
	if err != nil {
		panic(err)
	}
	productsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	productsDir  string
	productsOnce sync.Once
	made         [3]testpeer.Product
)

// products makes, once for the package, three products from the shared data: the Landsat
// scene's bands 1-3 (collection landsat-7, June 2001), the western third of the same scene
// (landsat-7, July 2001), and the elevation model (no collection, March 2010). Tests only
// read them.
func products(t *testing.T) (l7, west, dem testpeer.Product) {
	t.Helper()
	productsOnce.Do(func() { made[0], made[1], made[2] = makeProducts(t) })
	if made[0].Dir == "" {
		t.Fatal("making the products failed in an earlier test")
	}
	return made[0], made[1], made[2]
}

func makeProducts(t *testing.T) (l7, west, dem testpeer.Product) {
	dir := productsDir
	scene := filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif")
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-srcwin", "0", "0", "120", "352", scene, filepath.Join(dir, "west.tif"))
	mk := func(id string, o testpeer.ProductOptions) testpeer.Product {
		o.ID = id
		return testpeer.MakeProduct(t, filepath.Join(dir, id), o)
	}
	l7 = mk("l7-olinda", testpeer.ProductOptions{Bands: 3, Collection: "landsat-7", Datetime: "2001-06-01T12:57:00Z"})
	west = mk("l7-olinda-west", testpeer.ProductOptions{Scene: filepath.Join(dir, "west.tif"), Bands: 3, Collection: "landsat-7", Datetime: "2001-07-03T12:57:00Z"})
	dem = mk("olinda-dem", testpeer.ProductOptions{DEM: true, Datetime: "2010-03-01T00:00:00Z"})
	return l7, west, dem
}

// push sends a product to ref with --stac.
func push(t *testing.T, p testpeer.Product, ref string) {
	t.Helper()
	testpeer.Run(t, p.Dir, testpeer.Eopack(t), "push", ref, "--stac", "item.json")
}

// getJSON GETs a URL that must answer 200 with the content type, and decodes it.
func getJSON(t *testing.T, url, wantType string) map[string]any {
	t.Helper()
	return decode(t, "GET", url, nil, wantType)
}

func decode(t *testing.T, method, url string, body []byte, wantType string) map[string]any {
	t.Helper()
	status, h, b := testpeer.HTTP(t, method, url, body)
	if status != http.StatusOK || h.Get("Content-Type") != wantType {
		t.Fatalf("%s %s: %d %s: %s", method, url, status, h.Get("Content-Type"), b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return m
}

// ids lists the ids of an ItemCollection's features.
func ids(fc map[string]any) []string {
	out := []string{}
	for _, f := range fc["features"].([]any) {
		out = append(out, f.(map[string]any)["id"].(string))
	}
	return out
}

// href is the href of the first link with rel.
func href(t *testing.T, doc map[string]any, rel string) string {
	t.Helper()
	for _, l := range doc["links"].([]any) {
		if m := l.(map[string]any); m["rel"] == rel {
			return m["href"].(string)
		}
	}
	t.Fatalf("no %s link in %v", rel, doc["links"])
	return ""
}

// validate runs the offline STAC validator on JSON documents written to temporary files.
// proj:epsg is taken out first, everywhere: it is served for GDAL 3.6, which reads nothing
// else, beside projection v2's proj:code, and the projection v2.0.0 schema allows no proj:
// field it does not define. Everything else is validated as served.
func validate(t *testing.T, docs map[string]any) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, doc := range docs {
		b, _ := json.Marshal(doc)
		var copied any
		json.Unmarshal(b, &copied)
		dropEPSG(copied)
		b, _ = json.MarshalIndent(copied, "", " ")
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, err := testpeer.RunErr("", filepath.Join(testpeer.SharedDir(), "stac-schemas", "validate.sh"), files...)
	if err != nil || !strings.Contains(out, "Invalid: 0") {
		t.Fatalf("STAC validation of %v failed: %v\n%s", files, err, out)
	}
}

// dropEPSG removes every proj:epsg member from a decoded JSON document.
func dropEPSG(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "proj:epsg")
		for _, c := range x {
			dropEPSG(c)
		}
	case []any:
		for _, c := range x {
			dropEPSG(c)
		}
	}
}
