package stacindex

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
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
// the engine.
type q struct {
	Querier
	f Flavor
}

func (c q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.ExecContext(ctx, rebind(c.f, query), args...)
}

func (c q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.QueryContext(ctx, rebind(c.f, query), args...)
}

func (c q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.QueryRowContext(ctx, rebind(c.f, query), args...)
}

// rebind rewrites `?` placeholders as $1, $2, … for PostgreSQL. The index's queries have
// no `?` inside string literals.
func rebind(f Flavor, query string) string {
	if f != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// placeholders is "?, ?, …" n times.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
