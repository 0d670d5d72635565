package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Product is a folder of COGs made from the shared data with the item.json that
// `eopack stac create` wrote for them.
type Product struct {
	Dir   string
	Files []string // asset file names, in the order given to stac create
}

// Item is the path of the product's item.json.
func (p Product) Item() string { return filepath.Join(p.Dir, "item.json") }

// ProductOptions say what MakeProduct puts in a product.
type ProductOptions struct {
	// Scene is the GeoTIFF whose first Bands bands become B1.tif, B2.tif, …: by default the
	// shared Landsat 7 scene (L7_ETMs.tif, six bands). A relative path is taken in the
	// product's folder.
	Scene string
	Bands int
	// DEM adds the shared elevation model (olinda_dem_utm25s.tif) as dem.tif, after the bands.
	DEM bool
	// ID, Collection and Datetime are given to stac create as --id, --collection and
	// --datetime when they are set.
	ID, Collection, Datetime string
}

// MakeProduct makes the folder dir (it may exist) and in it the product o describes: COGs
// that gdal_translate cuts from the shared data, one band each, and the item.json of
// `eopack stac create` for them.
func MakeProduct(t testing.TB, dir string, o ProductOptions) Product {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(SharedDir(), "data")
	scene := o.Scene
	if scene == "" {
		scene = filepath.Join(data, "L7_ETMs.tif")
	}
	p := Product{Dir: dir}
	for b := 1; b <= o.Bands; b++ {
		name := fmt.Sprintf("B%d.tif", b)
		GDAL(t, dir, "gdal_translate", "-q", "-b", fmt.Sprint(b), "-of", "COG", scene, name)
		p.Files = append(p.Files, name)
	}
	if o.DEM {
		GDAL(t, dir, "gdal_translate", "-q", "-of", "COG", filepath.Join(data, "olinda_dem_utm25s.tif"), "dem.tif")
		p.Files = append(p.Files, "dem.tif")
	}
	args := []string{"stac", "create", "-o", "item.json"}
	for _, f := range [][2]string{{"--id", o.ID}, {"--collection", o.Collection}, {"--datetime", o.Datetime}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	Run(t, dir, Eopack(t), append(args, p.Files...)...)
	return p
}
