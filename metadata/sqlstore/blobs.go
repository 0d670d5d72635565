package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

// BlobLink implements metadata.Store.
func (s *Store) BlobLink(ctx context.Context, repo string, d digest.Digest) (int64, error) {
	return s.blobSize(ctx, fmt.Sprintf("%s@%s", repo, d), `SELECT b.size FROM blob_links l
		JOIN repositories r ON r.id = l.repo_id
		JOIN blobs b ON b.digest = l.digest
		WHERE r.name = ? AND l.digest = ?`, repo, d)
}

// Blob implements metadata.Store.
func (s *Store) Blob(ctx context.Context, d digest.Digest) (int64, error) {
	return s.blobSize(ctx, d.String(), `SELECT b.size FROM blobs b WHERE b.digest = ?
		AND (EXISTS (SELECT 1 FROM blob_links l WHERE l.digest = b.digest)
			OR EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = b.digest))`, d)
}

// blobSize runs a query selecting a blob's size; no row wraps ErrBlobUnknown.
func (s *Store) blobSize(ctx context.Context, what, query string, args ...any) (int64, error) {
	var size int64
	err := s.r().queryRow(ctx, query, args...).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: %w", what, metadata.ErrBlobUnknown)
	}
	if err != nil {
		return 0, fmt.Errorf("reading blob %s: %w", what, err)
	}
	return size, nil
}

// HasBlobRecord implements metadata.Store.
func (s *Store) HasBlobRecord(ctx context.Context, d digest.Digest) (bool, error) {
	ok, err := s.r().exists(ctx, `SELECT 1 FROM blobs WHERE digest = ?`, d)
	if err != nil {
		return false, fmt.Errorf("reading blob %s: %w", d, err)
	}
	return ok, nil
}

// LinkBlob implements metadata.Store.
func (s *Store) LinkBlob(ctx context.Context, repo string, d digest.Digest, size int64) error {
	err := s.write(ctx, func(c conn) error { return c.linkBlob(ctx, repo, d, size, s.now().UnixNano()) })
	if err != nil {
		return fmt.Errorf("linking blob %s@%s: %w", repo, d, err)
	}
	return nil
}

// linkBlob records blob d and links it to repo at time now. A refreshed time is always later
// than the one it replaces, even if the clock stepped back, so that DropLink and ForgetBlob
// see every refresh made after a listing.
func (c conn) linkBlob(ctx context.Context, repo string, d digest.Digest, size, now int64) error {
	if _, err := c.exec(ctx, `INSERT INTO blobs (digest, size, linked) VALUES (?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET linked = CASE
			WHEN excluded.linked > blobs.linked THEN excluded.linked ELSE blobs.linked + 1 END`,
		d, size, now); err != nil {
		return err
	}
	repoID, err := c.ensureRepo(ctx, repo)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, `INSERT INTO blob_links (repo_id, digest, linked) VALUES (?, ?, ?)
		ON CONFLICT (repo_id, digest) DO UPDATE SET linked = CASE
			WHEN excluded.linked > blob_links.linked THEN excluded.linked ELSE blob_links.linked + 1 END`,
		repoID, d, now)
	return err
}

// UnlinkBlob implements metadata.Store.
func (s *Store) UnlinkBlob(ctx context.Context, repo string, d digest.Digest) error {
	return s.write(ctx, func(c conn) error {
		repoID, ok, err := c.repoID(ctx, repo)
		if err != nil {
			return fmt.Errorf("unlinking blob %s@%s: %w", repo, d, err)
		}
		n := int64(0)
		if ok {
			n, err = c.affected(ctx, `DELETE FROM blob_links WHERE repo_id = ? AND digest = ?`, repoID, d)
			if err != nil {
				return fmt.Errorf("unlinking blob %s@%s: %w", repo, d, err)
			}
		}
		if n == 0 {
			return fmt.Errorf("%s@%s: %w", repo, d, metadata.ErrBlobUnknown)
		}
		return c.dropIfEmpty(ctx, repoID)
	})
}
