// Package sqlstore implements metadata.Store over database/sql, for every SQL engine the
// registry runs on. The engines' packages (sqlite, later postgres) open the database and
// hand it here with a Dialect; the queries are the subset SQLite and PostgreSQL both speak,
// written with `?` placeholders that the dialect rebinds.
//
// Every change is one write transaction. Reads outside a transaction are single
// statements, so each sees one committed state.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/stacindex"
)

var _ metadata.Store = (*Store)(nil)

// Config says how New uses a database.
type Config struct {
	// Dialect of the database; nil means SQLite.
	Dialect *Dialect
	// SerialWrites runs this process's write transactions one at a time, for engines with a
	// single writer (SQLite), so that writers queue in the process instead of polling the
	// database's lock; the writers queued together commit together (groupCommit).
	SerialWrites bool
	// ReadOnly: do not migrate; fail unless the schema is current. Writes then fail.
	ReadOnly bool
	// LockBlob implements Store.LockBlob; nil: a lock within this process, enough when one
	// process owns the database.
	LockBlob func(ctx context.Context, d digest.Digest) (func(), error)
	// TryLock implements Store.TryLock; nil: a lock within this process.
	TryLock func(ctx context.Context, name string) (func(), bool, error)
	// LockRepo, if not nil, is a lock per repository shared by the processes on the
	// database, held around each write of a repository's manifests and tags, so that the
	// writers of one repository queue instead of failing each other's serializable
	// transactions. Within a process they queue on a lock of their own first.
	LockRepo func(ctx context.Context, repo string) (func(), error)
	// OnClose runs after the database is closed (releasing a lock file, say).
	OnClose func() error
}

// Store is metadata.Store on a SQL database.
type Store struct {
	db       *sql.DB
	d        *Dialect
	writeSem chan struct{} // nil unless SerialWrites
	lockBlob func(ctx context.Context, d digest.Digest) (func(), error)
	tryLock  func(ctx context.Context, name string) (func(), bool, error)
	lockRepo func(ctx context.Context, repo string) (func(), error)
	repos    *keyedLock[string]
	stmts    *stmtCache   // nil unless the dialect caches statements
	group    *groupCommit // nil unless SerialWrites
	onClose  func() error
	now      func() time.Time

	ixOnce sync.Once
	ix     *stacindex.DB
}

// New migrates db's schema to SchemaVersion (or, read-only, checks it) and returns the
// store. Closing the store closes db.
func New(ctx context.Context, db *sql.DB, c Config) (*Store, error) {
	s := &Store{db: db, d: c.Dialect, lockBlob: c.LockBlob, tryLock: c.TryLock, onClose: c.OnClose, now: time.Now}
	if s.d == nil {
		s.d = SQLite()
	}
	if s.d.CacheStatements {
		s.stmts = &stmtCache{db: db}
	}
	if c.SerialWrites {
		s.writeSem = make(chan struct{}, 1)
		if !c.ReadOnly {
			s.group = newGroupCommit(s)
		}
	}
	if s.lockBlob == nil {
		s.lockBlob = newKeyedLock[digest.Digest]().lock
	}
	if c.LockRepo != nil {
		s.lockRepo, s.repos = c.LockRepo, newKeyedLock[string]()
	}
	if s.tryLock == nil {
		s.tryLock = newNamedLock().tryLock
	}
	var err error
	if c.ReadOnly {
		err = s.checkVersion(ctx)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("metadata schema: %w", err)
	}
	return s, nil
}

// Close closes the database, then runs Config.OnClose.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	if s.stmts != nil {
		s.stmts.close()
	}
	err := s.db.Close()
	if s.onClose != nil {
		err = errors.Join(err, s.onClose())
	}
	return err
}

// LockBlob implements metadata.Store with Config.LockBlob.
func (s *Store) LockBlob(ctx context.Context, d digest.Digest) (func(), error) {
	return s.lockBlob(ctx, d)
}

