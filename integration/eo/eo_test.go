package eo

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestStacCreateMatchesGDAL: the item's WGS84 bbox/geometry equal gdalinfo's wgs84Extent to
// 1e-6°, proj:* equal GDAL's georeferencing, and COG vs plain GeoTIFF is told apart.
func TestStacCreateMatchesGDAL(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "COG", "L7_ETMs.tif", "L7_cog.tif")
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "COG", "-co", "BIGTIFF=YES", "L7_ETMs.tif", "L7_bigtiff.tif")
	for _, name := range []string{"L7_ETMs.tif", "L7_cog.tif", "L7_bigtiff.tif"} {
		testpeer.Run(t, dir, testpeer.Eopack(t), "stac", "create", name, "-o", "item.json", "--datetime", "2001-06-01T12:57:00Z")
		validate(t, filepath.Join(dir, "item.json"))
		item := readJSON(t, filepath.Join(dir, "item.json"))

		var info struct {
			GeoTransform []float64 `json:"geoTransform"`
			Size         []int     `json:"size"`
			WGS84Extent  struct {
				Coordinates [][][]float64 `json:"coordinates"`
			} `json:"wgs84Extent"`
		}
		if err := json.Unmarshal([]byte(testpeer.GDAL(t, dir, "gdalinfo", "-json", name)), &info); err != nil {
			t.Fatal(err)
		}
		ring := info.WGS84Extent.Coordinates[0]
		w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range ring {
			w, e, s, n = math.Min(w, p[0]), math.Max(e, p[0]), math.Min(s, p[1]), math.Max(n, p[1])
		}
		bbox := item["bbox"].([]any)
		for i, want := range []float64{w, s, e, n} {
			if d := math.Abs(bbox[i].(float64) - want); d > 1e-6 {
				t.Errorf("%s: bbox[%d] = %.9f, gdalinfo %.7f", name, i, bbox[i], want)
			}
		}
		geom := item["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)
		for i, p := range ring {
			q := geom[i].([]any)
			if math.Abs(q[0].(float64)-p[0]) > 1e-6 || math.Abs(q[1].(float64)-p[1]) > 1e-6 {
				t.Errorf("%s: geometry vertex %d = %v, gdalinfo %v", name, i, q, p)
			}
		}
		props := item["properties"].(map[string]any)
		if props["proj:code"] != "EPSG:31985" {
			t.Errorf("%s: proj:code %v", name, props["proj:code"])
		}
		shape := props["proj:shape"].([]any)
		if int(shape[0].(float64)) != info.Size[1] || int(shape[1].(float64)) != info.Size[0] {
			t.Errorf("%s: proj:shape %v, gdal size %v", name, shape, info.Size)
		}
		tr := props["proj:transform"].([]any)
		g := info.GeoTransform
		for i, want := range []float64{g[1], g[2], g[0], g[4], g[5], g[3]} {
			if math.Abs(tr[i].(float64)-want) > 1e-6 {
				t.Errorf("%s: proj:transform %v, gdal geoTransform %v", name, tr, g)
				break
			}
		}
		key := strings.TrimSuffix(name, ".tif")
		asset := item["assets"].(map[string]any)[key].(map[string]any)
		wantType := "image/tiff; application=geotiff"
		if name != "L7_ETMs.tif" {
			wantType += "; profile=cloud-optimized"
		}
		if asset["type"] != wantType {
			t.Errorf("%s: type %q, want %q", name, asset["type"], wantType)
		}
		if bands := asset["bands"].([]any); len(bands) != 6 || bands[0].(map[string]any)["data_type"] != "uint8" {
			t.Errorf("%s: bands %v", name, bands)
		}
	}
}

// TestStacCreateRefusesUngeoreferencedTIFF: a plain TIFF gets a one-line error, no item.
func TestStacCreateRefusesUngeoreferencedTIFF(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "GTiff", "-co", "PROFILE=BASELINE", "-b", "1", "L7_ETMs.tif", "plain.tif")
	os.Remove(filepath.Join(dir, "plain.tif.aux.xml"))
	out, err := testpeer.RunErr(dir, testpeer.Eopack(t), "stac", "create", "plain.tif", "-o", "item.json", "--datetime", "2001-06-01T00:00:00Z")
	if err == nil || !oneLineError(out, "not georeferenced") {
		t.Fatalf("want a one-line 'not georeferenced' error, got %v:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "item.json")); !os.IsNotExist(err) {
		t.Error("item.json written despite the error")
	}
}

