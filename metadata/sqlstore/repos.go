package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eopack/eopack/metadata"
)

// Repositories implements metadata.Store.
func (s *Store) Repositories(ctx context.Context, after string, limit int) ([]string, error) {
	names, err := s.r().strings(ctx, `SELECT name FROM repositories WHERE name > ? ORDER BY name`,
		limit, after)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	return names, nil
}

// Tags implements metadata.Store.
func (s *Store) Tags(ctx context.Context, repo, after string, limit int) ([]string, error) {
	c := s.r()
	id, ok, err := c.repoID(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", repo, metadata.ErrNameUnknown)
	}
	tags, err := c.strings(ctx, `SELECT name FROM tags WHERE repo_id = ? AND name > ? ORDER BY name`,
		limit, id, after)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	return tags, nil
}

// strings runs a query selecting one text column, adding LIMIT unless limit < 0.
func (c conn) strings(ctx context.Context, query string, limit int, args ...any) ([]string, error) {
	if limit >= 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	return list(ctx, c, func(rows *sql.Rows) (v string, err error) {
		err = rows.Scan(&v)
		return v, err
	}, query, args...)
}

// repoID finds repository name; ok is false if it does not exist.
func (c conn) repoID(ctx context.Context, name string) (id int64, ok bool, err error) {
	err = c.queryRow(ctx, `SELECT id FROM repositories WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// ensureRepo finds repository name, creating it if needed.
func (c conn) ensureRepo(ctx context.Context, name string) (int64, error) {
	id, ok, err := c.repoID(ctx, name)
	if err != nil || ok {
		return id, err
	}
	if _, err := c.exec(ctx, `INSERT INTO repositories (name) VALUES (?)`, name); err != nil {
		return 0, err
	}
	id, _, err = c.repoID(ctx, name)
	return id, err
}

// dropIfEmpty removes repository id if it holds no manifest and no blob link.
func (c conn) dropIfEmpty(ctx context.Context, id int64) error {
	_, err := c.exec(ctx, `DELETE FROM repositories WHERE id = ?
		AND NOT EXISTS (SELECT 1 FROM manifests WHERE repo_id = ?)
		AND NOT EXISTS (SELECT 1 FROM blob_links WHERE repo_id = ?)`, id, id, id)
	return err
}
