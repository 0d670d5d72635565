package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/eopack/eopack/stacindex/indextest"
)

// TestSTACIndex runs the STAC index's shared table on the embedded store, each case on a
// new database.
func TestSTACIndex(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Target {
		s, err := Open(filepath.Join(t.TempDir(), "eopack.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return indextest.StoreTarget(s)
	})
}
