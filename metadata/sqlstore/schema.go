package sqlstore

import (
	"context"
	"fmt"

	"github.com/eopack/eopack/stacindex"
)

// migrations are the schema's versions: migrations[i] takes the database from version i to
// i+1. Applied migrations are recorded in schema_migrations and never edited; a change to
// the schema is a new entry.
//
// Layout (version 1; version 2 adds the STAC index, see stacMigration):
//
//	repositories   id, name                        a repository exists while it has a row
//	manifests      id, repo_id → repositories       body kept inline, last column
//	tags           (repo_id, name) → manifests.id
//	blobs          digest, size, linked            every recorded blob, until GC forgets it
//	blob_links     (repo_id, digest) → blobs        which repository may read which blob
//	manifest_blobs (manifest_id, digest) → blobs    config and layers each manifest references
//	uploads        id, repo, size, hash and blob-store state
//
// Times are unix nanoseconds. Names and digests compare and sort in byte order: {{c}} is the
// dialect's byte-order collation.
var migrations = [][]string{{
	`CREATE TABLE repositories (
		id {{id}},
		name TEXT{{c}} NOT NULL UNIQUE
	)`,
	`CREATE TABLE blobs (
		digest TEXT{{c}} PRIMARY KEY,
		size BIGINT NOT NULL,
		linked BIGINT NOT NULL
	)`,
	`CREATE TABLE manifests (
		id {{id}},
		repo_id BIGINT NOT NULL REFERENCES repositories (id),
		digest TEXT{{c}} NOT NULL,
		media_type TEXT NOT NULL,
		artifact_type TEXT NOT NULL,
		size BIGINT NOT NULL,
		subject TEXT{{c}},
		created BIGINT NOT NULL,
		annotations TEXT,
		body {{blob}} NOT NULL,
		UNIQUE (repo_id, digest)
	)`,
	`CREATE INDEX manifests_subject ON manifests (repo_id, subject, digest) WHERE subject IS NOT NULL`,
	`CREATE TABLE tags (
		repo_id BIGINT NOT NULL REFERENCES repositories (id),
		name TEXT{{c}} NOT NULL,
		manifest_id BIGINT NOT NULL REFERENCES manifests (id),
		PRIMARY KEY (repo_id, name)
	)`,
	`CREATE INDEX tags_manifest ON tags (manifest_id)`,
	`CREATE TABLE blob_links (
		repo_id BIGINT NOT NULL REFERENCES repositories (id),
		digest TEXT{{c}} NOT NULL REFERENCES blobs (digest),
		linked BIGINT NOT NULL,
		PRIMARY KEY (repo_id, digest)
	)`,
	`CREATE INDEX blob_links_digest ON blob_links (digest)`,
	`CREATE TABLE manifest_blobs (
		manifest_id BIGINT NOT NULL REFERENCES manifests (id),
		digest TEXT{{c}} NOT NULL REFERENCES blobs (digest),
		repo_id BIGINT NOT NULL,
		PRIMARY KEY (manifest_id, digest)
	)`,
	`CREATE INDEX manifest_blobs_digest ON manifest_blobs (digest, repo_id)`,
	`CREATE TABLE uploads (
		id TEXT PRIMARY KEY,
		repo TEXT NOT NULL,
		size BIGINT NOT NULL,
		hash_alg TEXT NOT NULL,
		hash_state {{blob}},
		blob_state {{blob}},
		created BIGINT NOT NULL,
		updated BIGINT NOT NULL
	)`,
	`CREATE INDEX uploads_updated ON uploads (updated)`,
}, stacMigration}

// stacMigration (version 2) adds the STAC index's tables (stacindex.Schema), its view of the
// tags, and asks the registry to index the EO products already stored (a one-time backfill,
// stac_stats.backfill = 1 until done).
var stacMigration = append(append([]string{}, stacindex.Schema...),
	`CREATE VIEW stac_tags AS SELECT r.name AS repo, m.digest AS digest, t.name AS name
		FROM tags t JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = t.repo_id`,
	`INSERT INTO stac_stats (name, value) VALUES ('backfill', 1)`,
)

// SchemaVersion is the schema version this package reads and writes.
var SchemaVersion = len(migrations)

// migrate brings the schema up to SchemaVersion in one transaction. Beginning the write
// transaction (SQLite) or the dialect's MigrationLock (PostgreSQL) makes processes opening
// the database at once take turns; each sees the migrations the others applied.
//
// The transaction has the driver's default isolation (READ COMMITTED in PostgreSQL), not the
// dialect's WriteTx: a SERIALIZABLE transaction's snapshot is taken at its first statement,
// the lock, so after waiting for the lock it would not see the version a process ahead of
// it had just committed, and would run the migrations again.
func (s *Store) migrate(ctx context.Context) error {
	return s.writeTx(ctx, nil, func(t conn) error {
		if s.d.MigrationLock != "" {
			if _, err := t.exec(ctx, s.d.MigrationLock); err != nil {
				return err
			}
		}
		if _, err := t.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			applied BIGINT NOT NULL
		)`); err != nil {
			return err
		}
		v, err := t.version(ctx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("schema version %d is newer than this eopack's (%d)", v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			for _, stmt := range migrations[v] {
				stmt, ok := stacindex.Expand(s.d.expand(stmt), s.flavor())
				if !ok {
					continue
				}
				if _, err := t.exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", v+1, err)
				}
			}
			if _, err := t.exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`,
				v+1, s.now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkVersion fails unless the schema is at SchemaVersion (a read-only store cannot migrate).
func (s *Store) checkVersion(ctx context.Context) error {
	v, err := s.r().version(ctx)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if v != SchemaVersion {
		return fmt.Errorf("schema version %d, this eopack reads version %d", v, SchemaVersion)
	}
	return nil
}

func (c conn) version(ctx context.Context) (int, error) {
	var v int
	err := c.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
