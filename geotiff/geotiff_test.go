package geotiff

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func sharedDataPath(name string) string {
	_, file, _, _ := runtime.Caller(0)
	if d := os.Getenv("EOPACK_SHARED"); d != "" {
		return filepath.Join(d, "data", name)
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "shared", "data", name)
}

func sharedData(t *testing.T, name string) string {
	t.Helper()
	p := sharedDataPath(name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test data: %v", err)
	}
	return p
}

// The corner values are gdalinfo -json's wgs84Extent (GDAL 3.x / PROJ) for the files.
func TestWGS84CornersMatchGDAL(t *testing.T) {
	cases := []struct {
		file string
		epsg int
		want [4][2]float64
	}{
		{"L7_ETMs.tif", 31985, [4][2]float64{{-34.9161655, -7.9498221}, {-34.916589, -8.040516}, {-34.8263692, -8.040927}, {-34.8259656, -7.9502284}}},
		{"olinda_dem_utm25s.tif", 0, [4][2]float64{{-34.9161655, -7.9498221}, {-34.9165872, -8.0401304}, {-34.8259788, -8.0405431}, {-34.8255771, -7.9502301}}},
	}
	for _, c := range cases {
		info, err := OpenFile(sharedData(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if info.EPSG != c.epsg {
			t.Errorf("%s: EPSG %d, want %d", c.file, info.EPSG, c.epsg)
		}
		got, err := info.WGS84Corners()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		for i := range got {
			for j := 0; j < 2; j++ {
				// gdalinfo prints 7 decimals, so its values carry ±5e-8 rounding.
				if d := math.Abs(got[i][j] - c.want[i][j]); d > 1e-6 {
					t.Errorf("%s corner %d coord %d: %.9f, gdal %.7f (diff %.2g)", c.file, i, j, got[i][j], c.want[i][j], d)
				}
			}
		}
	}
}

func TestReadLandsat(t *testing.T) {
	info, err := OpenFile(sharedData(t, "L7_ETMs.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 349 || info.Height != 352 || info.Bands != 6 || info.DataType != "uint8" {
		t.Errorf("got %dx%d bands=%d type=%s", info.Width, info.Height, info.Bands, info.DataType)
	}
	if info.COG || info.Tiled {
		t.Errorf("L7_ETMs.tif is a strip GeoTIFF, got COG=%v tiled=%v", info.COG, info.Tiled)
	}
	want := [6]float64{28.4999999992745394, 0, 288776.2500008031493053, 0, -28.4999999992745394, 9120760.7500287368893623}
	for i := range want {
		if math.Abs(info.Transform[i]-want[i]) > 1e-6 {
			t.Errorf("transform %v, want %v", info.Transform, want)
			break
		}
	}
}

func TestInverseUTMFarFromMeridian(t *testing.T) {
	// Reference: cs2cs/PROJ +proj=utm +zone=25 +south +ellps=GRS80 -> geographic.
	tm := UTM(25, true, ellGRS80)
	lon, lat := tm.Inverse(500000, 10000000)
	if math.Abs(lon+33) > 1e-12 || math.Abs(lat) > 1e-12 {
		t.Errorf("origin maps to %v,%v", lon, lat)
	}
}

func TestNotTIFFAndNotGeoreferenced(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.tif")
	os.WriteFile(p, []byte("hello, not a tiff at all"), 0o644)
	if _, err := OpenFile(p); !errors.Is(err, ErrNotTIFF) {
		t.Errorf("want ErrNotTIFF, got %v", err)
	}
	// Minimal little-endian TIFF: one IFD with width, height, no GeoTIFF tags.
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = append(b, 2, 0)
	b = append(b, 0, 1, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0) // ImageWidth=4
	b = append(b, 1, 1, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0) // ImageLength=4
	b = append(b, 0, 0, 0, 0)
	os.WriteFile(p, b, 0o644)
	_, err := OpenFile(p)
	if !errors.Is(err, ErrNotGeoreferenced) || !strings.Contains(err.Error(), "x.tif") {
		t.Errorf("want ErrNotGeoreferenced naming the file, got %v", err)
	}
}

// FuzzRead: arbitrary bytes never panic or allocate unboundedly; they parse or fail.
func FuzzRead(f *testing.F) {
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x00\x01\x03\x00\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("MM\x00+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10"))
	if b, err := os.ReadFile(sharedDataPath("olinda_dem_utm25s.tif")); err == nil {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Read(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			info.WGS84Corners()
		}
	})
}