// oneLineError reports whether out holds exactly one "Error: " line containing want.
func oneLineError(out, want string) bool {
	var errs []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "Error: ") {
			errs = append(errs, l)
		}
	}
	return len(errs) == 1 && strings.Contains(errs[0], want)
}

// registries starts both registries the product round-trips through.
func registries(t *testing.T) map[string]*testpeer.Server {
	return map[string]*testpeer.Server{
		"distribution": testpeer.StartDistribution(t),
		"serve":        testpeer.StartServe(t, ""),
	}
}

// TestProductRoundTrip pushes the Landsat+DEM product with --stac to each registry, inspects
// it, pulls one band (only that band moves; the item points at the registry for the rest),
// pulls everything, and compares bytes; ORAS pulls the same artifact as plain files.
func TestProductRoundTrip(t *testing.T) {
	prod := makeProduct(t)
	eopack := testpeer.Eopack(t)
	for name, reg := range registries(t) {
		t.Run(name, func(t *testing.T) {
			ref := reg.Host() + "/eo/l7-olinda:v1"
			testpeer.Run(t, prod.Dir, eopack, "push", ref, "--stac", "item.json", "--stac-in", "both")

			var sum struct {
				ID     string    `json:"id"`
				BBox   []float64 `json:"bbox"`
				ItemIn string    `json:"itemIn"`
				Assets []struct {
					Key, Digest, MediaType string
					Bands                  []string
					Size                   int64
				} `json:"assets"`
			}
			if err := json.Unmarshal([]byte(testpeer.Run(t, "", eopack, "inspect", ref, "--format", "json")), &sum); err != nil {
				t.Fatal(err)
			}
			var keys []string
			digests := map[string]string{}
			for _, a := range sum.Assets {
				keys = append(keys, a.Key)
				digests[a.Key] = a.Digest
				if a.MediaType != "image/tiff" {
					t.Errorf("asset %s media type %q", a.Key, a.MediaType)
				}
			}
			sort.Strings(keys)
			if sum.ID != "L7_olinda" || len(sum.BBox) != 4 || sum.ItemIn != "both" || strings.Join(keys, " ") != "B1 B2 B3 B4 B5 B6 dem" {
				t.Fatalf("inspect: %+v", sum)
			}

			// One band.
			one := t.TempDir()
			testpeer.Run(t, "", eopack, "pull", ref, "--stac", "--band", "B3", "-o", one)
			entries, _ := os.ReadDir(one)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, " ") != "B3.tif item.json" {
				t.Fatalf("single-band pull wrote %v", got)
			}
			testpeer.SameFile(t, filepath.Join(prod.Dir, "B3.tif"), filepath.Join(one, "B3.tif"))
			validate(t, filepath.Join(one, "item.json"))
			item := readJSON(t, filepath.Join(one, "item.json"))
			if h := assetHref(t, item, "B3"); h != "B3.tif" {
				t.Errorf("pulled asset href %q", h)
			}
			remote := assetHref(t, item, "B4")
			if want := "http://" + reg.Host() + "/v2/eo/l7-olinda/blobs/" + digests["B4"]; remote != want {
				t.Errorf("B4 href %q, want %q", remote, want)
			}
			code, body := testpeer.Get(t, remote)
			orig, _ := os.ReadFile(filepath.Join(prod.Dir, "B4.tif"))
			if code != 200 || string(body) != string(orig) {
				t.Errorf("GET %s: %d, %d bytes (want the %d bytes of B4.tif)", remote, code, len(body), len(orig))
			}

			// Everything.
			all := t.TempDir()
			testpeer.Run(t, "", eopack, "pull", ref, "--stac", "-o", all)
			for _, f := range prod.Files {
				testpeer.SameFile(t, filepath.Join(prod.Dir, f), filepath.Join(all, f))
			}
			validate(t, filepath.Join(all, "item.json"))
			item = readJSON(t, filepath.Join(all, "item.json"))
			for i, f := range prod.Files {
				if h := assetHref(t, item, strings.TrimSuffix(f, ".tif")); h != f {
					t.Errorf("asset %d href %q, want %q", i, h, f)
				}
			}
			testpeer.GDAL(t, all, "gdalinfo", "B1.tif") // GDAL reads what came back

			// ORAS pulls the same artifact as plain files (item layer included).
			orasOut := t.TempDir()
			testpeer.Run(t, "", testpeer.Bin(t, "oras"), "pull", "--plain-http", ref, "-o", orasOut)
			testpeer.SameFile(t, filepath.Join(prod.Dir, "dem.tif"), filepath.Join(orasOut, "dem.tif"))
			if _, err := os.Stat(filepath.Join(orasOut, "item.json")); err != nil {
				t.Errorf("oras pull: no item.json layer: %v", err)
			}
		})
	}
}

