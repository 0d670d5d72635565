package s3store

import (
	"path"
	"testing"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/blobstore/blobstoretest"
)

// TestTable runs the shared table with a fresh prefix per case in one bucket, so listings
// must keep to their prefix.
func TestTable(t *testing.T) {
	bucket := newBucket(t)
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		return openStore(t, bucket, "table/"+path.Base(t.Name()))
	})
}
