package stacindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File is a standalone index (one SQLite file), as `eopack stac index` writes it: the same
// index tables as the registry's metadata database (Schema), with the tags in a table of
// their own (FileSchema). Its user_version is the schema version.
type File struct {
	*DB
	path string

	mu    sync.Mutex
	known map[[2]string]bool // (collection, property) pairs in stac_props
	bulk  bool               // between BeginBulk and EndBulk
	// bulkErr is the first write of a bulk load that failed after changing rows.
	bulkErr error
}

var _ Index = (*File)(nil)

// writerCacheKiB is the page cache of a connection that has run PutAll.
const writerCacheKiB = 256 << 10

// fileVersion is the user_version of a File with Schema, FileSchema and fileV2.
const fileVersion = 2

// fileV2 (version 2) adds a File's own values: its source.
var fileV2 = []string{`CREATE TABLE stac_file (name TEXT PRIMARY KEY, value TEXT NOT NULL)`}

// OpenFile opens (creating if needed) the index file at path. A file whose bulk load did not
// end (BeginBulk) is refused with ErrHalfBuilt.
func OpenFile(path string) (*File, error) {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+esc+"?_txlock=immediate&_pragma=busy_timeout(10000)"+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(16384)")
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	f := &File{DB: NewDB(db, SQLite), path: path}
	if err := f.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	if half, err := halfBuilt(context.Background(), f.r()); err != nil || half {
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", path, err)
		}
		return nil, fmt.Errorf("index file %s was %w", path, ErrHalfBuilt)
	}
	return f, nil
}

func (f *File) migrate(ctx context.Context) error {
	return f.write(ctx, func(c q) error {
		var v int
		if err := c.queryRow(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			return err
		}
		var stmts []string
		switch v {
		case fileVersion:
			return nil
		case 1:
			stmts = fileV2
		case 0:
			var tables int
			if err := c.queryRow(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
				return err
			}
			if tables > 0 {
				return fmt.Errorf("not an eopack index file")
			}
			stmts = append(append(append([]string{}, Schema...), FileSchema...), fileV2...)
		default:
			return fmt.Errorf("index version %d, this eopack reads version %d", v, fileVersion)
		}
		for _, stmt := range stmts {
			if s, ok := Expand(stmt, SQLite); ok {
				if _, err := c.exec(ctx, s); err != nil {
					return err
				}
			}
		}
		_, err := c.exec(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, fileVersion))
		return err
	})
}

// write runs fn in one transaction.
func (f *File) write(ctx context.Context, fn func(q) error) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	f.mu.Lock()
	bulk := f.bulk
	f.mu.Unlock()
	// Without a journal (a bulk load) a rollback after changes is not one.
	var changes int64
	if bulk {
		if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&changes); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(q{Querier: tx, f: SQLite}); err != nil {
		if bulk {
			var now int64
			if cerr := tx.QueryRowContext(context.WithoutCancel(ctx), `SELECT total_changes()`).Scan(&now); cerr != nil || now != changes {
				f.mu.Lock()
				if f.bulkErr == nil {
					f.bulkErr = err
				}
				f.mu.Unlock()
			}
		}
		tx.Rollback()
		return err
	}
	err = tx.Commit()
	if err != nil && bulk {
		f.mu.Lock()
		if f.bulkErr == nil {
			f.bulkErr = err
		}
		f.mu.Unlock()
	}
	return err
}

// Put inserts or replaces the entry of manifest (e.Repo, e.Digest) with its tags.
func (f *File) Put(ctx context.Context, e Entry) error {
	return f.PutAll(ctx, []Entry{e})
}

// PutAll puts entries in one transaction.
func (f *File) PutAll(ctx context.Context, entries []Entry) error {
	f.mu.Lock()
	b := batch{known: f.known, bulk: f.bulk}
	f.mu.Unlock()
	err := f.write(ctx, func(c q) error {
		// Index pages are updated at random places: a writer's cache that holds them saves
		// reading them again for every batch (readers keep the default; a bulk load has its
		// own).
		if !b.bulk {
			if _, err := c.exec(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, writerCacheKiB)); err != nil {
				return err
			}
		}
		c.stmts = map[string]*sql.Stmt{}
		if ok, err := b.putNew(ctx, c, entries); ok || err != nil {
			if err != nil {
				return err
			}
			if err := setTagsNew(ctx, c, entries); err != nil {
				return err
			}
			return b.flush(ctx, c)
		}
		for _, e := range entries {
			if err := b.put(ctx, c, e); err != nil {
				return err
			}
			if err := setTags(ctx, c, e.Repo, e.Digest, e.Tags); err != nil {
				return err
			}
		}
		return b.flush(ctx, c)
	})
	if err == nil {
		f.mu.Lock()
		if len(b.props) > 0 { // a new map: batches running now read the old one
			known := maps.Clone(f.known)
			if known == nil {
				known = map[[2]string]bool{}
			}
			for k := range b.props {
				known[k] = true
			}
			f.known = known
		}
		f.mu.Unlock()
	}
	return err
}

