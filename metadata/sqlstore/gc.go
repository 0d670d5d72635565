package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

// unreferenced is the condition that no manifest of the link's repository references it.
const unreferenced = `NOT EXISTS (SELECT 1 FROM manifest_blobs mb
	WHERE mb.digest = l.digest AND mb.repo_id = l.repo_id)`

// unused is the condition that no repository links blob b and no manifest references it.
const unused = `NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.digest = b.digest)
	AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = b.digest)`

// UnreferencedLinks implements metadata.Store.
func (s *Store) UnreferencedLinks(ctx context.Context, before time.Time) ([]metadata.Link, error) {
	links, err := list(ctx, s.r(), func(rows *sql.Rows) (metadata.Link, error) {
		var l metadata.Link
		var linked int64
		err := rows.Scan(&l.Repo, &l.Digest, &l.Size, &linked)
		l.Linked = fromStamp(linked)
		return l, err
	}, `SELECT r.name, l.digest, b.size, l.linked FROM blob_links l
		JOIN repositories r ON r.id = l.repo_id
		JOIN blobs b ON b.digest = l.digest
		WHERE l.linked < ? AND `+unreferenced+`
		ORDER BY r.name, l.digest`, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("listing unreferenced links: %w", err)
	}
	return links, nil
}

// DropLink implements metadata.Store.
func (s *Store) DropLink(ctx context.Context, link metadata.Link) (bool, error) {
	dropped := false
	err := s.write(ctx, func(c conn) error {
		dropped = false
		repoID, ok, err := c.repoID(ctx, link.Repo)
		if err != nil || !ok {
			return err
		}
		n, err := c.affected(ctx, `DELETE FROM blob_links AS l
			WHERE l.repo_id = ? AND l.digest = ? AND l.linked <= ? AND `+unreferenced,
			repoID, link.Digest, link.Linked.UnixNano())
		if err != nil || n == 0 {
			return err
		}
		dropped = true
		return c.dropIfEmpty(ctx, repoID)
	})
	if err != nil {
		return false, fmt.Errorf("dropping link %s@%s: %w", link.Repo, link.Digest, err)
	}
	return dropped, nil
}

// UnusedBlobs implements metadata.Store.
func (s *Store) UnusedBlobs(ctx context.Context, before time.Time) ([]metadata.BlobInfo, error) {
	blobs, err := list(ctx, s.r(), func(rows *sql.Rows) (metadata.BlobInfo, error) {
		var b metadata.BlobInfo
		var linked int64
		err := rows.Scan(&b.Digest, &b.Size, &linked)
		b.Linked = fromStamp(linked)
		return b, err
	}, `SELECT b.digest, b.size, b.linked FROM blobs b
		WHERE b.linked < ? AND `+unused+` ORDER BY b.digest`, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("listing unused blobs: %w", err)
	}
	return blobs, nil
}

// ForgetBlob implements metadata.Store.
func (s *Store) ForgetBlob(ctx context.Context, d digest.Digest, before time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(c conn) error {
		var err error
		n, err = c.affected(ctx, `DELETE FROM blobs AS b WHERE b.digest = ? AND b.linked < ? AND `+unused,
			d, before.UnixNano())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("forgetting blob %s: %w", d, err)
	}
	return n > 0, nil
}