// TestStacCreateUnsupportedCRSNeedsBBox: a CRS eopack cannot transform (Web Mercator) asks
// for --bbox in one line; with --bbox the item is written and valid.
func TestStacCreateUnsupportedCRSNeedsBBox(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "olinda_dem_utm25s.tif"), filepath.Join(dir, "dem.tif"))
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "COG", "-a_srs", "EPSG:3857", "-a_ullr", "-3886000", "-888000", "-3876000", "-898000", "dem.tif", "merc.tif")
	out, err := testpeer.RunErr(dir, testpeer.Eopack(t), "stac", "create", "merc.tif", "-o", "item.json", "--datetime", "2001-06-01T00:00:00Z")
	if err == nil || !oneLineError(out, "EPSG:3857") || !oneLineError(out, "--bbox") {
		t.Fatalf("want a one-line error naming EPSG:3857 and --bbox, got %v:\n%s", err, out)
	}
	testpeer.Run(t, dir, testpeer.Eopack(t), "stac", "create", "merc.tif", "-o", "item.json", "--datetime", "2001-06-01T00:00:00Z", "--bbox", "-34.91,-8.04,-34.82,-7.95")
	validate(t, filepath.Join(dir, "item.json"))
	item := readJSON(t, filepath.Join(dir, "item.json"))
	if item["properties"].(map[string]any)["proj:code"] != "EPSG:3857" || item["bbox"].([]any)[0].(float64) != -34.91 {
		t.Errorf("item %v", item)
	}
}

// TestStacCreateEditedCOGIsPlainGeoTIFF: a COG whose IFD GDAL rewrote at the end of the file
// (gdal_edit.py) is no longer cloud-optimized, and stac create says so in the asset type.
func TestStacCreateEditedCOGIsPlainGeoTIFF(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-b", "1", "-of", "COG", "L7_ETMs.tif", "B1.tif")
	testpeer.GDAL(t, dir, "gdal_edit.py", "-mo", "EDITED=yes", "B1.tif")
	testpeer.Run(t, dir, testpeer.Eopack(t), "stac", "create", "B1.tif", "-o", "item.json", "--datetime", "2001-06-01T12:57:00Z")
	item := readJSON(t, filepath.Join(dir, "item.json"))
	if typ := item["assets"].(map[string]any)["B1"].(map[string]any)["type"]; typ != "image/tiff; application=geotiff" {
		t.Errorf("edited COG has type %q", typ)
	}
}

// TestStacCreateBandDescriptions: GDAL band descriptions become the STAC band names.
func TestStacCreateBandDescriptions(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	testpeer.GDAL(t, dir, "gdalbuildvrt", "-q", "-b", "1", "-b", "2", "two.vrt", "L7_ETMs.tif")
	vrt, err := os.ReadFile(filepath.Join(dir, "two.vrt"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(vrt), `band="1">`, `band="1"><Description>blue</Description>`, 1)
	s = strings.Replace(s, `band="2">`, `band="2"><Description>green</Description>`, 1)
	os.WriteFile(filepath.Join(dir, "two.vrt"), []byte(s), 0o644)
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "COG", "two.vrt", "two.tif")
	testpeer.Run(t, dir, testpeer.Eopack(t), "stac", "create", "two.tif", "-o", "item.json", "--datetime", "2001-06-01T12:57:00Z")
	validate(t, filepath.Join(dir, "item.json"))
	bands := readJSON(t, filepath.Join(dir, "item.json"))["assets"].(map[string]any)["two"].(map[string]any)["bands"].([]any)
	if len(bands) != 2 || bands[0].(map[string]any)["name"] != "blue" || bands[1].(map[string]any)["name"] != "green" {
		t.Errorf("bands %v", bands)
	}
}
