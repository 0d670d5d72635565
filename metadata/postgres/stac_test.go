package postgres

import (
	"testing"

	"github.com/eopack/eopack/stacindex/indextest"
)

// TestSTACIndex runs the STAC index's shared table on PostgreSQL, each case on a new
// database.
func TestSTACIndex(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Target {
		return indextest.StoreTarget(open(t, pg.NewDatabase(t)))
	})
}