// PutCollection inserts or replaces a pushed STAC Collection document with its tags.
func (f *File) PutCollection(ctx context.Context, doc CollectionDoc, tags []string) error {
	return f.write(ctx, func(c q) error {
		if err := PutCollection(ctx, c.Querier, SQLite, doc); err != nil {
			return err
		}
		return setTags(ctx, c, doc.Repo, doc.Digest, tags)
	})
}

// Delete removes manifest d of repo (a product or a Collection document) and its tags; an
// unknown one is not an error.
func (f *File) Delete(ctx context.Context, repo string, d digest.Digest) error {
	return f.write(ctx, func(c q) error {
		if err := Delete(ctx, c.Querier, SQLite, repo, d); err != nil {
			return err
		}
		_, err := c.exec(ctx, `DELETE FROM stac_tags WHERE repo = ? AND digest = ?`, repo, d.String())
		return err
	})
}

// Digests lists the indexed manifests of repo (products and Collection documents) with
// their tags, for incremental crawls.
func (f *File) Digests(ctx context.Context, repo string) (map[digest.Digest][]string, error) {
	rows, err := f.r().query(ctx, `SELECT m.digest, t.name FROM
		(SELECT digest FROM stac_items WHERE repo = ? UNION SELECT digest FROM stac_collections WHERE repo = ?) m
		LEFT JOIN stac_tags t ON t.repo = ? AND t.digest = m.digest ORDER BY m.digest, t.name`, repo, repo, repo)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", f.path, err)
	}
	defer rows.Close()
	out := map[digest.Digest][]string{}
	for rows.Next() {
		var d string
		var tag sql.NullString
		if err := rows.Scan(&d, &tag); err != nil {
			return nil, err
		}
		out[digest.Digest(d)] = append(out[digest.Digest(d)], tag.String)
		if !tag.Valid {
			out[digest.Digest(d)] = []string{}
		}
	}
	return out, rows.Err()
}

// SetTags replaces the tags of an indexed manifest (a tag of the repository pointing at
// another manifest moves here).
func (f *File) SetTags(ctx context.Context, repo string, d digest.Digest, tags []string) error {
	return f.write(ctx, func(c q) error { return setTags(ctx, c, repo, d, tags) })
}

func setTags(ctx context.Context, c q, repo string, d digest.Digest, tags []string) error {
	if _, err := c.exec(ctx, `DELETE FROM stac_tags WHERE repo = ? AND digest = ?`, repo, d.String()); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := c.exec(ctx, `INSERT INTO stac_tags (repo, digest, name) VALUES (?, ?, ?)
			ON CONFLICT (repo, name) DO UPDATE SET digest = excluded.digest`, repo, d.String(), t); err != nil {
			return err
		}
	}
	return nil
}

// Repositories lists the repositories the index holds products or Collection documents of,
// in byte order.
func (f *File) Repositories(ctx context.Context) ([]string, error) {
	repos, err := scanAll(ctx, f.r(), func(r *sql.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, `SELECT repo FROM stac_items UNION SELECT repo FROM stac_collections ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", f.path, err)
	}
	return repos, nil
}

// SetSource keeps a short text for the index's user (eopack stac index: the registry it
// crawled).
func (f *File) SetSource(ctx context.Context, s string) error {
	return f.write(ctx, func(c q) error {
		_, err := c.exec(ctx, `INSERT INTO stac_file (name, value) VALUES ('source', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, s)
		return err
	})
}

// Source is what SetSource kept; "" if nothing.
func (f *File) Source(ctx context.Context) (string, error) {
	var s string
	err := f.r().queryRow(ctx, `SELECT value FROM stac_file WHERE name = 'source'`).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("index %s: %w", f.path, err)
	}
	return s, nil
}

// Close closes the file.
func (f *File) Close() error { return f.db.Close() }
