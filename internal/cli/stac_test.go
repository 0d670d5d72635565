package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/stac"
)

// TestStacCreateSaysWhatItWrote: with -o, stac create prints one line naming the file, the
// number of assets and the bbox; the item itself goes only to the file.
func TestStacCreateSaysWhatItWrote(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"L7_ETMs.tif", "olinda_dem_utm25s.tif"} {
		b, err := os.ReadFile(filepath.Join(testpeer.SharedDir(), "data", name))
		if err != nil {
			t.Fatal(err)
		}
		testpeer.WriteFile(t, filepath.Join(dir, name), b)
		files = append(files, filepath.Join(dir, name))
	}
	out := filepath.Join(dir, "item.json")
	got := verbsMust(t, "", append([]string{"stac", "create", "-o", out, "--datetime", "2001-06-01T12:57:00Z"}, files...)...)
	it, err := stac.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "Wrote " + out + ": 2 assets, bbox " + stac.FormatBBox(it.BBox) + "\n"
	if len(it.BBox) != 4 || got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}

	got = verbsMust(t, "", "stac", "create", "-o", out, "--datetime", "2001-06-01T12:57:00Z", files[0])
	if want := "Wrote " + out + ": 1 asset, bbox "; len(got) <= len(want) || got[:len(want)] != want {
		t.Errorf("one asset: stdout %q, want %q…", got, want)
	}
}
