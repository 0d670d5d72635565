package stac

import (
	"slices"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestGDALSTACIT: Debian's GDAL opens a search of eopack serve's STAC API with its STACIT
// driver, as one mosaic of the matching items, and reads every pixel of a band straight
// from the registry's blobs: the values equal the pushed COG's, for one item and for a
// mosaic of two overlapping ones.
func TestGDALSTACIT(t *testing.T) {
	l7, west, _ := products(t)
	srv := testpeer.StartServe(t, "")
	push(t, l7, srv.Addr+"/eo/landsat:v1")
	push(t, west, srv.Addr+"/eo/landsat:west")
	dir := t.TempDir()
	for _, c := range []struct {
		bbox, band string
		items      int
	}{{east, "B1", 1}, {westBox, "B3", 2}} {
		search := "http://" + srv.Addr + "/stac/search?collections=landsat-7&bbox=" + c.bbox
		if n := len(ids(getJSON(t, search, geojson))); n != c.items {
			t.Fatalf("%s: %d items, want %d", search, n, c.items)
		}
		src := `STACIT:"` + search + `":asset=` + c.band
		info := testpeer.GDAL(t, dir, "gdalinfo", src)
		if !strings.Contains(info, "Size is 349, 352") || !strings.Contains(info, `ID["EPSG",31985]`) {
			t.Fatalf("gdalinfo %s:\n%s", src, info)
		}
		got := pixels(testpeer.GDAL(t, dir, "gdal_translate", "-q", "-of", "XYZ", src, "/vsistdout/"))
		want := pixels(testpeer.GDAL(t, l7.Dir, "gdal_translate", "-q", "-of", "XYZ", c.band+".tif", "/vsistdout/"))
		if len(want) != 349*352 || !slices.Equal(got, want) {
			t.Errorf("%s: %d pixels differ from %s.tif's %d", src, len(got), c.band, len(want))
		}
	}
}

// pixels is the value column of GDAL's XYZ output, row by row (the coordinates are left out:
// the mosaic's geotransform is computed from proj:transform and may differ in the last digits).
func pixels(xyz string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(xyz), "\n") {
		f := strings.Fields(line)
		out = append(out, f[len(f)-1])
	}
	return out
}
