package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

const uploadColumns = `id, repo, size, hash_alg, hash_state, blob_state, created, updated`

// CreateUpload implements metadata.Store. Created and Updated default to now.
func (s *Store) CreateUpload(ctx context.Context, u metadata.Upload) error {
	if u.ID == "" {
		return fmt.Errorf("create upload: no session id")
	}
	created := s.stamp(u.Created)
	updated := created
	if !u.Updated.IsZero() {
		updated = u.Updated.UnixNano()
	}
	err := s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO uploads (`+uploadColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Repo, u.Size, string(u.HashAlg), u.HashState, u.BlobState, created, updated)
		return err
	})
	if err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, err)
	}
	return nil
}

// Upload implements metadata.Store.
func (s *Store) Upload(ctx context.Context, id string) (metadata.Upload, error) {
	us, err := list(ctx, s.r(), scanUpload, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id)
	if err != nil {
		return metadata.Upload{}, fmt.Errorf("reading upload %s: %w", id, err)
	}
	if len(us) == 0 {
		return metadata.Upload{}, fmt.Errorf("upload %s: %w", id, metadata.ErrUploadUnknown)
	}
	return us[0], nil
}

// UpdateUpload implements metadata.Store. Updated becomes now.
func (s *Store) UpdateUpload(ctx context.Context, u metadata.Upload, prevSize int64) error {
	return s.write(ctx, func(c conn) error {
		n, err := c.affected(ctx, `UPDATE uploads
			SET size = ?, hash_alg = ?, hash_state = ?, blob_state = ?, updated = ?
			WHERE id = ? AND size = ?`,
			u.Size, string(u.HashAlg), u.HashState, u.BlobState, s.now().UnixNano(), u.ID, prevSize)
		if err != nil {
			return fmt.Errorf("updating upload %s: %w", u.ID, err)
		}
		if n > 0 {
			return nil
		}
		ok, err := c.exists(ctx, `SELECT 1 FROM uploads WHERE id = ?`, u.ID)
		switch {
		case err != nil:
			return fmt.Errorf("updating upload %s: %w", u.ID, err)
		case ok:
			return fmt.Errorf("upload %s: not at size %d: %w", u.ID, prevSize, metadata.ErrConflict)
		}
		return fmt.Errorf("upload %s: %w", u.ID, metadata.ErrUploadUnknown)
	})
}

// CompleteUpload implements metadata.Store.
func (s *Store) CompleteUpload(ctx context.Context, id, repo string, d digest.Digest, size int64) error {
	err := s.write(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM uploads WHERE id = ?`, id); err != nil {
			return err
		}
		return c.linkBlob(ctx, repo, d, size, s.now().UnixNano())
	})
	if err != nil {
		return fmt.Errorf("completing upload %s as %s@%s: %w", id, repo, d, err)
	}
	return nil
}

// DeleteUpload implements metadata.Store.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	return s.write(ctx, func(c conn) error {
		n, err := c.affected(ctx, `DELETE FROM uploads WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("deleting upload %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("upload %s: %w", id, metadata.ErrUploadUnknown)
		}
		return nil
	})
}

// StaleUploads implements metadata.Store.
func (s *Store) StaleUploads(ctx context.Context, before time.Time) ([]metadata.Upload, error) {
	us, err := list(ctx, s.r(), scanUpload,
		`SELECT `+uploadColumns+` FROM uploads WHERE updated < ? ORDER BY updated, id`, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("listing stale uploads: %w", err)
	}
	return us, nil
}

// scanUpload reads a row of uploadColumns.
func scanUpload(rows *sql.Rows) (metadata.Upload, error) {
	var u metadata.Upload
	var alg string
	var created, updated int64
	err := rows.Scan(&u.ID, &u.Repo, &u.Size, &alg, &u.HashState, &u.BlobState, &created, &updated)
	u.HashAlg = digest.Algorithm(alg)
	u.Created, u.Updated = fromStamp(created), fromStamp(updated)
	return u, err
}
