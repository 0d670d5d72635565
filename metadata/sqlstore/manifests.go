package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/stacindex"
)

// manifestColumns are the columns scanManifest reads, body last.
const manifestColumns = `m.digest, m.media_type, m.artifact_type, m.size, m.subject, m.created, m.annotations, m.body`

// Manifest implements metadata.Store. A reference with a colon is a digest (tags have none).
func (s *Store) Manifest(ctx context.Context, repo, reference string) (metadata.Manifest, error) {
	var row *sql.Row
	if strings.Contains(reference, ":") {
		row = s.r().queryRow(ctx, `SELECT `+manifestColumns+` FROM manifests m
			JOIN repositories r ON r.id = m.repo_id
			WHERE r.name = ? AND m.digest = ?`, repo, reference)
	} else {
		row = s.r().queryRow(ctx, `SELECT `+manifestColumns+` FROM tags t
			JOIN repositories r ON r.id = t.repo_id
			JOIN manifests m ON m.id = t.manifest_id
			WHERE r.name = ? AND t.name = ?`, repo, reference)
	}
	m, err := scanManifest(row)
	if errors.Is(err, sql.ErrNoRows) {
		return metadata.Manifest{}, fmt.Errorf("%s:%s: %w", repo, reference, metadata.ErrManifestUnknown)
	}
	if err != nil {
		return metadata.Manifest{}, fmt.Errorf("reading manifest %s:%s: %w", repo, reference, err)
	}
	return m, nil
}

func scanManifest(row *sql.Row) (metadata.Manifest, error) {
	var m metadata.Manifest
	var subject, annotations sql.NullString
	var created int64
	err := row.Scan(&m.Digest, &m.MediaType, &m.ArtifactType, &m.Size, &subject, &created,
		&annotations, &m.Body)
	if err != nil {
		return metadata.Manifest{}, err
	}
	m.Subject = digest.Digest(subject.String)
	m.Created = fromStamp(created)
	m.Annotations, err = decodeAnnotations(annotations)
	return m, err
}

