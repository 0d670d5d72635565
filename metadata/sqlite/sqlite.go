// Package sqlite opens the registry's metadata store (sqlstore) on a SQLite database file,
// with the pure-Go driver modernc.org/sqlite.
//
// One process owns a database: Open takes an exclusive lock on path+".lock" for as long as
// the store is open, so writes can be queued within the process and LockBlob can be a lock
// within the process. OpenReadOnly reads a database another process owns.
//
// Files beside the database:
//
//	path        the database
//	path-wal    write-ahead log (WAL mode); committed writes not yet checkpointed
//	path-shm    the WAL's shared index
//	path.lock   held (flock) by the process that owns the database
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/eopack/eopack/metadata/sqlstore"
)

// ErrInUse: another process holds the database's lock file.
var ErrInUse = errors.New("in use by another eopack serve")

// inUseError names the database another process owns.
type inUseError struct{ path string }

func (e *inUseError) Error() string {
	return "metadata database " + e.path + " is in use by another eopack serve"
}

func (e *inUseError) Unwrap() error { return ErrInUse }

// busyTimeoutMS is how long a connection waits for a lock another connection holds (a
// checkpoint, a read-only process) before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// maxConns bounds the connections (readers, and the one writer) a store keeps open.
const maxConns = 16

// pragmas every connection runs. synchronous=FULL syncs the WAL at every commit, so an
// acknowledged write survives a crash or power loss. Each connection (at most maxConns)
// caches up to 16 MiB of pages, enough for the indexes of 100,000 tagged manifests.
var pragmas = []string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "cache_size(-16384)", "foreign_keys(1)",
	"journal_mode(WAL)", "synchronous(FULL)"}

// Open opens (creating if needed) the database at path for reading and writing, migrating
// its schema. It fails with ErrInUse if another process has it open.
func Open(path string) (*sqlstore.Store, error) {
	return open(path, pragmas)
}

func open(path string, pragmas []string) (*sqlstore.Store, error) {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		if errors.Is(err, ErrInUse) {
			return nil, &inUseError{path}
		}
		return nil, fmt.Errorf("metadata database %s: %w", path, err)
	}
	q := []string{"_txlock=immediate"}
	for _, p := range pragmas {
		q = append(q, "_pragma="+p)
	}
	s, err := openDB(path, q, sqlstore.Config{SerialWrites: true, OnClose: unlock})
	if err != nil {
		unlock()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens the database at path for reading only, without its lock, alongside
// the process that owns it (a garbage collector's dry run while the server runs). The
// schema must be current. Writes fail.
func OpenReadOnly(path string) (*sqlstore.Store, error) {
	q := []string{"mode=ro", fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMS)}
	return openDB(path, q, sqlstore.Config{ReadOnly: true})
}

func openDB(path string, query []string, c sqlstore.Config) (*sqlstore.Store, error) {
	db, err := sql.Open("sqlite", "file:"+escape(path)+"?"+strings.Join(query, "&"))
	if err != nil {
		return nil, fmt.Errorf("metadata database %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	c.Dialect = sqlstore.SQLite()
	s, err := sqlstore.New(context.Background(), db, c)
	if err != nil {
		return nil, fmt.Errorf("metadata database %s: %w", path, err)
	}
	return s, nil
}

// escape makes path the path of a file: URI; '?' and '#' would end it, '%' starts an escape.
func escape(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
