package sqlstore

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// BlobUse implements metadata.Store.
func (s *Store) BlobUse(ctx context.Context, d digest.Digest) (int, bool, error) {
	var links int
	var referenced bool
	err := s.r().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM blob_links WHERE digest = ?),
		EXISTS (SELECT 1 FROM manifest_blobs WHERE digest = ?)`, d, d).Scan(&links, &referenced)
	if err != nil {
		return 0, false, fmt.Errorf("reading blob %s: %w", d, err)
	}
	return links, referenced, nil
}
