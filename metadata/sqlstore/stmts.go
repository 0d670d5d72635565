package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query on the database, for drivers that
// would otherwise parse every query anew (modernc's SQLite spent a tenth of a registry's CPU
// parsing during a push of many small blobs). database/sql prepares a statement once per
// connection and reuses it there, inside transactions too (Tx.StmtContext). The store's
// queries are a fixed set of texts, so the cache stays small.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex // held while preparing, so a query is prepared once
	m  sync.Map   // query → *sql.Stmt
}

// stmt is the prepared statement of query.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.m.Store(query, st)
	return st, nil
}

// close closes every statement.
func (c *stmtCache) close() {
	c.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// stmtQuerier is a prepared statement as a querier; the query it is given is its own.
type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return q.st.ExecContext(ctx, args...)
}

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

func (q stmtQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return q.st.QueryRowContext(ctx, args...)
}