// PutManifest implements metadata.Store.
func (s *Store) PutManifest(ctx context.Context, p metadata.PutManifest) error {
	m := p.Manifest
	if p.Repo == "" || m.Digest == "" {
		return fmt.Errorf("put manifest: repository and digest are required")
	}
	annotations, err := encodeAnnotations(m.Annotations)
	if err != nil {
		return fmt.Errorf("put manifest %s: %w", m.Digest, err)
	}
	var subject sql.NullString
	if m.Subject != "" {
		subject = sql.NullString{String: m.Subject.String(), Valid: true}
	}
	created := s.stamp(m.Created)
	body := m.Body
	if body == nil {
		body = []byte{}
	}
	err = s.writeRepo(ctx, p.Repo, func(c conn) error {
		repoID, repoFound, err := c.repoID(ctx, p.Repo)
		if err != nil {
			return err
		}
		var manifestID int64
		if repoFound {
			manifestID, err = c.manifestID(ctx, repoID, m.Digest)
			if err != nil {
				return err
			}
		}
		if manifestID == 0 {
			if err := c.checkReferences(ctx, repoID, repoFound, p); err != nil {
				return err
			}
			if !repoFound {
				if repoID, err = c.ensureRepo(ctx, p.Repo); err != nil {
					return err
				}
			}
			if _, err := c.exec(ctx, `INSERT INTO manifests
				(repo_id, digest, media_type, artifact_type, size, subject, created, annotations, body)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				repoID, m.Digest, m.MediaType, m.ArtifactType, m.Size, subject, created,
				annotations, body); err != nil {
				return err
			}
			if manifestID, err = c.manifestID(ctx, repoID, m.Digest); err != nil {
				return err
			}
			for _, b := range p.Blobs {
				if _, err := c.exec(ctx, `INSERT INTO manifest_blobs (manifest_id, digest, repo_id)
					VALUES (?, ?, ?) ON CONFLICT (manifest_id, digest) DO NOTHING`,
					manifestID, b, repoID); err != nil {
					return err
				}
			}
			if err := s.indexManifest(ctx, c, p, fromStamp(created)); err != nil {
				return err
			}
		}
		for _, tag := range p.Tags {
			if _, err := c.exec(ctx, `INSERT INTO tags (repo_id, name, manifest_id) VALUES (?, ?, ?)
				ON CONFLICT (repo_id, name) DO UPDATE SET manifest_id = excluded.manifest_id`,
				repoID, tag, manifestID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put manifest %s@%s: %w", p.Repo, m.Digest, err)
	}
	return nil
}

// checkReferences fails with a *metadata.MissingError if the repository lacks a blob link
// or a child manifest that p needs.
func (c conn) checkReferences(ctx context.Context, repoID int64, repoFound bool, p metadata.PutManifest) error {
	for _, b := range p.Blobs {
		ok := false
		if repoFound {
			var err error
			ok, err = c.exists(ctx, `SELECT 1 FROM blob_links WHERE repo_id = ? AND digest = ?`, repoID, b)
			if err != nil {
				return err
			}
		}
		if !ok {
			return &metadata.MissingError{Digest: b}
		}
	}
	for _, child := range p.Children {
		id := int64(0)
		if repoFound {
			var err error
			if id, err = c.manifestID(ctx, repoID, child); err != nil {
				return err
			}
		}
		if id == 0 {
			return &metadata.MissingError{Digest: child, Child: true}
		}
	}
	return nil
}

// manifestID finds manifest d of a repository; 0 if absent.
func (c conn) manifestID(ctx context.Context, repoID int64, d digest.Digest) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM manifests WHERE repo_id = ? AND digest = ?`, repoID, d).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// DeleteManifest implements metadata.Store.
func (s *Store) DeleteManifest(ctx context.Context, repo string, d digest.Digest) error {
	return s.writeRepo(ctx, repo, func(c conn) error {
		repoID, ok, err := c.repoID(ctx, repo)
		if err != nil {
			return err
		}
		var id int64
		if ok {
			if id, err = c.manifestID(ctx, repoID, d); err != nil {
				return err
			}
		}
		if id == 0 {
			return fmt.Errorf("%s@%s: %w", repo, d, metadata.ErrManifestUnknown)
		}
		if err := stacindex.Delete(ctx, c.q, s.flavor(), repo, d); err != nil {
			return fmt.Errorf("deleting manifest %s@%s: %w", repo, d, err)
		}
		for _, q := range []string{
			`DELETE FROM tags WHERE manifest_id = ?`,
			`DELETE FROM manifest_blobs WHERE manifest_id = ?`,
			`DELETE FROM manifests WHERE id = ?`,
		} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return fmt.Errorf("deleting manifest %s@%s: %w", repo, d, err)
			}
		}
		return c.dropIfEmpty(ctx, repoID)
	})
}

// DeleteTag implements metadata.Store.
func (s *Store) DeleteTag(ctx context.Context, repo, tag string) error {
	return s.writeRepo(ctx, repo, func(c conn) error {
		n, err := c.affected(ctx, `DELETE FROM tags
			WHERE repo_id = (SELECT id FROM repositories WHERE name = ?) AND name = ?`, repo, tag)
		if err != nil {
			return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, err)
		}
		if n == 0 {
			return fmt.Errorf("%s:%s: %w", repo, tag, metadata.ErrManifestUnknown)
		}
		return nil
	})
}

// Referrers implements metadata.Store.
func (s *Store) Referrers(ctx context.Context, repo string, d digest.Digest, artifactType string) ([]metadata.Referrer, error) {
	q := `SELECT m.digest, m.media_type, m.artifact_type, m.size, m.annotations FROM manifests m
		WHERE m.repo_id = (SELECT id FROM repositories WHERE name = ?) AND m.subject = ?`
	args := []any{repo, d}
	if artifactType != "" {
		q += ` AND m.artifact_type = ?`
		args = append(args, artifactType)
	}
	refs, err := list(ctx, s.r(), scanReferrer, q+` ORDER BY m.digest`, args...)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s@%s: %w", repo, d, err)
	}
	return refs, nil
}

func scanReferrer(rows *sql.Rows) (metadata.Referrer, error) {
	var r metadata.Referrer
	var annotations sql.NullString
	if err := rows.Scan(&r.Digest, &r.MediaType, &r.ArtifactType, &r.Size, &annotations); err != nil {
		return r, err
	}
	if annotations.Valid {
		r.Annotations = json.RawMessage(annotations.String) // stored by encodeAnnotations
	}
	return r, nil
}

// encodeAnnotations stores annotations as JSON text; none as NULL.
func encodeAnnotations(a map[string]string) (sql.NullString, error) {
	if len(a) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(a)
	return sql.NullString{String: string(b), Valid: true}, err
}

func decodeAnnotations(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var a map[string]string
	if err := json.Unmarshal([]byte(s.String), &a); err != nil {
		return nil, fmt.Errorf("annotations: %w", err)
	}
	return a, nil
}
