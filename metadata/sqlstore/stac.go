package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacindex"
)

// The store is the STAC index of the registry's EO products: its rows are written in the
// transaction of each manifest PUT and DELETE (PutManifest.Product and .Collection).
var _ stacindex.Index = (*Store)(nil)

// flavor is the dialect's engine for package stacindex.
func (s *Store) flavor() stacindex.Flavor {
	if s.d.Name == "postgres" {
		return stacindex.Postgres
	}
	return stacindex.SQLite
}

// index is the store's STAC index reader, made on first use.
func (s *Store) index() *stacindex.DB {
	s.ixOnce.Do(func() { s.ix = stacindex.NewDB(s.db, s.flavor()) })
	return s.ix
}

// indexManifest writes a new manifest's STAC index rows in its transaction.
func (s *Store) indexManifest(ctx context.Context, c conn, p metadata.PutManifest, created time.Time) error {
	if p.Product != nil {
		e := *p.Product
		e.Repo, e.Digest, e.Created = p.Repo, p.Manifest.Digest, created
		if err := stacindex.Put(ctx, c.q, s.flavor(), e); err != nil {
			return err
		}
	}
	if p.Collection != nil {
		doc := *p.Collection
		doc.Repo, doc.Digest, doc.Created = p.Repo, p.Manifest.Digest, created
		if err := stacindex.PutCollection(ctx, c.q, s.flavor(), doc); err != nil {
			return err
		}
	}
	return nil
}

// Search implements stacindex.Index.
func (s *Store) Search(ctx context.Context, q stacindex.Query) (stacindex.Page, error) {
	return s.index().Search(ctx, q)
}

// Collections implements stacindex.Index.
func (s *Store) Collections(ctx context.Context) ([]stacindex.Collection, error) {
	return s.index().Collections(ctx)
}

// Collection implements stacindex.Index.
func (s *Store) Collection(ctx context.Context, id string) (stacindex.Collection, error) {
	return s.index().Collection(ctx, id)
}

// Item implements stacindex.Index.
func (s *Store) Item(ctx context.Context, collection, id string) (stacindex.Hit, error) {
	return s.index().Item(ctx, collection, id)
}

// Queryables implements stacindex.Index.
func (s *Store) Queryables(ctx context.Context, collection string) (map[string]any, error) {
	return s.index().Queryables(ctx, collection)
}

// Backfill indexes the EO products and STAC Collection documents stored before the index
// existed (or imported since), once: the schema migration that added the index asks for
// it. fetch reads a small blob. A manifest whose item cannot be read is reported to log
// and left unindexed. It returns how many manifests it indexed.
func (s *Store) Backfill(ctx context.Context, fetch func(context.Context, digest.Digest) ([]byte, error), log io.Writer) (int, error) {
	var pending int64
	err := s.r().queryRow(ctx, `SELECT value FROM stac_stats WHERE name = 'backfill'`).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && pending == 0) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("STAC index backfill: %w", err)
	}
	type manifest struct {
		repo    string
		digest  digest.Digest
		created int64
	}
	todo, err := list(ctx, s.r(), func(r *sql.Rows) (manifest, error) {
		var m manifest
		return m, r.Scan(&m.repo, &m.digest, &m.created)
	}, `SELECT r.name, m.digest, m.created FROM manifests m JOIN repositories r ON r.id = m.repo_id
		WHERE m.media_type = 'application/vnd.oci.image.manifest.v1+json'
		AND (m.artifact_type IN (?, ?, ?) OR m.body LIKE '%stac-item%')
		AND NOT EXISTS (SELECT 1 FROM stac_items i WHERE i.repo = r.name AND i.digest = m.digest)
		ORDER BY m.created, m.id`, stac.ArtifactType, stac.MediaTypeItemConfig, stacindex.ArtifactTypeCollection)
	if err != nil {
		return 0, fmt.Errorf("STAC index backfill: %w", err)
	}
	n := 0
	for _, m := range todo {
		man, err := s.Manifest(ctx, m.repo, m.digest.String())
		if errors.Is(err, metadata.ErrManifestUnknown) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("STAC index backfill: %w", err)
		}
		get := func(d digest.Digest) ([]byte, error) { return fetch(ctx, d) }
		e, isProduct, err := stacindex.FromManifest(m.repo, m.digest, man.Body, get)
		var doc stacindex.CollectionDoc
		isCollection := false
		if err == nil && !isProduct {
			doc, isCollection, err = stacindex.CollectionFromManifest(m.repo, m.digest, man.Body, get)
		}
		if err != nil {
			fmt.Fprintf(log, "STAC index: %v (not indexed)\n", err)
			continue
		}
		if !isProduct && !isCollection {
			continue
		}
		created := fromStamp(m.created)
		err = s.write(ctx, func(c conn) error {
			if isProduct {
				e.Created = created
				return stacindex.Put(ctx, c.q, s.flavor(), e)
			}
			doc.Created = created
			return stacindex.PutCollection(ctx, c.q, s.flavor(), doc)
		})
		if err != nil {
			return n, fmt.Errorf("STAC index backfill %s@%s: %w", m.repo, m.digest, err)
		}
		n++
	}
	if err := s.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE stac_stats SET value = 0 WHERE name = 'backfill'`)
		return err
	}); err != nil {
		return n, fmt.Errorf("STAC index backfill: %w", err)
	}
	if n > 0 {
		fmt.Fprintf(log, "STAC index: indexed %d EO products and collections stored before it\n", n)
	}
	return n, nil
}
