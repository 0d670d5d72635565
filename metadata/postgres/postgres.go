// Package postgres opens the registry's metadata store (sqlstore) on a PostgreSQL database,
// with pgx's database/sql driver, so that several registry processes can share it.
//
// A store keeps two connection pools to the database:
//
//	queries   bounded (pool_max_conns, default 16); every read and write transaction
//	locks     unbounded, few idle; each held lock (a blob's, a repository's, a named one)
//	          pins one connection
//
// The locks are session-level advisory locks: a lock is held by the connection that took
// it and released with it, so a holder that dies (its process killed, its connection lost)
// releases its locks when PostgreSQL ends its backend. They have a pool of their own because
// a lock may be held for minutes (an upload session being written) while its holder still
// needs to query: taken from the bounded pool, holders could starve it and wait forever.
package postgres

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/eopack/eopack/metadata/sqlstore"
)

// maxConns is the query pool's default size.
const maxConns = 16

// maxIdleLockConns is how many released lock connections are kept for the next lock.
const maxIdleLockConns = 4

// Open opens the database at dsn, a postgres:// or postgresql:// URL in pgx's syntax, and
// migrates its schema; processes opening one database at once migrate one after another.
// The URL's parameter pool_max_conns sets the query pool's size (default 16).
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return nil, fmt.Errorf("metadata database: not a postgres:// URL")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors mask the password.
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	where := fmt.Sprintf("postgres://%s/%s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
	size := maxConns
	if v, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		delete(cfg.RuntimeParams, "pool_max_conns")
		if size, err = strconv.Atoi(v); err != nil || size < 1 {
			return nil, fmt.Errorf("metadata database %s: pool_max_conns=%q is not a positive integer", where, v)
		}
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("metadata database %s: %w", where, oneLine{err})
	}

	lockDB := stdlib.OpenDB(*cfg)
	lockDB.SetMaxIdleConns(maxIdleLockConns)
	l := newLocks(lockDB)

	s, err := sqlstore.New(ctx, db, sqlstore.Config{
		Dialect:  sqlstore.Postgres(),
		LockBlob: l.lockBlob,
		TryLock:  l.tryLock,
		LockRepo: l.lockRepo,
		OnClose:  l.close,
	})
	if err != nil {
		return nil, fmt.Errorf("metadata database %s: %w", where, err)
	}
	return s, nil
}

// oneLine is an error with its message on one line: pgx reports each address and TLS mode
// it tried to connect with on a line of its own. A line repeating the one before is dropped.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	var b strings.Builder
	prev := ""
	for _, line := range strings.Split(e.err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == prev {
			continue
		}
		if b.Len() > 0 && !strings.HasSuffix(prev, ":") {
			b.WriteString(";")
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(line)
		prev = line
	}
	return b.String()
}

func (e oneLine) Unwrap() error { return e.err }
