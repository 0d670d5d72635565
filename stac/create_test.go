package stac

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/eopack/eopack/geotiff"
)

func sharedFile(t *testing.T, name, dir string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "shared", "data", name)
	if d := os.Getenv("EOPACK_SHARED"); d != "" {
		src = filepath.Join(d, "data", name)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	l7 := sharedFile(t, "L7_ETMs.tif", dir)
	dem := sharedFile(t, "olinda_dem_utm25s.tif", dir)
	dt := time.Date(2001, 6, 1, 12, 57, 0, 0, time.UTC)

	it, err := Create([]string{l7}, CreateOptions{Datetime: dt, ItemDir: dir, Collection: "l7"})
	if err != nil {
		t.Fatal(err)
	}
	a := it.Assets["L7_ETMs"]
	if it.ID != "L7_ETMs" || a == nil || a.Href != "L7_ETMs.tif" || a.Type != TypeGeoTIFF || len(a.Bands) != 6 || a.Bands[5].Name != "L7_ETMs_b6" {
		t.Fatalf("item %+v asset %+v", it, a)
	}
	if it.Properties["proj:code"] != "EPSG:31985" || it.Properties["datetime"] != "2001-06-01T12:57:00Z" || len(it.Links) != 1 {
		t.Errorf("properties %v links %d", it.Properties, len(it.Links))
	}
	if it.BBox[0] > -34.9165889 || it.BBox[0] < -34.916589 {
		t.Errorf("bbox %v", it.BBox)
	}

	// Two grids: projection fields move onto the assets; the DEM's user-defined CRS has a
	// null proj:code.
	it, err = Create([]string{l7, dem}, CreateOptions{Datetime: dt, ItemDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := it.Properties["proj:code"]; ok {
		t.Error("proj:code on properties for two grids")
	}
	if string(it.Assets["olinda_dem_utm25s"].Extra["proj:code"]) != "null" || string(it.Assets["L7_ETMs"].Extra["proj:code"]) != `"EPSG:31985"` {
		t.Errorf("asset proj:code %s / %s", it.Assets["olinda_dem_utm25s"].Extra["proj:code"], it.Assets["L7_ETMs"].Extra["proj:code"])
	}

	// Outside the item folder.
	if _, err := Create([]string{l7}, CreateOptions{Datetime: dt, ItemDir: filepath.Join(dir, "sub")}); !errors.Is(err, ErrEscapes) {
		t.Errorf("file outside the item folder: %v", err)
	}
	// Not a TIFF.
	txt := filepath.Join(dir, "x.tif")
	os.WriteFile(txt, []byte("plain text"), 0o644)
	if _, err := Create([]string{txt}, CreateOptions{Datetime: dt, ItemDir: dir}); !errors.Is(err, geotiff.ErrNotTIFF) {
		t.Errorf("text file: %v", err)
	}
	// --bbox overrides the footprint.
	it, err = Create([]string{l7}, CreateOptions{Datetime: dt, ItemDir: dir, BBox: []float64{1, 2, 3, 4}})
	if err != nil || it.BBox[2] != 3 {
		t.Errorf("bbox override: %v %v", it, err)
	}
}
