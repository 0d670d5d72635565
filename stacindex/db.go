package stacindex

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/eopack/eopack/internal/sqlbind"
)

// Querier is what *sql.DB and *sql.Tx share; the index's writes run on the caller's
// transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is the Index over the index tables of a SQL database (the registry's metadata store,
// or a File).
type DB struct {
	db *sql.DB
	f  Flavor

	mu    sync.Mutex
	stats map[string]cachedCollection // collection → its computed extent and summaries
}

var _ Index = (*DB)(nil)

// NewDB serves the index tables of db (already created with Schema).
func NewDB(db *sql.DB, f Flavor) *DB {
	return &DB{db: db, f: f, stats: map[string]cachedCollection{}}
}

// q runs queries written with `?` placeholders on a database or transaction, rebound for
// the engine. With stmts set (a transaction of many puts), each query is prepared once.
type q struct {
	Querier
	f     Flavor
	stmts map[string]*sql.Stmt
}

// preparer is what a transaction adds to Querier; its statements close with it.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// stmt is the prepared statement of query, if c prepares.
func (c q) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p, ok := c.Querier.(preparer)
	if c.stmts == nil || !ok {
		return nil, nil
	}
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := p.PrepareContext(ctx, rebind(c.f, query))
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, err := c.stmt(ctx, query); err != nil || st != nil {
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	return c.ExecContext(ctx, rebind(c.f, query), args...)
}

func (c q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.QueryContext(ctx, rebind(c.f, query), args...)
}

func (c q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st, err := c.stmt(ctx, query); err == nil && st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.QueryRowContext(ctx, rebind(c.f, query), args...)
}

// rebind rewrites `?` placeholders as $1, $2, … for PostgreSQL. Queries are not
// remembered: searches build many shapes (IN lists, multi-row INSERTs).
func rebind(f Flavor, query string) string {
	if f != Postgres {
		return query
	}
	return sqlbind.Numbered(query)
}

// placeholders is "?, ?, …" n times.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