// TryLock implements metadata.Store with Config.TryLock.
func (s *Store) TryLock(ctx context.Context, name string) (func(), bool, error) {
	return s.tryLock(ctx, name)
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with `?` on a database or transaction (tx, nil on the
// database), rebound for the dialect, through prepared statements when the store caches
// them. On a detached querier (a grouped transaction) statements ignore their context's end.
type conn struct {
	q     querier
	d     *Dialect
	tx    *sql.Tx
	cache *stmtCache // nil: no prepared statements
}

// on is what runs query on c, and query rebound: its prepared statement, or c's querier.
func (c conn) on(ctx context.Context, query string) (querier, string) {
	query = c.d.rebind(query)
	_, detach := c.q.(detached)
	if detach {
		ctx = context.WithoutCancel(ctx)
	}
	st := c.prepared(ctx, query)
	switch {
	case st == nil:
		return c.q, query
	case detach:
		return detached{stmtQuerier{st}}, query
	}
	return stmtQuerier{st}, query
}

// prepared is query's prepared statement on c, or nil when the store prepares none or the
// query does not prepare (it then runs unprepared and reports its own error: a migration's
// query may name a table its transaction has just created).
func (c conn) prepared(ctx context.Context, query string) *sql.Stmt {
	if c.cache == nil {
		return nil
	}
	st, err := c.cache.stmt(ctx, query)
	if err != nil || c.tx == nil {
		return st
	}
	return c.tx.StmtContext(ctx, st)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, query := c.on(ctx, query)
	return q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, query := c.on(ctx, query)
	return q.QueryContext(ctx, query, args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q, query := c.on(ctx, query)
	return q.QueryRowContext(ctx, query, args...)
}

// affected runs a statement and reports how many rows it changed.
func (c conn) affected(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// exists runs a query selecting at most one row and reports whether it found one.
func (c conn) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := c.queryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// list runs a query and reads each row with scan; nothing found is an empty list.
func list[T any](ctx context.Context, c conn, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// r is the database for single-statement reads.
func (s *Store) r() conn { return conn{q: s.db, d: s.d, cache: s.stmts} }

// maxAttempts bounds the runs of a write transaction the dialect calls retryable.
const maxAttempts = 30

// write runs fn in one write transaction (the dialect's WriteTx), committed if fn returns
// nil, and runs it again if the dialect says the failure was a serialization conflict. On
// a single-writer engine, fn may share its transaction with other writers' (groupCommit),
// inside a savepoint of its own.
func (s *Store) write(ctx context.Context, fn func(conn) error) error {
	if s.group != nil {
		return s.group.write(ctx, fn)
	}
	return s.writeTx(ctx, s.d.WriteTx, fn)
}

// writeRepo is write for a change to repo's manifests or tags, under the repository's lock
// when the store has one.
func (s *Store) writeRepo(ctx context.Context, repo string, fn func(conn) error) error {
	if s.lockRepo != nil {
		unlockLocal, err := s.repos.lock(ctx, repo)
		if err != nil {
			return err
		}
		defer unlockLocal()
		unlock, err := s.lockRepo(ctx, repo)
		if err != nil {
			return err
		}
		defer unlock()
	}
	return s.write(ctx, fn)
}

// writeTx is write with transaction options opts.
func (s *Store) writeTx(ctx context.Context, opts *sql.TxOptions, fn func(conn) error) error {
	if s.writeSem != nil {
		select {
		case s.writeSem <- struct{}{}:
			defer func() { <-s.writeSem }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for attempt := 1; ; attempt++ {
		err := s.tryWrite(ctx, opts, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("%w (%d attempts)", err, attempt)
		}
		select {
		case <-time.After(retryDelay(attempt)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retryDelay is a random wait after the attempt-th conflict, its bound doubling from 2 ms to
// 128 ms, so that writers of the same rows spread out instead of colliding again.
func retryDelay(attempt int) time.Duration {
	return rand.N(time.Duration(1<<min(attempt, 7)) * time.Millisecond)
}

func (s *Store) tryWrite(ctx context.Context, opts *sql.TxOptions, fn func(conn) error) error {
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(conn{q: tx, d: s.d, tx: tx, cache: s.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// stamp is t in the database's time representation, or now if t is zero.
func (s *Store) stamp(t time.Time) int64 {
	if t.IsZero() {
		t = s.now()
	}
	return t.UnixNano()
}

func fromStamp(ns int64) time.Time { return time.Unix(0, ns) }
